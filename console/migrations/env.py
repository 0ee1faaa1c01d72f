"""Alembic's entry: the console migrates its own tables, versioned apart from the vault's."""

from __future__ import annotations

from alembic import context

from console.tables import metadata

connection = context.config.attributes["connection"]
context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=True,
    version_table="console_alembic_version",
)
with context.begin_transaction():
    context.run_migrations()
