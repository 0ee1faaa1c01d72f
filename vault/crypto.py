"""Values under a data subject's key: AES-256-GCM, the value bound to where it belongs.

The associated data binds a ciphertext to its ref, event, entity type and subject: a row copied
onto another ref, event or person does not decrypt. A fresh 96-bit nonce per value; one data key
encrypts one subject's values only, far below GCM's per-key limits.
"""

from __future__ import annotations

import os

import orjson
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12
DATA_KEY_BYTES = 32
FORMAT = 1  # first byte of every sealed value: how to open it


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=DATA_KEY_BYTES * 8)


def associated_data(ref: str, event_id: str, entity_type: str, subject: str) -> bytes:
    return orjson.dumps(["chatguard-vault-value", FORMAT, ref, event_id, entity_type, subject])


def seal(data_key: bytes, value: str, aad: bytes) -> bytes:
    nonce = os.urandom(NONCE_BYTES)
    return bytes([FORMAT]) + nonce + AESGCM(data_key).encrypt(nonce, value.encode("utf-8"), aad)


def open_sealed(data_key: bytes, sealed: bytes, aad: bytes) -> str:
    """The value; ``cryptography.exceptions.InvalidTag`` if the key, the data or the binding differ."""
    if not sealed or sealed[0] != FORMAT:
        raise InvalidTag  # not a value this vault sealed: as good as tampered with
    nonce, body = sealed[1 : 1 + NONCE_BYTES], sealed[1 + NONCE_BYTES :]
    return AESGCM(data_key).decrypt(nonce, body, aad).decode("utf-8")
