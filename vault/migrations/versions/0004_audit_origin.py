"""Where an audited action came from (the console's sign-ins, views and changes)."""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("vault_audit") as batch:
        batch.add_column(sa.Column("origin", sa.String(64)))


def downgrade() -> None:
    with op.batch_alter_table("vault_audit") as batch:
        batch.drop_column("origin")
