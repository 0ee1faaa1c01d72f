"""The console's first tables: users, recovery codes, sessions, failed sign-ins, stored messages, winners."""

import sqlalchemy as sa
from alembic import op

revision = "c001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "console_users",
        sa.Column("user_id", sa.String(40), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("password_hash", sa.String(200)),
        sa.Column("password_set_at", sa.BigInteger),
        sa.Column("totp_secret", sa.String(64)),
        sa.Column("totp_last_step", sa.BigInteger),
        sa.Column("setup_hash", sa.String(64), unique=True),
        sa.Column("setup_expires_at", sa.BigInteger),
        sa.Column("disabled", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
    )
    op.create_table(
        "console_recovery_codes",
        sa.Column("code_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(40), nullable=False),
        sa.Column("used_at", sa.BigInteger),
    )
    op.create_index("console_recovery_codes_user", "console_recovery_codes", ["user_id"])
    op.create_table(
        "console_sessions",
        sa.Column("session_hash", sa.String(64), primary_key=True),
        sa.Column("user_id", sa.String(40), nullable=False),
        sa.Column("csrf", sa.String(64), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("seen_at", sa.BigInteger, nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
    )
    op.create_index("console_sessions_user", "console_sessions", ["user_id"])
    op.create_table(
        "console_failures",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(100), nullable=False),
        sa.Column("at", sa.BigInteger, nullable=False),
    )
    op.create_index("console_failures_key_at", "console_failures", ["key", "at"])
    op.create_table(
        "console_messages",
        sa.Column("event_id", sa.String(256), primary_key=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("channel_kind", sa.String(16), nullable=False),
        sa.Column("conversation", sa.String(64), nullable=False),
        sa.Column("sender", sa.String(64), nullable=False),
        sa.Column("sent_at", sa.String(40), nullable=False),
        sa.Column("sent_ts", sa.BigInteger, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("findings", sa.Text, nullable=False),
        sa.Column("form", sa.Text, nullable=False),
        sa.Column("policy_version", sa.String(64), nullable=False),
        sa.Column("stored_at", sa.BigInteger, nullable=False),
    )
    op.create_index("console_messages_conversation", "console_messages", ["conversation", "sent_ts"])
    op.create_index("console_messages_sender", "console_messages", ["sender"])
    op.create_index("console_messages_channel_ts", "console_messages", ["channel", "sent_ts"])
    op.create_table(
        "console_winners",
        sa.Column("event_id", sa.String(256), primary_key=True),
        sa.Column("marked_by", sa.String(64), nullable=False),
        sa.Column("marked_at", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "console_winners", "console_messages", "console_failures", "console_sessions",
        "console_recovery_codes", "console_users",
    ):  # fmt: skip
        op.drop_table(table)
