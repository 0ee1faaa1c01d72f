"""The console's database: the vault's (``CHATGUARD_VAULT_DATABASE_URL``), its own tables migrated."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine

from vault.store import database_errors, migration_lock, open_engine

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def open_console_engine(url: str) -> Engine:
    """The vault's engine (its schema migrated too: the console writes the vault's audit chain),
    with the console's tables migrated to head."""
    engine = open_engine(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with database_errors(), migration_lock(engine), engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    return engine
