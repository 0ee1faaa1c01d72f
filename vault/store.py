"""Opening the vault's database: one SQLAlchemy engine, migrated to the current schema."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event

from schemas.errors import ConfigError
from vault.audit import ensure_head

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def open_engine(url: str) -> Engine:
    """An engine for ``url``, its schema migrated to head. An SQLite file's directory is made."""
    try:
        engine = create_engine(url, pool_pre_ping=True)
    except Exception as exc:  # a malformed URL or a missing driver: name neither the URL nor its password
        raise ConfigError(f"CHATGUARD_VAULT_DATABASE_URL: cannot use it ({type(exc).__name__})") from None
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")  # readers do not wait for the worker's writes
            cursor.execute("PRAGMA busy_timeout=10000")
            cursor.close()

    migrate(engine)
    return engine


def migrate(engine: Engine) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
        ensure_head(conn)
