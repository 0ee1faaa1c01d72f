"""The storage sink (console/sink.py) against the real broker and both databases: each clean event
once, masked text intact, offsets resumed after a restart, erasure notices applied live and again
at every start, events sent before an erasure dropped, those sent after kept."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

import orjson
import pytest
from prometheus_client import CollectorRegistry
from sqlalchemy import Engine, select

from console.sink import CONSUMER_GROUP, StorageSink, insert_new, row_of
from console.tables import messages
from runtime.kafka import KafkaSettings
from runtime.topics_admin import apply_topics
from schemas.codec import encode
from schemas.erasure import ErasureNotice
from schemas.errors import SchemaError
from schemas.forms import SubmittedField
from schemas.redacted import Finding, RedactedMessage
from schemas.topics import ERASURE, TopicSpec
from tests.support.consumer_groups import group_lag
from tests.support.kafka import produce

MASKED = "hi, I am **** ****, call me at ***********"


def event(event_id: str, sender: str, conversation: str, sent_at: str) -> RedactedMessage:
    return RedactedMessage(
        event_id=event_id,
        channel="web",
        channel_kind="private",
        conversation_id=conversation,
        sender=sender,
        sent_at=sent_at,
        text=MASKED,
        findings=(Finding("PERSON", 8, 17, 0.85, f"v_{secrets.token_hex(16)}"), Finding("PHONE_NUMBER", 30, 41, 0.9)),
        policy="storage",
        policy_version="storage-v1",
        processed_at="2026-03-01T12:30:00Z",
        form=(SubmittedField.of("phone", f"v_{secrets.token_hex(16)}"),),
    )


def keyed(*events: RedactedMessage) -> list[tuple[bytes | None, bytes]]:
    return [(e.conversation_id.encode(), encode(e)) for e in events]


def stored(engine: Engine, run: str) -> dict[str, dict]:
    """This test's rows (event ids start with ``run``), by event id."""
    with engine.connect() as conn:
        rows = conn.execute(select(messages).where(messages.c.event_id.startswith(f"{run}-"))).mappings().all()
    return {row["event_id"]: dict(row) for row in rows}


def value(registry: CollectorRegistry, name: str, **labels: str) -> float:
    return registry.get_sample_value(name, labels) or 0.0


async def eventually(check: Callable[[], Awaitable[bool]], what: str, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not await check():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout_s:.0f} s: {what}")
        await asyncio.sleep(0.2)


@asynccontextmanager
async def running(sink: StorageSink) -> AsyncIterator[StorageSink]:
    stop = asyncio.Event()
    task = asyncio.create_task(sink.run(stop))
    try:
        await asyncio.wait_for(sink.ready.wait(), 20)
        yield sink
    finally:
        stop.set()
        await asyncio.wait_for(task, 20)


@pytest.mark.integration
async def test_sink_stores_each_event_once_resumes_and_applies_erasures(
    console_engine: Engine, kafka_bootstrap: str
) -> None:
    kafka = KafkaSettings(bootstrap=kafka_bootstrap)
    group, run = f"test-console-sink-{secrets.token_hex(4)}", secrets.token_hex(6)
    # A storage topic of this test's own: the records breaking the contract below must not reach
    # the shared chat.storage that other tests read whole.
    storage = TopicSpec(f"test.storage-{run}", 6, retention_ms=3_600_000)
    await apply_topics(kafka, [storage])
    anna, bob = f"u_{secrets.token_hex(8)}", f"u_{secrets.token_hex(8)}"
    conv_a, conv_b = f"c_{secrets.token_hex(8)}", f"c_{secrets.token_hex(8)}"
    a = [event(f"{run}-a{i}", anna, conv_a, f"2026-03-01T10:00:0{i}Z") for i in range(5)]
    b = [event(f"{run}-b{i}", bob, conv_b, f"2026-03-01T10:00:0{i}+00:00") for i in range(4)]

    def sink(group: str = group) -> StorageSink:
        return StorageSink(
            console_engine, kafka, group=group, topic=storage.name, registry=CollectorRegistry(), poll_ms=200,
            retry_s=0.5,
        )  # fmt: skip

    async def caught_up(group: str = group) -> bool:
        return not any((await group_lag(kafka_bootstrap, group, storage)).values())

    # Valid events, two of them twice (a redelivery), and two records breaking the contract.
    garbage = [(b"k", b"{not json"), (b"k", orjson.dumps({"schema_version": 1, "event_id": f"{run}-bad"}))]
    await produce(kafka_bootstrap, storage.name, [*keyed(*a, *b[:3]), *keyed(a[0], a[1]), *garbage])
    started = time.monotonic()
    async with running(sink()) as first:
        await eventually(caught_up, "the first run committed every offset")
    rows = stored(console_engine, run)
    assert sorted(rows) == sorted(e.event_id for e in (*a, *b[:3]))  # each once, the invalid ones not at all
    row = rows[a[2].event_id]
    assert row["text"] == MASKED and row["conversation"] == conv_a and row["sender"] == anna
    assert (row["channel"], row["channel_kind"], row["policy_version"]) == ("web", "private", "storage-v1")
    assert (row["sent_at"], row["sent_ts"]) == ("2026-03-01T10:00:02Z", 1772359202)
    assert orjson.loads(row["findings"]) == [
        {"entity_type": f.entity_type, "start": f.start, "end": f.end, "score": f.score, "vault_ref": f.vault_ref}
        for f in a[2].findings
    ]
    assert orjson.loads(row["form"]) == [
        {"field": "phone", "entity_type": "PHONE_NUMBER", "vault_ref": a[2].form[0].vault_ref}
    ]
    assert abs(row["stored_at"] - time.time()) < 120
    registry = first.metrics.registry
    assert value(registry, "chatguard_console_sink_duplicates_total") >= 2
    assert value(registry, "chatguard_console_sink_skipped_invalid_total", topic=storage.name) >= 2

    # A restart in the same group resumes at the committed offsets: the new event only, nothing again.
    await produce(kafka_bootstrap, storage.name, keyed(b[3]))
    async with running(sink()) as second:
        registry = second.metrics.registry
        await eventually(caught_up, "the second run committed every offset")
        assert b[3].event_id in stored(console_engine, run)
        assert value(registry, "chatguard_console_sink_stored_total") == 1
        assert value(registry, "chatguard_console_sink_duplicates_total") == 0
        assert value(registry, "chatguard_console_sink_skipped_invalid_total", topic=storage.name) == 0

        # Anna is erased: her messages go, Bob's stay.
        notice = ErasureNotice(anna, "2026-03-01T11:00:00+00:00")
        await produce(kafka_bootstrap, ERASURE.name, [(notice.key(), notice.encode())])

        async def erasure_applied() -> bool:
            return value(registry, "chatguard_console_sink_erased_deleted_total") >= 5

        await eventually(erasure_applied, "the erased sender's messages deleted")
        assert sorted(stored(console_engine, run)) == sorted(e.event_id for e in b)
        assert value(registry, "chatguard_console_sink_erased_deleted_total") == 5

        # After the notice: one of hers sent before the erasure (Kafka lag) is dropped, one sent after kept.
        before, after = (
            event(f"{run}-a{i}", anna, conv_a, t) for i, t in ((5, "2026-03-01T10:30:00Z"), (6, "2026-03-01T12:00:00Z"))
        )
        await produce(kafka_bootstrap, storage.name, keyed(before, after))  # one partition: in this order

        await eventually(caught_up, "both committed")
        assert after.event_id in stored(console_engine, run)
        assert before.event_id not in stored(console_engine, run)
        assert value(registry, "chatguard_console_sink_erased_dropped_total") == 1

    # Restarted, the sink reads the notice again before anything else: the message sent after the
    # erasure stays, and another of hers sent before it is still refused.
    late = event(f"{run}-a7", anna, conv_a, "2026-03-01T10:59:59Z")
    async with running(sink()) as third:
        assert after.event_id in stored(console_engine, run)
        await produce(kafka_bootstrap, storage.name, keyed(late))
        await eventually(caught_up, "the third run committed every offset")
        assert value(third.metrics.registry, "chatguard_console_sink_erased_dropped_total") == 1
    assert sorted(stored(console_engine, run)) == sorted(e.event_id for e in (*b, after))

    # A new group replays all of chat.storage, erasures read first: the same rows, nothing doubled.
    async with running(sink(f"{group}-replay")) as replay:
        registry = replay.metrics.registry
        await eventually(lambda: caught_up(f"{group}-replay"), "the replay committed every offset")
    assert sorted(stored(console_engine, run)) == sorted(e.event_id for e in (*b, after))
    assert value(registry, "chatguard_console_sink_duplicates_total") >= 5
    assert value(registry, "chatguard_console_sink_erased_dropped_total") >= 9  # a0-a5, a7 and a0, a1 again
    assert time.monotonic() - started < 60


def test_insert_new_ignores_stored_event_ids(console_engine: Engine) -> None:
    rows = [row_of(event(f"x-{i}", "u_0123456789abcdef", "c_1", "2026-03-01T10:00:00Z"), 1) for i in range(3)]
    with console_engine.begin() as conn:
        assert insert_new(conn, rows[:2]) == 2
    with console_engine.begin() as conn:
        assert insert_new(conn, rows) == 1  # a redelivery neither fails nor doubles
    with console_engine.connect() as conn:
        assert len(conn.execute(select(messages.c.event_id)).all()) == 3


def test_rows_refuse_what_the_table_cannot_hold_naming_the_field_only() -> None:
    long_conversation = event("e-1", "u_0123456789abcdef", "c" * 65, "2026-03-01T10:00:00Z")
    with pytest.raises(SchemaError) as raised:
        row_of(long_conversation, 1)
    assert raised.value.field == "conversation_id" and "ccc" not in str(raised.value)
    with pytest.raises(SchemaError, match="sender: holds a NUL"):
        row_of(event("e-2", "u_0\x00", "c_1", "2026-03-01T10:00:00Z"), 1)
    nul_text = RedactedMessage(**{**_fields(event("e-3", "u_1", "c_1", "2026-03-01T10:00:00Z")), "text": "a\x00b"})
    assert row_of(nul_text, 1)["text"] == "a\ufffdb"  # same length: the findings' offsets still hold
    assert CONSUMER_GROUP == "chatguard-console-sink"


def _fields(message: RedactedMessage) -> dict:
    return {name: getattr(message, name) for name in RedactedMessage.__dataclass_fields__}
