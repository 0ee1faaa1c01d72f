"""Vault fixtures: a database of each kind (SQLite file, real PostgreSQL), fresh keys."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from vault.core import Vault
from vault.keys import LocalKeys
from vault.store import open_engine


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """Each vault test runs on both databases, each time on empty tables."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'vault.db'}"
        return
    url = request.getfixturevalue("postgres_url")
    engine = open_engine(url)
    with engine.begin() as conn:
        conn.execute(
            text(
                "TRUNCATE vault_subjects, vault_entries, vault_forms, vault_erasures, vault_reply_to, vault_audit, "
                "vault_audit_head"
            )
        )
    engine.dispose()
    yield url


@pytest.fixture
def make_vault(database_url: str) -> Iterator[Callable[..., Vault]]:
    """A factory: ``make_vault(keys=..., retention_s=..., clock=...)`` on the test's database."""
    made: list[Vault] = []

    def make(keys: LocalKeys | None = None, retention_s: int = 3600, clock: Callable[[], float] | None = None) -> Vault:
        vault = Vault(
            open_engine(database_url),
            keys or LocalKeys(os.urandom(32)),
            retention_s,
            **({"clock": clock} if clock else {}),
        )
        made.append(vault)
        return vault

    yield make
    for vault in made:
        vault.engine.dispose()
