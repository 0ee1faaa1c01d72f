"""What a bot may ask for (``POST /forms``) and what a visitor may submit: checked before any write.

Problems name the field and what is wrong with it, never the value.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from schemas import validation as v
from schemas.errors import SchemaError
from schemas.forms import FIELDS, field_names
from schemas.raw import CHANNEL_KINDS, CHANNEL_NAME, ChannelKind
from vault.errors import FormInvalid

_REQUEST_FIELDS = frozenset({"channel", "channel_kind", "conversation_id", "sender_id", "fields", "prefill"})

# Loose on purpose: the visitor knows their data, the form only catches slips of the finger.
_SHAPES: dict[str, tuple[re.Pattern[str], str]] = {
    "email": (re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+"), "an e-mail address like name@example.com"),
    "phone": (re.compile(r"\+?[0-9][0-9 ()./-]{4,38}"), "a phone number: digits, spaces, + ( ) - ."),
    "pesel": (re.compile(r"[0-9]{11}"), "11 digits"),
}


@dataclass(frozen=True, slots=True)
class FormRequest:
    """A bot's request for a form: whose conversation, which fields, whether to pre-fill."""

    channel: str
    channel_kind: ChannelKind
    conversation_id: str
    sender_id: str
    fields: tuple[str, ...]
    prefill: bool = False

    def __repr__(self) -> str:  # the raw ids are a person's: keep them out of logs
        return f"FormRequest(channel={self.channel!r}, fields={self.fields!r}, prefill={self.prefill})"

    @classmethod
    def from_dict(cls, data: Any) -> FormRequest:
        obj = v.require_object(data, "body")
        v.reject_unknown(obj, _REQUEST_FIELDS)
        prefill = obj.get("prefill", False)
        if not isinstance(prefill, bool):
            raise SchemaError("prefill", "true or false")
        kind = cast(ChannelKind, v.one_of(obj, "channel_kind", CHANNEL_KINDS))
        if prefill and kind != "private":
            # A link posted in a public channel is opened by whoever reads it.
            raise SchemaError("prefill", "only for private channels: anyone in a public channel could open the link")
        return cls(
            channel=v.matching(obj, "channel", CHANNEL_NAME, "a lower-case channel name like web or slack"),
            channel_kind=kind,
            conversation_id=v.identifier(obj, "conversation_id"),
            sender_id=v.identifier(obj, "sender_id"),
            fields=field_names(obj.get("fields")),
            prefill=prefill,
        )


def checked_values(fields: tuple[str, ...], submitted: Mapping[str, str]) -> dict[str, str]:
    """The submitted values of ``fields``, trimmed; FormInvalid names every field in trouble."""
    if set(submitted) - set(fields):
        raise SchemaError("form", "a field this form does not have was sent")
    problems: dict[str, str] = {}
    values: dict[str, str] = {}
    for name in fields:
        kind = FIELDS[name]
        value = " ".join(submitted.get(name, "").split())
        if not value:
            problems[name] = "required"
        elif len(value) > kind.max_length:
            problems[name] = f"at most {kind.max_length} characters"
        elif not value.isprintable():  # control, format (invisible) and unassigned characters
            problems[name] = "holds control or invisible characters"
        elif name in _SHAPES and not _SHAPES[name][0].fullmatch(value):
            problems[name] = _SHAPES[name][1]
        else:
            values[name] = value
    if problems:
        raise FormInvalid(fields, problems)
    return values
