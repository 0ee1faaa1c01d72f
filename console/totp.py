"""Second factor: TOTP (RFC 6238, pyotp) and one-time recovery codes.

A code is accepted once: the last accepted time step is stored, and a code of that step or an
earlier one is refused (RFC 6238 section 5.2). One step of clock drift either way is allowed.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time

import pyotp

ISSUER = "chatguard"
STEP_S = 30
RECOVERY_CODES = 10


def new_secret() -> str:
    return pyotp.random_base32(32)  # 160 bits, as RFC 4226 recommends


def provisioning_uri(secret: str, username: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def qr_svg(uri: str) -> str:
    import segno

    return segno.make(uri, error="m").svg_inline(scale=4)


def accepted_step(secret: str, code: str, last_step: int | None, now: float | None = None) -> int | None:
    """The time step ``code`` belongs to, if valid and newer than ``last_step``; else None."""
    code = "".join(code.split())
    if not re.fullmatch(r"[0-9]{6}", code):  # ASCII only: str.isdigit() takes ١٢٣٤٥٦ too
        return None
    now = time.time() if now is None else now
    totp = pyotp.TOTP(secret)
    current = int(now // STEP_S)
    for step in (current - 1, current, current + 1):
        if secrets.compare_digest(totp.at(step * STEP_S).encode(), code.encode()) and (
            last_step is None or step > last_step
        ):
            return step
    return None


def new_recovery_codes() -> list[str]:
    """Ten codes of three groups of 6 hex digits (72 bits each), shown once, kept as SHA-256."""
    return ["-".join(secrets.token_hex(3) for _ in range(3)) for _ in range(RECOVERY_CODES)]


def code_hash(code: str) -> str:
    return hashlib.sha256("".join(code.lower().split()).encode()).hexdigest()
