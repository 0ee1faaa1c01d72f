"""Console fixtures: its database of each kind (SQLite file, real PostgreSQL), migrated, tables empty.

The same as the vault's (tests/vault/conftest.py), copied rather than imported from another conftest.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from console.db import open_console_engine
from console.tables import metadata
from vault.tables import metadata as vault_metadata


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each test runs on both databases, each time on empty console tables."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'console.db'}"
        return
    url = request.getfixturevalue("postgres_url")
    engine = open_console_engine(url)
    with engine.begin() as conn:
        tables = [*metadata.sorted_tables, *vault_metadata.sorted_tables]  # the console writes the vault's audit
        conn.execute(text("TRUNCATE " + ", ".join(t.name for t in tables if t.name != "console_audit_relay")))
        conn.execute(text("UPDATE console_audit_relay SET last_seq = 0"))  # its one row stays
    engine.dispose()
    yield url


@pytest.fixture
def console_engine(database_url: str) -> Iterator[Engine]:
    """The console's engine on the test's database (the vault's schema and the console's, migrated)."""
    engine = open_console_engine(database_url)
    yield engine
    engine.dispose()
