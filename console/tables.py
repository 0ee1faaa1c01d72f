"""The console's tables, in the vault's database (SQLite or PostgreSQL), beside the vault's own.

Secrets are kept as hashes: passwords with Argon2id, session ids, set-up links and recovery codes
with SHA-256 (random, 128 bits or more: nothing to guess). Times are Unix seconds.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Index, Integer, MetaData, String, Table, Text

metadata = MetaData()

users = Table(
    "console_users",
    metadata,
    Column("user_id", String(40), primary_key=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("role", String(32), nullable=False),
    Column("password_hash", String(200)),  # None until the set-up link is used
    Column("password_set_at", BigInteger),
    Column("totp_secret", String(64)),  # base32; None when not enrolled
    Column("totp_last_step", BigInteger),  # the last code's time step: a code is accepted once
    Column("setup_hash", String(64), unique=True),  # SHA-256 of the one-time set-up link's token
    Column("setup_expires_at", BigInteger),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("created_at", BigInteger, nullable=False),
    Column("created_by", String(64), nullable=False),
)

recovery_codes = Table(
    "console_recovery_codes",
    metadata,
    Column("code_hash", String(64), primary_key=True),
    Column("user_id", String(40), nullable=False),
    Column("used_at", BigInteger),
    Index("console_recovery_codes_user", "user_id"),
)

sessions = Table(
    "console_sessions",
    metadata,
    Column("session_hash", String(64), primary_key=True),
    Column("user_id", String(40), nullable=False),
    Column("csrf", String(64), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("seen_at", BigInteger, nullable=False),
    Column("address", String(64), nullable=False),
    Index("console_sessions_user", "user_id"),
)

# Failed sign-ins per account and per address, in a sliding window (console.throttle).
failures = Table(
    "console_failures",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("key", String(100), nullable=False),  # "user:<name>" or "addr:<ip>"
    Column("at", BigInteger, nullable=False),
    Index("console_failures_key_at", "key", "at"),
)

# The clean events of chat.storage (console.sink): masked text only, never an original.
messages = Table(
    "console_messages",
    metadata,
    Column("event_id", String(256), primary_key=True),
    Column("channel", String(32), nullable=False),
    Column("channel_kind", String(16), nullable=False),
    Column("conversation", String(64), nullable=False),
    Column("sender", String(64), nullable=False),
    Column("sent_at", String(40), nullable=False),
    Column("sent_ts", BigInteger, nullable=False),
    Column("text", Text, nullable=False),
    Column("findings", Text, nullable=False),  # JSON: entity_type, start, end, score, vault_ref
    Column("form", Text, nullable=False),  # JSON: a secure form's fields and refs
    Column("policy_version", String(64), nullable=False),
    Column("stored_at", BigInteger, nullable=False),
    Index("console_messages_conversation", "conversation", "sent_ts"),
    Index("console_messages_sender", "sender"),
    Index("console_messages_channel_ts", "channel", "sent_ts"),
)

winners = Table(
    "console_winners",
    metadata,
    Column("event_id", String(256), primary_key=True),
    Column("marked_by", String(64), nullable=False),
    Column("marked_at", BigInteger, nullable=False),
)

# How far the audit log has been copied to chat.audit (console.audit_relay): one row.
audit_relay = Table(
    "console_audit_relay",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("last_seq", BigInteger, nullable=False),
)

# Detection policy versions proposed in the console (console.policy): a weakening one waits for an
# Administrator other than its proposer.
policies = Table(
    "console_policies",
    metadata,
    Column("version", String(64), primary_key=True),
    Column("document", Text, nullable=False),  # PolicyDocument JSON (schemas/policy.py)
    Column("weakens", Text, nullable=False),  # JSON list of weakenings() sentences
    Column("proposed_by", String(64), nullable=False),
    Column("proposed_at", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),  # pending, published, rejected
    Column("decided_by", String(64)),
    Column("decided_at", BigInteger),
)
