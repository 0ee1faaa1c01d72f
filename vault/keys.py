"""Master keys: they wrap each data subject's key (envelope encryption).

A ``KeyProvider`` wraps and unwraps data keys; the default reads 32-byte keys from files (64 hex
characters, e.g. ``openssl rand -hex 32``). A KMS or HashiCorp Vault Transit fits the same
Protocol: ``wrap`` sends the data key to be encrypted under the current master key and returns
that key's id with the result; ``unwrap`` asks for the key with that id. Key ids are stored with
every wrapped key, so master-key rotation re-wraps subject keys one by one and a half-rotated
vault still opens.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from schemas.errors import ConfigError

NONCE_BYTES = 12


class KeyProvider(Protocol):
    @property
    def key_id(self) -> str:
        """The id of the master key ``wrap`` uses."""
        ...

    def wrap(self, data_key: bytes, subject: str) -> tuple[str, bytes]: ...

    def unwrap(self, key_id: str, wrapped: bytes, subject: str) -> bytes: ...


class UnknownMasterKey(ConfigError):
    """A subject key is wrapped under a master key this provider does not hold."""


def key_id_of(master: bytes) -> str:
    """A master key's public name: a hash prefix, from which the key cannot be recovered."""
    return "mk_" + hashlib.sha256(b"chatguard vault master key id\x00" + master).hexdigest()[:16]


def _aad(subject: str, key_id: str) -> bytes:
    # A wrapped key opens only for its own subject and under its own master key id.
    return b"chatguard-vault-subject-key\x00" + subject.encode() + b"\x00" + key_id.encode()


class LocalKeys:
    """Master keys held in this process: the current one wraps, every one given unwraps."""

    def __init__(self, current: bytes, *others: bytes) -> None:
        if any(len(key) != 32 for key in (current, *others)):
            raise ConfigError("vault master key: must be 32 bytes (64 hex characters)")
        self._current_id = key_id_of(current)
        self._keys = {key_id_of(key): AESGCM(key) for key in (*others, current)}

    def __repr__(self) -> str:
        return f"LocalKeys(current={self._current_id}, held={len(self._keys)})"

    @property
    def key_id(self) -> str:
        return self._current_id

    def wrap(self, data_key: bytes, subject: str) -> tuple[str, bytes]:
        nonce = os.urandom(NONCE_BYTES)
        return self._current_id, nonce + self._keys[self._current_id].encrypt(
            nonce, data_key, _aad(subject, self._current_id)
        )

    def unwrap(self, key_id: str, wrapped: bytes, subject: str) -> bytes:
        aead = self._keys.get(key_id)
        if aead is None:
            raise UnknownMasterKey(f"vault: a subject key is wrapped under master key {key_id}, which is not loaded")
        return aead.decrypt(wrapped[:NONCE_BYTES], wrapped[NONCE_BYTES:], _aad(subject, key_id))


def read_master_key(path: str | os.PathLike[str]) -> bytes:
    """A master key file: 64 hex characters (whitespace around them ignored). Errors name the
    file, never its content."""
    name = f"vault master key file {os.fspath(path)}"
    try:
        if Path(path).stat().st_mode & 0o077:
            raise ConfigError(f"{name}: readable by others; allow its owner only (chmod 600)")
        text = Path(path).read_text(encoding="ascii").strip()
    except FileNotFoundError:
        raise ConfigError(f"{name}: not found (make one with: openssl rand -hex 32 > FILE)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{name}: cannot read ({type(exc).__name__})") from None
    if len(text) != 64 or any(c not in "0123456789abcdefABCDEF" for c in text):
        raise ConfigError(f"{name}: must hold 64 hex characters (openssl rand -hex 32)")
    key = bytes.fromhex(text)
    if len(set(key)) < 8:
        raise ConfigError(f"{name}: not a random key (openssl rand -hex 32)")
    return key
