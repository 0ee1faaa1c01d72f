"""RedactedMessage v1: what the clean topics carry. Never holds an original value."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypeGuard, cast

from schemas import validation as v
from schemas.errors import SchemaError
from schemas.forms import SubmittedField, submitted_fields
from schemas.raw import CHANNEL_KINDS, ChannelKind

REDACTED_MESSAGE_VERSION = 1
_FIELDS = frozenset(
    {
        "schema_version",
        "event_id",
        "channel",
        "channel_kind",
        "conversation_id",
        "sender",
        "sent_at",
        "text",
        "findings",
        "policy",
        "policy_version",
        "processed_at",
        "form",
    }
)
_FINDING_FIELDS = frozenset({"entity_type", "start", "end", "score", "vault_ref"})


@dataclass(frozen=True, slots=True)
class Finding:
    """One detected value: its type and where its replacement sits in the *redacted* text."""

    entity_type: str
    start: int
    end: int
    score: float
    # The value's ref in the client-held vault (random, never derived from the value): a key
    # holder reveals it with a reason. None when the worker runs without a vault.
    vault_ref: str | None = None

    @classmethod
    def from_dict(cls, data: Any, index: int) -> Finding:
        where = f"findings[{index}]"
        obj = v.require_object(data, where)
        v.reject_unknown(obj, _FINDING_FIELDS, prefix=f"{where}.")
        start, end, score = obj.get("start"), obj.get("end"), obj.get("score")
        if not _is_int(start) or start < 0:
            raise SchemaError(f"{where}.start", "must be an integer >= 0")
        if not _is_int(end) or end < start:
            raise SchemaError(f"{where}.end", "must be an integer >= start")
        if not isinstance(score, (int, float)) or isinstance(score, bool) or not 0 <= score <= 1:
            raise SchemaError(f"{where}.score", "must be a number between 0 and 1")
        vault_ref = obj.get("vault_ref")
        if vault_ref is not None and not isinstance(vault_ref, str):
            raise SchemaError(f"{where}.vault_ref", "must be a string or null")
        try:
            entity_type = v.identifier(obj, "entity_type")
        except SchemaError as exc:
            raise SchemaError(f"{where}.entity_type", exc.reason) from None
        return cls(
            entity_type=entity_type,
            start=start,
            end=end,
            score=float(score),
            vault_ref=vault_ref,
        )


@dataclass(frozen=True, slots=True)
class RedactedMessage:
    event_id: str
    channel: str
    channel_kind: ChannelKind
    conversation_id: str
    sender: str  # keyed pseudonym of the raw sender_id
    sent_at: str
    text: str  # redacted
    findings: tuple[Finding, ...]
    policy: str  # destination policy name: analytics, storage, nlp
    policy_version: str
    processed_at: str  # RFC 3339, UTC
    form: tuple[SubmittedField, ...] = ()  # a secure form's fields and refs, copied from chat.raw
    schema_version: int = REDACTED_MESSAGE_VERSION

    @classmethod
    def from_dict(cls, data: Any) -> RedactedMessage:
        obj = v.require_object(data)
        v.reject_unknown(obj, _FIELDS)
        findings = obj.get("findings")
        if not isinstance(findings, list):
            raise SchemaError("findings", "required, must be an array")
        text = v.text(obj, "text")
        parsed = tuple(Finding.from_dict(item, i) for i, item in enumerate(findings))
        for i, finding in enumerate(parsed):
            if finding.end > len(text):
                raise SchemaError(f"findings[{i}].end", "beyond the end of text")
        return cls(
            schema_version=v.version(obj, "schema_version", REDACTED_MESSAGE_VERSION),
            event_id=v.identifier(obj, "event_id"),
            channel=v.identifier(obj, "channel"),
            # one_of checked it against CHANNEL_KINDS, the values of ChannelKind.
            channel_kind=cast(ChannelKind, v.one_of(obj, "channel_kind", CHANNEL_KINDS)),
            conversation_id=v.identifier(obj, "conversation_id"),
            sender=v.identifier(obj, "sender"),
            sent_at=v.timestamp(obj, "sent_at"),
            text=text,
            findings=parsed,
            policy=v.identifier(obj, "policy"),
            policy_version=v.identifier(obj, "policy_version"),
            processed_at=v.timestamp(obj, "processed_at"),
            form=submitted_fields(obj.get("form")),
        )


def _is_int(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)
