"""The bot webhook's signature: what a bot accepts from chatguard and what it refuses."""

from __future__ import annotations

import pytest

from schemas.bot_webhook import TOLERANCE_S, BadSignature, sign, verify

SECRET, BODY, AT = b"k" * 32, b'{"type":"secure_form","url":"https://f.example/f/x"}', 1_800_000_000


def test_a_signed_body_verifies():
    verify(SECRET, BODY, sign(SECRET, BODY, AT), AT + TOLERANCE_S)


@pytest.mark.parametrize(
    ("header", "now", "says"),
    [
        (None, AT, "missing"),
        ("", AT, "missing"),
        ("v1=" + "0" * 64, AT, "missing"),
        (sign(SECRET, BODY, AT).upper(), AT, "missing"),
        (sign(SECRET, BODY, AT) + ",v1=" + "0" * 64, AT, "missing"),
        (sign(SECRET, BODY, AT), AT + TOLERANCE_S + 1, "replay"),
        (sign(SECRET, BODY, AT), AT - TOLERANCE_S - 1, "replay"),
        (sign(b"another secret", BODY, AT), AT, "does not match"),
        (sign(SECRET, BODY + b" ", AT), AT, "does not match"),
        (sign(SECRET, BODY, AT).replace(f"t={AT}", f"t={AT + 1}"), AT, "does not match"),
    ],
)
def test_refused(header, now, says):
    with pytest.raises(BadSignature, match=says):
        verify(SECRET, BODY, header, now)
