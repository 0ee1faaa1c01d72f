"""A vault for a chatguard process under test: a fresh master key file and an SQLite file."""

from __future__ import annotations

import secrets
import tempfile
from pathlib import Path


def vault_env(directory: Path | None = None) -> dict[str, str]:
    """The vault settings of a process under test, in ``directory`` (default: a new temporary one)."""
    where = directory or Path(tempfile.mkdtemp(prefix="chatguard-vault-"))
    where.mkdir(parents=True, exist_ok=True)
    key = where / "vault-master.key"
    if not key.exists():
        key.write_text(secrets.token_hex(32))
        key.chmod(0o600)
    return {
        "CHATGUARD_VAULT_MASTER_KEY_FILE": str(key),
        "CHATGUARD_VAULT_DATABASE_URL": f"sqlite:///{where / 'vault.db'}",
    }
