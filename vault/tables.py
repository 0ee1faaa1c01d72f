"""The vault's tables (SQLAlchemy Core), one definition for SQLite and PostgreSQL.

Times are Unix seconds (integers): the same on both databases, and comparable without time zones.
Subject keys and values live in separate tables: erasure deletes the subject's key row, so any
copy of its value rows left elsewhere is ciphertext without a key.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, LargeBinary, MetaData, String, Table, Text

metadata = MetaData()

subjects = Table(
    "vault_subjects",
    metadata,
    Column("subject", String(64), primary_key=True),  # the sender's keyed pseudonym (u_...)
    Column("key_id", String(64), nullable=False),  # the master key that wrapped it
    Column("wrapped_key", LargeBinary, nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

entries = Table(
    "vault_entries",
    metadata,
    Column("ref", String(64), primary_key=True),  # random, never derived from the value
    Column("subject", String(64), nullable=False),
    Column("event_id", String(64), nullable=False),
    Column("entity_type", String(64), nullable=False),
    Column("sealed", LargeBinary, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("conversation", String(64)),  # the conversation's keyed pseudonym (c_...); forms pre-fill from it
    Index("vault_entries_subject", "subject"),
    Index("vault_entries_expires_at", "expires_at"),
    Index("vault_entries_conversation", "subject", "conversation"),
)

# One row per erased subject, kept for the retention period: a value of theirs sent before the
# erasure but processed after it (Kafka lag, a replay) is not kept again.
erasures = Table(
    "vault_erasures",
    metadata,
    Column("subject", String(64), primary_key=True),
    Column("erased_at", BigInteger, nullable=False),
)

# Secure forms (vault.forms): a link's token is kept only as its SHA-256, so the database
# cannot open a form. The raw ids a form's event needs are cleared once it is submitted.
forms = Table(
    "vault_forms",
    metadata,
    Column("form_id", String(40), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("channel", String(32), nullable=False),
    Column("channel_kind", String(16), nullable=False),
    Column("conversation_id", String(256)),
    Column("sender_id", String(256)),
    Column("subject", String(64), nullable=False),
    Column("conversation", String(64), nullable=False),
    Column("fields", String(200), nullable=False),  # comma-separated names from schemas.forms.FIELDS
    Column("prefill", Boolean, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("submitted_at", BigInteger),
    Column("prefilled_at", BigInteger),  # pre-filled once, when the visitor asked
    Index("vault_forms_subject", "subject"),
)

# Where each sender can be reached again, per conversation (schemas.keeping.ReplyAddress): the raw
# ids sealed under the sender's key, so erasure shreds them with the values.
reply_to = Table(
    "vault_reply_to",
    metadata,
    Column("subject", String(64), primary_key=True),
    Column("conversation", String(64), primary_key=True),
    Column("channel", String(32), nullable=False),
    Column("sealed", LargeBinary, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Index("vault_reply_to_expires_at", "expires_at"),
)

audit = Table(
    "vault_audit",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", BigInteger, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(40), nullable=False),
    Column("ref", String(64)),
    Column("subject", String(64)),
    Column("reason", Text),
    Column("outcome", String(40), nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    Column("origin", String(64)),  # the address a person acted from (the console's entries)
)

# One row: the chain's last entry. Appending updates it first, which takes the row's write lock,
# so two writers never chain onto the same entry (SQLite and PostgreSQL alike).
audit_head = Table(
    "vault_audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)
