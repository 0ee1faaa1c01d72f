"""A form's pre-fill is shown once, on the visitor's request (not on every view of the link)."""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("vault_forms") as batch:
        batch.add_column(sa.Column("prefilled_at", sa.BigInteger))


def downgrade() -> None:
    with op.batch_alter_table("vault_forms") as batch:
        batch.drop_column("prefilled_at")
