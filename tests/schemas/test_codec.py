"""The orjson codec: bytes on the wire, typed, validated objects in code."""

from __future__ import annotations

import json

import orjson
import pytest

from schemas import QuarantineRecord, RawMessage, SchemaError, decode_raw, decode_redacted, encode


def _raw(**overrides) -> RawMessage:
    fields = dict(
        event_id="slack:T1/C2/1700000000.000100",
        channel="slack",
        channel_kind="public",
        conversation_id="C2",
        sender_id="U123",
        sent_at="2026-11-29T10:00:00.123456+01:00",
        text='Zażółć 🙂 "quoted" \\ back\nslash',
        metadata={"thread": "1700000000.000100", "edited": True, "n": 3, "ratio": 0.25, "none": None},
    )
    fields.update(overrides)
    return RawMessage(**fields)


@pytest.mark.parametrize(
    "msg",
    [
        _raw(),
        _raw(metadata={}),
        _raw(text=""),
        _raw(channel_kind="private", sent_at="2026-11-29T10:00:00Z"),
    ],
    ids=["full", "no-metadata", "empty-text", "private"],
)
def test_raw_round_trip(msg):
    data = encode(msg)
    assert isinstance(data, bytes)
    assert decode_raw(data) == msg
    assert decode_raw(data.decode("utf-8")) == msg  # str input too


def test_encode_writes_every_field_as_plain_json():
    msg = _raw()
    doc = json.loads(encode(msg))  # the standard library can read it
    assert doc["schema_version"] == 1
    assert doc["text"] == msg.text
    assert doc["metadata"] == msg.metadata
    assert set(doc) == {
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
    assert doc["form"] == []


def test_decode_accepts_json_written_by_others():
    doc = {
        "event_id": "e1",
        "channel": "web",
        "channel_kind": "private",
        "conversation_id": "c",
        "sender_id": "s",
        "sent_at": "2026-11-29T10:00:00Z",
        "text": "hi",
    }
    msg = decode_raw(json.dumps(doc, indent=2).encode())
    assert msg.text == "hi" and msg.metadata == {} and msg.schema_version == 1


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"   ",
        b"{",
        b'{"text": "jane.doe@example.com" oops}',
        b'{"text": "jane.doe@example.com"',
        b"jane.doe@example.com",
        b"\xff\xfe{}",
        b'{"a": 1}{"b": 2}',
        b"NaN",
    ],
)
def test_invalid_json(data):
    with pytest.raises(SchemaError) as info:
        decode_raw(data)
    assert info.value.field == "event"
    assert "not valid JSON" in info.value.reason
    assert "jane" not in str(info.value)


@pytest.mark.parametrize("data", [b"[]", b"null", b"42", b'"event"', b"true"])
def test_json_that_is_not_an_object(data):
    with pytest.raises(SchemaError) as info:
        decode_raw(data)
    assert info.value.field == "event"


def test_redacted_payload_is_not_a_raw_message():
    # A clean-topic event read as raw: its extra fields (sender, findings...) are refused.
    from schemas.redacted import RedactedMessage

    redacted = RedactedMessage(
        event_id="e1",
        channel="web",
        channel_kind="private",
        conversation_id="c",
        sender="u_1",
        sent_at="2026-11-29T10:00:00Z",
        text="hi",
        findings=(),
        policy="storage",
        policy_version="1",
        processed_at="2026-11-29T10:00:01Z",
    )
    with pytest.raises(SchemaError) as info:
        decode_raw(encode(redacted))
    assert info.value.reason == "unknown field"
    with pytest.raises(SchemaError):
        decode_redacted(encode(_raw()))


def test_quarantine_record_encodes_without_text():
    record = QuarantineRecord(
        event_id="e1",
        channel="web",
        error_class="SchemaError",
        stage="decode",
        raw_partition=3,
        raw_offset=1234,
        quarantined_at="2026-11-29T10:00:00.000Z",
        field="sent_at",
    )
    doc = orjson.loads(encode(record))
    assert doc == {
        "event_id": "e1",
        "channel": "web",
        "error_class": "SchemaError",
        "stage": "decode",
        "raw_partition": 3,
        "raw_offset": 1234,
        "quarantined_at": "2026-11-29T10:00:00.000Z",
        "field": "sent_at",
        "schema_version": 1,
    }
    assert "text" not in doc
