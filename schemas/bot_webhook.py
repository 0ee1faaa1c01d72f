"""The call chatguard makes to a bot: "post this secure form link into this conversation".

A person in the console sends a contest winner a form; the vault issues it and POSTs
``{"type": "secure_form", ...}`` (``FormLink``) to ``CHATGUARD_FORMS_BOT_WEBHOOK_URL``, signed
with the bot's token (``CHATGUARD_FORMS_BOT_TOKEN``, the secret the bot already shares with
chatguard) as ``X-Chatguard-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">``.
The bot checks it with ``verify`` before it posts anything, and answers 2xx once the link is
posted: any other answer withdraws the form. Pure functions: both sides import them.
"""

from __future__ import annotations

import hashlib
import hmac
import re

SIGNATURE_HEADER = "X-Chatguard-Signature"
TOLERANCE_S = 300
_SIGNATURE = re.compile(r"t=(\d{1,12}),v1=([0-9a-f]{64})")


class BadSignature(ValueError):
    """A call not from chatguard (no, malformed or wrong signature), or too old to trust."""


def sign(secret: bytes, body: bytes, at: int) -> str:
    mac = hmac.new(secret, str(at).encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def verify(secret: bytes, body: bytes, header: str | None, now: float) -> None:
    """Raise BadSignature unless ``header`` signs ``body`` under ``secret`` within TOLERANCE_S of ``now``."""
    found = _SIGNATURE.fullmatch(header or "")
    if found is None:
        raise BadSignature(f"{SIGNATURE_HEADER}: missing or not t=<seconds>,v1=<64 hex digits>")
    at = int(found.group(1))
    if abs(now - at) > TOLERANCE_S:
        raise BadSignature(f"{SIGNATURE_HEADER}: signed more than {TOLERANCE_S} s from now (a replay?)")
    if not hmac.compare_digest(sign(secret, body, at), found.group(0)):
        raise BadSignature(f"{SIGNATURE_HEADER}: does not match the body")
