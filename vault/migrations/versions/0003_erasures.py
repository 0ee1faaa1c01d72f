"""Erased subjects, so a value sent before an erasure and processed after it is not kept again."""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vault_erasures",
        sa.Column("subject", sa.String(64), primary_key=True),
        sa.Column("erased_at", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("vault_erasures")
