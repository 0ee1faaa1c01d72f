"""Where each sender can be reached again, sealed: the console sends a winner a secure form."""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vault_reply_to",
        sa.Column("subject", sa.String(64), primary_key=True),
        sa.Column("conversation", sa.String(64), primary_key=True),
        sa.Column("channel", sa.String(32), nullable=False),
        sa.Column("sealed", sa.LargeBinary, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
    )
    op.create_index("vault_reply_to_expires_at", "vault_reply_to", ["expires_at"])


def downgrade() -> None:
    op.drop_table("vault_reply_to")
