"""The contract between the pipeline and whatever keeps detected values (the vault).

The pipeline hands each batch's detected values to a ``ValueKeeper`` and writes the refs it gets
back as ``vault_ref`` on the clean events' findings; it never learns how values are kept. The
keeper is found through the ``chatguard.value_keepers`` entry point (``runtime.plugins``), so the
pipeline does not import the vault and runs without it (``CHATGUARD_VAULT=off``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class KeptValue:
    """One detected value to keep: the event it came from, its type, whose it is."""

    event_id: str
    entity_type: str
    subject: str  # the sender's keyed pseudonym, as on the clean topics
    value: str
    conversation: str = ""  # the conversation's keyed pseudonym: a secure form pre-fills from it
    sent_at: str = ""  # the event's RFC 3339 time: a value sent before its sender's erasure is not kept

    def __repr__(self) -> str:
        return (
            f"KeptValue(event_id={self.event_id!r}, entity_type={self.entity_type!r}, subject={self.subject!r}, "
            f"conversation={self.conversation!r}, value=***)"
        )


@dataclass(frozen=True, slots=True)
class ReplyAddress:
    """Where a sender can be reached again: one conversation's raw ids. A person who later sends
    them a secure form (the console's contest winners) knows them only by pseudonym; the bot that
    posts the link needs the ids. Raw ids identify a person (a Telegram user id), so the keeper
    holds them as it holds values: sealed under the sender's key, erased with it."""

    subject: str  # the sender's keyed pseudonym
    conversation: str  # the conversation's keyed pseudonym
    channel: str
    channel_kind: str
    conversation_id: str
    sender_id: str
    sent_at: str = ""  # as KeptValue's: an address sent before its sender's erasure is not kept

    def __repr__(self) -> str:
        return f"ReplyAddress(subject={self.subject!r}, conversation={self.conversation!r}, ids=***)"


class ValueKeeper(Protocol):
    def put_many(self, items: Sequence[KeptValue], reply_to: Sequence[ReplyAddress] = ()) -> list[str]:
        """Keep ``items`` and ``reply_to`` (all or none); the items' refs, in order: random, never
        derived from a value."""
        ...
