"""Keyed pseudonyms: the same input and key always give the same token; no key, no reversal."""

from __future__ import annotations

import hashlib
import hmac


class Pseudonymiser:
    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("pseudonym key: at least 16 bytes")
        self._key = key

    def _digest(self, *parts: str) -> str:
        # Domain separation: a sender id and a detected value never share a pseudonym.
        message = "\x00".join(parts).encode("utf-8")
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:16]

    def sender(self, channel: str, sender_id: str) -> str:
        return "u_" + self._digest("sender", channel, sender_id)

    def value(self, entity_type: str, value: str) -> str:
        # Case, spaces and punctuation do not make another person: "Anna Nowak" and
        # "anna  nowak", "+48 601-234-567" and "+48601234567" join as one.
        canonical = "".join(ch for ch in value.casefold() if ch.isalnum())
        return self._digest("value", entity_type, canonical)
