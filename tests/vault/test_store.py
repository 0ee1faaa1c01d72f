"""Opening the database: several processes starting together (``make run``, a deployment) each
migrate it when they open it, one at a time, from any earlier version."""

from __future__ import annotations

import multiprocessing

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect

from vault.store import MIGRATIONS


def _open(url: str) -> None:
    from console.db import open_console_engine

    open_console_engine(url).dispose()


def test_processes_opening_an_old_database_together_all_succeed(tmp_path):
    url = f"sqlite:///{tmp_path / 'vault.db'}"
    engine = create_engine(url)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:  # a database left at the first version by an older release
        config.attributes["connection"] = conn
        command.upgrade(config, "0001")
    engine.dispose()
    context = multiprocessing.get_context("spawn")
    starters = [context.Process(target=_open, args=(url,)) for _ in range(6)]
    for p in starters:
        p.start()
    for p in starters:
        p.join(timeout=120)
    assert [p.exitcode for p in starters] == [0] * 6
    tables = set(inspect(create_engine(url)).get_table_names())
    assert {"vault_forms", "vault_erasures", "console_users", "console_messages"} <= tables
