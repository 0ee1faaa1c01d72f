"""Secure forms: the forms table, and each value's conversation (a form pre-fills from it)."""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("vault_entries") as batch:  # batch: SQLite cannot ALTER in place
        batch.add_column(sa.Column("conversation", sa.String(64)))
    op.create_index("vault_entries_conversation", "vault_entries", ["subject", "conversation"])
    op.create_table(
        "vault_forms",
        sa.Column("form_id", sa.String(40), primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("channel_kind", sa.String(16), nullable=False),
        sa.Column("conversation_id", sa.String(256)),
        sa.Column("sender_id", sa.String(256)),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("conversation", sa.String(64), nullable=False),
        sa.Column("fields", sa.String(200), nullable=False),
        sa.Column("prefill", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.Column("submitted_at", sa.BigInteger),
    )
    op.create_index("vault_forms_subject", "vault_forms", ["subject"])


def downgrade() -> None:
    op.drop_table("vault_forms")
    op.drop_index("vault_entries_conversation", "vault_entries")
    with op.batch_alter_table("vault_entries") as batch:
        batch.drop_column("conversation")
