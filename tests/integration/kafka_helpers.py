"""Small real-Kafka helpers for integration tests: produce raw bytes, consume until done."""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Callable, Iterable

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.structs import RecordMetadata


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
