"""A real PostgreSQL server for a test session: Debian's binaries, a throwaway cluster.

PostgreSQL refuses to run as root, so as root the cluster belongs to the ``postgres`` system user
(the Debian package makes it) and every server command runs as that user. Trust authentication
on 127.0.0.1 and a random port: the cluster lives in a temporary directory and dies with the session.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.ports import free_port


def _binary(name: str) -> str:
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), reverse=True)), None)
    if not found:
        raise RuntimeError(f"PostgreSQL's {name} not found: install the Debian package postgresql")
    return found


def _as_server_user(argv: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *argv] if os.geteuid() == 0 else argv


@contextmanager
def postgres_server() -> Iterator[str]:
    """Start a throwaway cluster; yields an SQLAlchemy URL of its ``chatguard`` database."""
    # Not under pytest's tmp_path: as root that is private to root, and the server user must enter it.
    base = Path(tempfile.mkdtemp(prefix="chatguard-postgres-"))
    base.chmod(0o755)
    data = base / "pgdata"
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    port = free_port()

    def run(argv: list[str]) -> None:
        subprocess.run(_as_server_user(argv), check=True, capture_output=True, text=True, timeout=120)

    run([_binary("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"])
    options = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={base} -c fsync=off"
    run([_binary("pg_ctl"), "-D", str(data), "-o", options, "-l", str(base / "server.log"), "-w", "-t", "60", "start"])
    try:
        run([_binary("createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "postgres", "chatguard"])
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/chatguard"
    finally:
        subprocess.run(
            _as_server_user([_binary("pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"]),
            capture_output=True,
            timeout=120,
        )
        shutil.rmtree(base, ignore_errors=True)
