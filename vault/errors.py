"""The vault's refusals: each names what was refused, never a value."""

from __future__ import annotations

from schemas.errors import ChatguardError


class RevealRefused(ChatguardError):
    """A reveal that returns nothing: unknown, erased or expired ref, or a ref whose subject key
    is gone. One answer for all, so a caller cannot tell an erased ref from one never issued."""

    http_status = 404
    exit_code = 1
    metric_reason = "reveal_refused"


class BadReason(ChatguardError):
    """A reveal or erasure without an acceptable reason."""

    http_status = 400
    exit_code = 2
    metric_reason = "bad_reason"
