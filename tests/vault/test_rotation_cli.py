"""Master-key rotation with traffic running, through the installed commands: every process gets the
new key and keeps the old one as a previous key; `chatguard vault rotate-master` re-wraps what is
left under the old one (exit 0 only when nothing is), after which the old key can go."""

from __future__ import annotations

import os
import secrets
import subprocess
from pathlib import Path

import orjson

from schemas.keeping import KeptValue
from tests.support.paths import BIN
from vault.core import open_vault
from vault.settings import VaultSettings

REASON = "customer asked for a call back"


def chatguard(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / "chatguard"), *args], env=env, capture_output=True, text=True, timeout=120)


def key_file(path: Path) -> Path:
    path.write_text(secrets.token_hex(32))
    path.chmod(0o600)
    return path


def test_rotation_with_a_previous_key_then_without_it(tmp_path):
    old, new = key_file(tmp_path / "old.key"), key_file(tmp_path / "new.key")
    base = {k: v for k, v in os.environ.items() if not k.startswith("CHATGUARD_")}
    base["CHATGUARD_VAULT_DATABASE_URL"] = f"sqlite:///{tmp_path / 'vault.db'}"
    before = base | {"CHATGUARD_VAULT_MASTER_KEY_FILE": str(old)}
    during = base | {"CHATGUARD_VAULT_MASTER_KEY_FILE": str(new), "CHATGUARD_VAULT_PREVIOUS_KEY_FILES": str(old)}
    after = base | {"CHATGUARD_VAULT_MASTER_KEY_FILE": str(new)}

    (first,) = open_vault(VaultSettings.from_env(before)).put_many(
        [KeptValue("e1", "PHONE_NUMBER", "u_a", "+48 601 1")]
    )
    (second,) = open_vault(VaultSettings.from_env(before)).put_many(
        [KeptValue("e2", "PHONE_NUMBER", "u_b", "+48 601 2")]
    )
    assert chatguard(["vault", "reveal", first, "--reason", REASON], after).returncode != 0  # old key not loaded
    opened = chatguard(["vault", "reveal", first, "--reason", REASON], during)
    assert opened.returncode == 0 and orjson.loads(opened.stdout)["value"] == "+48 601 1"

    rotated = chatguard(["vault", "rotate-master"], during)
    assert rotated.returncode == 0 and "2 subject keys re-wrapped" in rotated.stderr, rotated.stderr
    for ref, value in ((first, "+48 601 1"), (second, "+48 601 2")):
        done = chatguard(["vault", "reveal", ref, "--reason", REASON], after)
        assert done.returncode == 0 and orjson.loads(done.stdout)["value"] == value, done.stderr
    assert chatguard(["vault", "rotate-master"], after).returncode == 0  # nothing left: re-runnable

    # A process that was not restarted still wraps new senders' keys under the old master key:
    # without the previous key the rotation says so; with it, it re-wraps them.
    (late,) = open_vault(VaultSettings.from_env(before)).put_many([KeptValue("e3", "PHONE_NUMBER", "u_c", "+48 601 3")])
    refused = chatguard(["vault", "rotate-master"], after)
    assert refused.returncode != 0 and "not loaded" in refused.stderr, refused.stderr
    assert chatguard(["vault", "rotate-master"], during).returncode == 0
    assert orjson.loads(chatguard(["vault", "reveal", late, "--reason", REASON], after).stdout)["value"] == "+48 601 3"
