"""RawMessage v1: what a valid event looks like, and how each kind of broken one is refused."""

from __future__ import annotations

import pytest

from schemas.errors import SchemaError
from schemas.raw import RAW_MESSAGE_VERSION, RawMessage
from schemas.validation import MAX_ID_LENGTH, MAX_METADATA_KEYS, MAX_METADATA_VALUE_LENGTH, MAX_TEXT_LENGTH

REQUIRED = ("event_id", "channel", "channel_kind", "conversation_id", "sender_id", "sent_at", "text")

# Looks like personal data; must never be echoed by an error message.
LEAK = "jane.doe.leak@example.com"


def _refused(doc) -> SchemaError:
    with pytest.raises(SchemaError) as info:
        RawMessage.from_dict(doc)
    return info.value


def test_valid_document_gives_every_field(raw_doc):
    doc = raw_doc()
    msg = RawMessage.from_dict(doc)
    assert msg.event_id == doc["event_id"]
    assert msg.channel == "web"
    assert msg.channel_kind == "private"
    assert msg.conversation_id == doc["conversation_id"]
    assert msg.sender_id == doc["sender_id"]
    assert msg.sent_at == doc["sent_at"]
    assert msg.text == doc["text"]
    assert msg.metadata == doc["metadata"]
    assert msg.schema_version == RAW_MESSAGE_VERSION == 1


@pytest.mark.parametrize("optional", ["schema_version", "metadata"])
def test_optional_fields_default(raw_doc, optional):
    msg = RawMessage.from_dict(raw_doc(drop=(optional,)))
    assert msg.schema_version == 1
    if optional == "metadata":
        assert msg.metadata == {}


@pytest.mark.parametrize("field", REQUIRED)
def test_missing_required_field_is_named(raw_doc, field):
    exc = _refused(raw_doc(drop=(field,)))
    assert exc.field == field
    assert str(exc).startswith(f"{field}: ")


@pytest.mark.parametrize("field", REQUIRED)
def test_null_required_field_is_named(raw_doc, field):
    assert _refused(raw_doc(**{field: None})).field == field


@pytest.mark.parametrize(
    "field, value",
    [
        ("event_id", 42),
        ("event_id", ["a"]),
        ("channel", 5),
        ("channel_kind", 1),
        ("channel_kind", True),
        ("channel_kind", []),
        ("channel_kind", {"kind": "private"}),
        ("conversation_id", True),
        ("sender_id", {"id": "x"}),
        ("sender_id", 7.5),
        ("sent_at", 1_764_410_400),
        ("text", 3),
        ("text", ["hello"]),
        ("metadata", "locale=en"),
        ("metadata", ["en"]),
        ("schema_version", "1"),
        ("schema_version", True),
        ("schema_version", 2),
        ("schema_version", None),
    ],
)
def test_wrong_type_is_named(raw_doc, field, value):
    assert _refused(raw_doc(**{field: value})).field == field


@pytest.mark.parametrize("kind", ["private", "public"])
def test_channel_kinds_accepted(raw_doc, kind):
    assert RawMessage.from_dict(raw_doc(channel_kind=kind)).channel_kind == kind


@pytest.mark.parametrize("kind", ["Private", "PUBLIC", "group", "", " private"])
def test_bad_channel_kind(raw_doc, kind):
    assert _refused(raw_doc(channel_kind=kind)).field == "channel_kind"


@pytest.mark.parametrize("channel", ["web", "slack", "x", "http", "line_2", "my-bot", "a" * 32])
def test_channel_names_accepted(raw_doc, channel):
    assert RawMessage.from_dict(raw_doc(channel=channel)).channel == channel


@pytest.mark.parametrize("channel", ["", "Web", "2web", "-web", "web chat", "a" * 33, "web\n", "wéb", "web.app"])
def test_bad_channel_names(raw_doc, channel):
    assert _refused(raw_doc(channel=channel)).field == "channel"


@pytest.mark.parametrize(
    "sent_at",
    [
        "2026-11-29T10:00:00Z",
        "2026-11-29T10:00:00+00:00",
        "2026-11-29T10:00:00-00:00",
        "2026-11-29T10:00:00+05:30",
        "2026-11-29T10:00:00-11:00",
        "2026-11-29T10:00:00.5Z",
        "2026-11-29T10:00:00.123+01:00",
        "2026-11-29T10:00:00.123456Z",
        "2026-11-29T10:00:00.123456789-03:00",
        "2026-11-29 10:00:00Z",
        "2026-11-29t10:00:00Z",
        # RFC 3339 5.6: "T" and "Z" may be lower case; the pattern says so too.
        "2026-11-29T10:00:00z",
        "2026-11-29t10:00:00.25z",
        "2024-02-29T23:59:59Z",
    ],
)
def test_rfc3339_variants_accepted_and_kept_verbatim(raw_doc, sent_at):
    assert RawMessage.from_dict(raw_doc(sent_at=sent_at)).sent_at == sent_at


@pytest.mark.parametrize(
    "sent_at",
    [
        "",
        "2026-11-29",
        "2026-11-29T10:00:00",  # no offset
        "2026-11-29T10:00Z",  # no seconds
        "2026-11-29T10:00:00+0100",  # offset without colon
        "2026-11-29T10:00:00+01",
        "2026-11-29T10:00:00.Z",
        "2026-11-29T10:00:00.1234567890Z",  # more than nanoseconds
        "29/11/2026 10:00:00Z",
        "2026-11-29T10:00:00Z trailing",
        "2026-11-29T10:00:00Z\n",
        "Sunday 10am",
        # Match the pattern, but no such calendar date-time:
        "2026-02-30T10:00:00Z",
        "2025-02-29T10:00:00Z",
        "2026-13-01T10:00:00Z",
        "2026-11-29T24:00:00Z",
        "2026-11-29T10:60:00Z",
        "2026-11-29T10:00:00+24:00",
    ],
)
def test_bad_sent_at(raw_doc, sent_at):
    assert _refused(raw_doc(sent_at=sent_at)).field == "sent_at"


def test_unknown_field_rejected_and_named(raw_doc):
    exc = _refused(raw_doc(priority="high"))
    assert exc.field == "priority"
    assert exc.reason == "unknown field"


@pytest.mark.parametrize("key", [LEAK, "Jane Doe", "+48 601 234 567", "x" * 41, "", "名前"])
def test_unknown_non_identifier_key_is_not_echoed(raw_doc, key):
    exc = _refused(raw_doc(**{key: "value"}))
    assert exc.reason == "unknown field"
    if key:
        assert key not in str(exc)
        assert key not in exc.field


@pytest.mark.parametrize("field", ["event_id", "conversation_id", "sender_id"])
@pytest.mark.parametrize("value", ["", " ", "\t\n", "x" * (MAX_ID_LENGTH + 1)])
def test_bad_identifiers(raw_doc, field, value):
    assert _refused(raw_doc(**{field: value})).field == field


@pytest.mark.parametrize("field", ["event_id", "conversation_id", "sender_id"])
@pytest.mark.parametrize("value", ["1", "x" * MAX_ID_LENGTH, "slack:T01/C02/1700000000.000100", " padded "])
def test_identifiers_accepted(raw_doc, field, value):
    assert getattr(RawMessage.from_dict(raw_doc(**{field: value})), field) == value


@pytest.mark.parametrize("text", ["", " ", "x" * MAX_TEXT_LENGTH, "zażółć gęślą jaźń 🙂", "line\nbreak"])
def test_texts_accepted(raw_doc, text):
    assert RawMessage.from_dict(raw_doc(text=text)).text == text


def test_text_too_long(raw_doc):
    assert _refused(raw_doc(text="x" * (MAX_TEXT_LENGTH + 1))).field == "text"


@pytest.mark.parametrize(
    "metadata",
    [
        {},
        None,
        {f"k{i}": i for i in range(MAX_METADATA_KEYS)},
        {"k" * 64: "v"},
        {"k": "v" * MAX_METADATA_VALUE_LENGTH},
        {"s": "x", "i": -1, "f": 1.5, "b": True, "n": None},
    ],
)
def test_metadata_within_limits(raw_doc, metadata):
    assert RawMessage.from_dict(raw_doc(metadata=metadata)).metadata == (metadata or {})


@pytest.mark.parametrize(
    "metadata",
    [
        {f"k{i}": i for i in range(MAX_METADATA_KEYS + 1)},
        {"k" * 65: "v"},
        {"k": "v" * (MAX_METADATA_VALUE_LENGTH + 1)},
        {"profile": {"email": LEAK}},
        {"emails": [LEAK]},
        {"empty": {}},
    ],
)
def test_metadata_beyond_limits(raw_doc, metadata):
    exc = _refused(raw_doc(metadata=metadata))
    assert exc.field == "metadata"
    assert LEAK not in str(exc)


def test_metadata_is_a_copy(raw_doc):
    doc = raw_doc()
    msg = RawMessage.from_dict(doc)
    doc["metadata"]["injected"] = "later"
    assert "injected" not in msg.metadata


@pytest.mark.parametrize("data", [None, [], ["event"], "event", 1, True])
def test_not_an_object(data):
    exc = _refused(data)
    assert exc.field == "event"


# Every refusal below carries LEAK in the offending value or key; the message must not.
@pytest.mark.parametrize(
    "overrides",
    [
        {"event_id": [LEAK]},
        {"event_id": {"email": LEAK}},
        {"event_id": LEAK * 20},  # too long
        {"channel": LEAK},
        {"channel_kind": LEAK},
        {"channel_kind": [LEAK]},
        {"conversation_id": 12},
        {"sender_id": [LEAK]},
        {"sent_at": LEAK},
        {"sent_at": f"2026-11-29T10:00:00Z {LEAK}"},
        {"text": [LEAK]},
        {"text": LEAK * 3000},  # too long
        {"metadata": LEAK},
        {"metadata": {LEAK * 3: "v"}},
        {"metadata": {"k": LEAK * 50}},
        {"schema_version": LEAK},
        {LEAK: "v"},
    ],
)
def test_error_message_never_contains_the_value(raw_doc, overrides):
    exc = _refused(raw_doc(**overrides))
    for shown in (str(exc), exc.field, exc.reason, repr(exc)):
        assert LEAK not in shown
        assert "jane" not in shown.lower()


def test_first_bad_field_reported_unknown_before_types(raw_doc):
    # Unknown fields are checked before the others, so a misspelt field is what gets named.
    exc = _refused(raw_doc(drop=("text",), txt="hello"))
    assert exc.field == "txt"
