"""How far the audit log has been copied to chat.audit; detection policy versions and their approvals."""

import sqlalchemy as sa
from alembic import op

revision = "c002"
down_revision = "c001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    relay = op.create_table(
        "console_audit_relay",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("last_seq", sa.BigInteger, nullable=False),
    )
    op.bulk_insert(relay, [{"id": 1, "last_seq": 0}])  # nothing relayed yet
    op.create_table(
        "console_policies",
        sa.Column("version", sa.String(64), primary_key=True),
        sa.Column("document", sa.Text, nullable=False),
        sa.Column("weakens", sa.Text, nullable=False),
        sa.Column("proposed_by", sa.String(64), nullable=False),
        sa.Column("proposed_at", sa.BigInteger, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("decided_by", sa.String(64)),
        sa.Column("decided_at", sa.BigInteger),
    )


def downgrade() -> None:
    op.drop_table("console_policies")
    op.drop_table("console_audit_relay")
