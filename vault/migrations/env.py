"""Alembic's entry: the vault runs its migrations on the connection it opened (vault/store.py)."""

from __future__ import annotations

from alembic import context

from vault.tables import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
