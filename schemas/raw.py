"""RawMessage v1: one chat message as a connector received it. Lives only on ``chat.raw``."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from schemas import validation as v
from schemas.forms import SubmittedField, submitted_fields

RAW_MESSAGE_VERSION = 1
CHANNEL_KINDS = frozenset({"private", "public"})
CHANNEL_NAME = re.compile(r"[a-z][a-z0-9_-]{0,31}")
_FIELDS = frozenset(
    {
        "schema_version",
        "event_id",
        "channel",
        "channel_kind",
        "conversation_id",
        "sender_id",
        "sent_at",
        "text",
        "metadata",
        "form",
    }
)

ChannelKind = Literal["private", "public"]


@dataclass(frozen=True, slots=True)
class RawMessage:
    event_id: str
    channel: str  # web, mobile, messenger, slack, telegram, http, ...
    channel_kind: ChannelKind
    conversation_id: str
    sender_id: str
    sent_at: str  # RFC 3339
    text: str
    metadata: dict[str, str | int | float | bool | None] = field(default_factory=dict)
    form: tuple[SubmittedField, ...] = ()  # a secure form's fields and refs (schemas.forms)
    schema_version: int = RAW_MESSAGE_VERSION

    @classmethod
    def from_dict(cls, data: Any) -> RawMessage:
        """Validate a decoded JSON object; raises SchemaError naming the first bad field."""
        obj = v.require_object(data)
        v.reject_unknown(obj, _FIELDS)
        return cls(
            schema_version=v.version(obj, "schema_version", RAW_MESSAGE_VERSION),
            event_id=v.identifier(obj, "event_id"),
            channel=v.matching(obj, "channel", CHANNEL_NAME, "a lower-case channel name like web or slack"),
            # one_of checked it against CHANNEL_KINDS, the values of ChannelKind.
            channel_kind=cast(ChannelKind, v.one_of(obj, "channel_kind", CHANNEL_KINDS)),
            conversation_id=v.identifier(obj, "conversation_id"),
            sender_id=v.identifier(obj, "sender_id"),
            sent_at=v.timestamp(obj, "sent_at"),
            text=v.text(obj, "text"),
            metadata=v.metadata(obj, "metadata"),
            form=submitted_fields(obj.get("form")),
        )
