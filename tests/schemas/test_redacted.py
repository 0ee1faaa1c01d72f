"""RedactedMessage v1 and its findings: round trip and bounds."""

from __future__ import annotations

import pytest

from schemas.codec import decode_redacted, encode
from schemas.errors import SchemaError
from schemas.redacted import Finding, RedactedMessage

REQUIRED = (
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
)


def _refused(doc) -> SchemaError:
    with pytest.raises(SchemaError) as info:
        RedactedMessage.from_dict(doc)
    return info.value


def test_valid_document(redacted_doc):
    doc = redacted_doc()
    msg = RedactedMessage.from_dict(doc)
    assert msg.text == doc["text"]
    assert msg.findings == (Finding("EMAIL_ADDRESS", 12, 27, 1.0, None),)
    assert msg.text[12:27] == "*" * 15
    assert (msg.policy, msg.policy_version, msg.sender) == ("storage", "1", doc["sender"])


def test_round_trip_through_the_codec():
    msg = RedactedMessage(
        event_id="web:1",
        channel="web",
        channel_kind="public",
        conversation_id="c1",
        sender="u_00112233aabbccdd",
        sent_at="2026-11-29T10:00:00.5-02:00",
        text="Hi <PERSON>, mail <EMAIL_ADDRESS>",
        findings=(Finding("PERSON", 3, 11, 0.85), Finding("EMAIL_ADDRESS", 18, 33, 1.0, "vault:abc")),
        policy="nlp",
        policy_version="2",
        processed_at="2026-11-29T12:00:00.000Z",
    )
    assert msg.text[3:11] == "<PERSON>" and msg.text[18:33] == "<EMAIL_ADDRESS>"
    again = decode_redacted(encode(msg))
    assert again == msg
    assert isinstance(again.findings, tuple)
    assert encode(again) == encode(msg)


def test_empty_findings(redacted_doc):
    assert RedactedMessage.from_dict(redacted_doc(findings=[], text="plain")).findings == ()


@pytest.mark.parametrize("field", REQUIRED)
def test_missing_required_field_is_named(redacted_doc, field):
    assert _refused(redacted_doc(drop=(field,))).field == field


@pytest.mark.parametrize(
    "field, value",
    [
        ("findings", {}),
        ("findings", "none"),
        ("sender", 12),
        ("policy", ""),
        ("policy_version", 1),
        ("processed_at", "yesterday"),
        ("processed_at", "2026-11-29T10:00:00"),
        ("sent_at", "2026-02-30T10:00:00Z"),
        ("channel_kind", "team"),
        ("schema_version", 2),
    ],
)
def test_bad_field_is_named(redacted_doc, field, value):
    assert _refused(redacted_doc(**{field: value})).field == field


def test_unknown_field_rejected(redacted_doc):
    assert _refused(redacted_doc(original_text="Jane")).field == "original_text"


# text is "My email is *************** ok" (30 characters).
START = ("findings[0].start",)
END = ("findings[0].end",)


@pytest.mark.parametrize(
    "finding, fields",
    [
        ({"start": -1}, START),
        ({"start": 10, "end": 5}, END),
        ({"start": 1.0}, START),
        ({"end": "27"}, END),
        ({"start": True, "end": 27}, START),
        ({"start": None}, START),
        ({"end": 31}, ("findings[0].end",)),
        ({"score": 1.01}, ("findings[0].score",)),
        ({"score": -0.01}, ("findings[0].score",)),
        ({"score": "1"}, ("findings[0].score",)),
        ({"score": True}, ("findings[0].score",)),
        ({"score": None}, ("findings[0].score",)),
        ({"vault_ref": 5}, ("findings[0].vault_ref",)),
        ({"entity_type": ""}, ("findings[0].entity_type",)),
        ({"entity_type": 3}, ("findings[0].entity_type",)),
        ({"value": "jane@example.com"}, ("findings[0].value",)),
    ],
)
def test_finding_bounds(redacted_doc, finding_doc, finding, fields):
    exc = _refused(redacted_doc(findings=[finding_doc(**finding)]))
    assert exc.field in fields
    assert "jane" not in str(exc)


@pytest.mark.parametrize(
    "finding",
    [
        {"start": 0, "end": 0},
        {"start": 30, "end": 30},  # empty, at the very end
        {"start": 0, "end": 30},
        {"score": 0},
        {"score": 1},
        {"score": 0.3},
        {"vault_ref": "vault:xyz"},
    ],
)
def test_finding_edges_accepted(redacted_doc, finding_doc, finding):
    msg = RedactedMessage.from_dict(redacted_doc(findings=[finding_doc(**finding)]))
    assert 0 <= msg.findings[0].start <= msg.findings[0].end <= len(msg.text)
    assert isinstance(msg.findings[0].score, float)


def test_finding_without_vault_ref(redacted_doc, finding_doc):
    msg = RedactedMessage.from_dict(redacted_doc(findings=[finding_doc(drop=("vault_ref",))]))
    assert msg.findings[0].vault_ref is None


def test_second_finding_is_named_by_index(redacted_doc, finding_doc):
    exc = _refused(redacted_doc(findings=[finding_doc(), finding_doc(start=20, end=40)]))
    assert exc.field == "findings[1].end"


def test_finding_not_an_object(redacted_doc):
    assert _refused(redacted_doc(findings=[["EMAIL_ADDRESS", 1, 2]])).field == "findings[0]"


def test_unknown_finding_key_not_echoed(redacted_doc, finding_doc):
    exc = _refused(redacted_doc(findings=[finding_doc(**{"jane@example.com": 1})]))
    assert exc.reason == "unknown field"
    assert "jane" not in str(exc)
