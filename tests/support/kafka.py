"""Small real-Kafka helpers: create the topics, produce raw bytes, consume until done."""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable, Iterable, Sequence

import orjson
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import RecordMetadata

from schemas.codec import encode
from schemas.raw import RawMessage
from schemas.topics import RAW


def create_topics(bootstrap: str) -> None:
    """The broker does not auto-create topics: create them as `chatguard topics apply` does."""
    from runtime.kafka import KafkaSettings
    from runtime.topics_admin import apply_topics
    from schemas.topics import all_topics

    asyncio.run(apply_topics(KafkaSettings(bootstrap=bootstrap), all_topics()))


async def produce(bootstrap: str, topic: str, values: Iterable[tuple[bytes | None, bytes]]) -> list[RecordMetadata]:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    try:
        futures = [await producer.send(topic, value, key=key) for key, value in values]
        return list(await asyncio.gather(*futures))
    finally:
        await producer.stop()


async def consume_until(
    bootstrap: str,
    topics: list[str],
    done: Callable[[list], bool],
    timeout_s: float = 120.0,
    isolation_level: str = "read_uncommitted",
) -> list:
    """Read ``topics`` from the beginning until ``done(records)`` or the timeout; return records."""
    consumer = AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        group_id=f"test-reader-{secrets.token_hex(4)}",
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        isolation_level=isolation_level,
    )
    await consumer.start()
    records: list = []
    deadline = time.monotonic() + timeout_s
    try:
        while not done(records) and time.monotonic() < deadline:
            batch = await consumer.getmany(timeout_ms=500)
            for partition_records in batch.values():
                records.extend(partition_records)
        return records
    finally:
        await consumer.stop()


async def raw_events_with(bootstrap: str, event_id: str, settle_s: float = 2.0) -> list[dict]:
    """Every chat.raw event with this id: read until one shows up, then a little longer."""
    found_at: list[float] = []

    def done(records: list) -> bool:
        if any(event_id.encode() in r.value for r in records):
            found_at.append(found_at[0] if found_at else time.monotonic())
            return time.monotonic() - found_at[0] > settle_s
        return False

    records = await consume_until(bootstrap, [RAW.name], done, timeout_s=30)
    return [orjson.loads(r.value) for r in records if event_id.encode() in r.value]


async def stream_at(bootstrap: str, events: Sequence[RawMessage], rate: float) -> None:
    """Write ``events`` to chat.raw at ``rate`` per second (idempotent, acks=all), keyed by conversation."""
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=5)
    await producer.start()
    try:
        start, pending = time.monotonic(), []
        for i, event in enumerate(events):
            delay = start + i / rate - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            pending.append(await producer.send(RAW.name, encode(event), key=event.conversation_id.encode()))
        await asyncio.gather(*pending)
    finally:
        await producer.stop()
