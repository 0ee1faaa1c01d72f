"""HMAC helpers every signed channel uses. All comparisons are constant-time."""

from __future__ import annotations

import hashlib
import hmac
import time

from connectors.errors import Unauthorized


def hmac_sha256_hex(secret: bytes, message: bytes) -> str:
    return hmac.new(secret, message, hashlib.sha256).hexdigest()


def require_equal(expected: str, given: str | None, what: str) -> None:
    if not given or not hmac.compare_digest(expected.encode(), given.encode()):
        raise Unauthorized(f"{what} missing or wrong")


def require_fresh(timestamp: str | None, max_age_s: int, now: float | None = None, what: str = "timestamp") -> int:
    """A Unix-seconds timestamp no further than ``max_age_s`` from now (replay protection)."""
    if not timestamp or not (timestamp.isascii() and timestamp.isdigit()):
        raise Unauthorized(f"{what} missing or not Unix seconds", "bad_timestamp")
    value = int(timestamp)
    if abs((time.time() if now is None else now) - value) > max_age_s:
        raise Unauthorized(f"{what} older than {max_age_s} s (or in the future)", "stale_timestamp")
    return value
