"""Keyed pseudonyms: how the clean topics name senders, conversations and values.

The same input and key always give the same token; without the key no token can be reversed
or tested against a guess. Part of the contract: a service holding the key (the widget,
matching a visitor's stream) derives the same ``conversation`` token the worker wrote.
"""

from __future__ import annotations

import hashlib
import hmac


class Pseudonymiser:
    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            raise ValueError("pseudonym key: at least 16 bytes")
        self._key = key

    def __repr__(self) -> str:
        return "Pseudonymiser(key=***)"

    def _digest(self, *parts: str) -> str:
        # Domain separation: a sender id, a conversation id and a detected value never share a
        # pseudonym, nor do two channels' ids.
        message = "\x00".join(parts).encode("utf-8")
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()[:16]

    def sender(self, channel: str, sender_id: str) -> str:
        return "u_" + self._digest("sender", channel, sender_id)

    def conversation(self, channel: str, conversation_id: str) -> str:
        """The clean topics' ``conversation_id`` and Kafka key: a platform's conversation id
        is often a person's own id (a Telegram private chat's, Messenger's page:PSID)."""
        return "c_" + self._digest("conversation", channel, conversation_id)

    def value(self, entity_type: str, value: str) -> str:
        # Case, spaces and punctuation do not make another person: "Anna Nowak" and
        # "anna  nowak", "+48 601-234-567" and "+48601234567" join as one.
        canonical = "".join(ch for ch in value.casefold() if ch.isalnum())
        return self._digest("value", entity_type, canonical)
