"""Opening the vault's database: one SQLAlchemy engine, migrated to the current schema."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DataError, InterfaceError, OperationalError

from schemas.errors import ConfigError, SchemaError, Unreachable
from vault.audit import ensure_head

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def open_engine(url: str) -> Engine:
    """An engine for ``url``, its schema migrated to head. An SQLite file's directory is made."""
    try:
        # hide_parameters: a failing statement's error (and any traceback) never shows its values.
        engine = create_engine(url, pool_pre_ping=True, hide_parameters=True)
    except Exception as exc:  # a malformed URL or a missing driver: name neither the URL nor its password
        raise ConfigError(f"CHATGUARD_VAULT_DATABASE_URL: cannot use it ({type(exc).__name__})") from None
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA busy_timeout=10000")  # first: the next pragma may wait for a lock
            cursor.execute("PRAGMA journal_mode=WAL")  # readers do not wait for the worker's writes
            # Erased keys and values must not linger in free pages (see scrub).
            cursor.execute("PRAGMA secure_delete=ON")
            cursor.close()

    with database_errors():
        migrate(engine)
    return engine


@contextmanager
def database_errors() -> Iterator[None]:
    """The database refused or did not answer: say so by the error's class, never the URL."""
    try:
        yield
    except (OperationalError, InterfaceError) as exc:
        raise Unreachable(f"the vault's database refused or is unreachable ({type(exc.orig).__name__})") from None
    except DataError:
        raise SchemaError("value", "the database cannot store it (a character or size it refuses)") from None


@contextmanager
def migration_lock(engine: Engine) -> Iterator[None]:
    """One migrating process at a time: ``make run`` or a deployment starts the worker, the vault API,
    the forms and the console together, and each migrates the shared database when it opens it."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT pg_advisory_lock(7366812)")  # a constant: chatguard's migrations
            try:
                yield
            finally:
                conn.exec_driver_sql("SELECT pg_advisory_unlock(7366812)")
                conn.commit()
        return
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:":
        yield
        return
    import fcntl

    with open(f"{database}.migrate-lock", "a+b") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def migrate(engine: Engine) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with migration_lock(engine), engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
        ensure_head(conn)


def scrub(engine: Engine) -> bool:
    """After an erasure or a rotation: copy SQLite's write-ahead log into the database and empty
    it, so the deleted rows' old page images (a wrapped key, sealed values) leave the disk.
    False if a reader held it back (run ``chatguard vault sweep`` later to retry). PostgreSQL
    keeps dead rows until VACUUM and in its WAL archive: the README says what to run."""
    if engine.dialect.name != "sqlite":
        return True
    with engine.connect() as conn:
        busy, _log, _done = conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
    return not busy
