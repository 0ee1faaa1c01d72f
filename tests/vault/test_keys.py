"""Master key files: 64 hex characters, readable by their owner only; errors never quote them."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import pytest

from schemas.errors import ConfigError
from vault.keys import LocalKeys, key_id_of, read_master_key


def key_file(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "master.key"
    path.write_text(text)
    path.chmod(mode)
    return path


def test_a_key_file_of_64_hex_characters_is_read(tmp_path):
    hex_key = secrets.token_hex(32)
    assert read_master_key(key_file(tmp_path, hex_key + "\n")) == bytes.fromhex(hex_key)


@pytest.mark.parametrize(
    ("text", "mode", "says"),
    [
        ("ab" * 31, 0o600, "64 hex characters"),
        ("zz" * 32, 0o600, "64 hex characters"),
        ("00" * 32, 0o600, "not a random key"),
        (secrets.token_hex(32), 0o644, "readable by others"),
    ],
)
def test_a_bad_key_file_is_refused_naming_the_file_not_the_key(tmp_path, text, mode, says):
    path = key_file(tmp_path, text, mode)
    with pytest.raises(ConfigError, match=says) as refused:
        read_master_key(path)
    assert str(path) in str(refused.value) and text not in str(refused.value)


def test_a_missing_key_file_says_how_to_make_one(tmp_path):
    with pytest.raises(ConfigError, match="openssl rand -hex 32"):
        read_master_key(tmp_path / "nope.key")


def test_a_wrapped_key_opens_for_its_subject_and_master_key_only():
    master = os.urandom(32)
    keys = LocalKeys(master)
    key_id, wrapped = keys.wrap(b"k" * 32, "u_00000000000000a1")
    assert key_id == key_id_of(master) and keys.unwrap(key_id, wrapped, "u_00000000000000a1") == b"k" * 32
    from cryptography.exceptions import InvalidTag

    with pytest.raises(InvalidTag):
        keys.unwrap(key_id, wrapped, "u_00000000000000b2")
    with pytest.raises(ConfigError, match="not loaded"):
        LocalKeys(os.urandom(32)).unwrap(key_id, wrapped, "u_00000000000000a1")
