"""Consumer lag: the arithmetic alone, then against the real session broker (fresh topic, real
committed offsets, records deleted below a commit), then the background thread setting the gauge."""

from __future__ import annotations

import asyncio
import secrets
import time

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.admin.records_to_delete import RecordsToDelete
from aiokafka.structs import TopicPartition
from prometheus_client import CollectorRegistry

from pipeline.lag import LAG_METRIC, LagMonitor, LagMonitorThread, partition_lag
from runtime.kafka import KafkaSettings
from runtime.topics_admin import apply_topics
from schemas.topics import HOUR_MS, TopicSpec

# --- the arithmetic ---------------------------------------------------------------------------


def test_lag_is_end_minus_committed():
    assert partition_lag({0: 10, 1: 5}, {0: 4, 1: 5}) == {0: 6, 1: 0}


def test_no_commit_means_everything_from_the_log_start_is_lag():
    assert partition_lag({0: 10, 1: 10, 2: 10}, {1: -1, 2: None}, {0: 3, 1: 0, 2: 2}) == {0: 7, 1: 10, 2: 8}


def test_commit_below_the_log_start_counts_from_the_log_start():
    # Retention deleted offsets 0..7: the group will resume at 8, so 2 messages are left.
    assert partition_lag({0: 10}, {0: 2}, {0: 8}) == {0: 2}


def test_lag_is_never_negative_and_only_for_partitions_with_an_end_offset():
    # A commit past the end (end offsets read a moment earlier than the commit) is no lag.
    assert partition_lag({0: 10}, {0: 12, 7: 3}) == {0: 0}


def test_empty_partition_without_commit_has_no_lag():
    assert partition_lag({0: 0}, {}) == {0: 0}


# --- against the real broker ------------------------------------------------------------------


async def _fresh_topic(bootstrap: str, partitions: int) -> str:
    name = f"test.lag.{secrets.token_hex(4)}"
    await apply_topics(KafkaSettings(bootstrap=bootstrap), [TopicSpec(name, partitions, HOUR_MS)])
    return name


async def _produce(bootstrap: str, topic: str, per_partition: dict[int, int]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        futures = [
            await producer.send(topic, f"m{i}".encode(), partition=p)
            for p, n in per_partition.items()
            for i in range(n)
        ]
        await asyncio.gather(*futures)
    finally:
        await producer.stop()


async def _commit(bootstrap: str, group: str, offsets: dict[TopicPartition, int]) -> None:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(list(offsets))
        await consumer.commit(offsets)
    finally:
        await consumer.stop()


@pytest.mark.integration
async def test_lag_per_partition_from_the_broker(kafka_bootstrap: str):
    topic = await _fresh_topic(kafka_bootstrap, 3)
    await _produce(kafka_bootstrap, topic, {0: 7, 1: 4, 2: 0})
    group = f"test-lag-{secrets.token_hex(4)}"
    await _commit(kafka_bootstrap, group, {TopicPartition(topic, 0): 3})

    registry = CollectorRegistry()
    monitor = LagMonitor(KafkaSettings(bootstrap=kafka_bootstrap), group, topic, registry)
    try:
        # Partition 0: 7 written, 3 committed. Partition 1: no commit, all 4. Partition 2: empty.
        assert await monitor.update() == {0: 4, 1: 4, 2: 0}
        assert registry.get_sample_value(LAG_METRIC, {"topic": topic, "partition": "0"}) == 4
        assert registry.get_sample_value(LAG_METRIC, {"topic": topic, "partition": "1"}) == 4
        assert registry.get_sample_value(LAG_METRIC, {"topic": topic, "partition": "2"}) == 0

        # The group catches up on partition 0, more arrives on 2.
        await _commit(kafka_bootstrap, group, {TopicPartition(topic, 0): 7, TopicPartition(topic, 1): 1})
        await _produce(kafka_bootstrap, topic, {2: 5})
        assert await monitor.update() == {0: 0, 1: 3, 2: 5}
        assert registry.get_sample_value(LAG_METRIC, {"topic": topic, "partition": "2"}) == 5
    finally:
        await monitor.stop()


@pytest.mark.integration
async def test_records_deleted_below_the_commit_count_from_the_log_start(kafka_bootstrap: str):
    topic = await _fresh_topic(kafka_bootstrap, 1)
    await _produce(kafka_bootstrap, topic, {0: 10})
    tp = TopicPartition(topic, 0)
    group = f"test-lag-{secrets.token_hex(4)}"
    await _commit(kafka_bootstrap, group, {tp: 2})
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        await admin.delete_records({tp: RecordsToDelete(before_offset=6)})  # as retention would
    finally:
        await admin.close()
    monitor = LagMonitor(KafkaSettings(bootstrap=kafka_bootstrap), group, topic, CollectorRegistry())
    try:
        assert await monitor.sample() == {0: 4}
    finally:
        await monitor.stop()


@pytest.mark.integration
async def test_a_failed_sample_removes_the_series(kafka_bootstrap: str):
    registry = CollectorRegistry()
    monitor = LagMonitor(
        KafkaSettings(bootstrap=kafka_bootstrap), "g", f"test.lag.missing.{secrets.token_hex(4)}", registry
    )
    monitor.gauge.labels(monitor.topic, "0").set(42)  # as left by an earlier good sample
    try:
        assert await monitor.update() is None
        assert registry.get_sample_value(LAG_METRIC, {"topic": monitor.topic, "partition": "0"}) is None
    finally:
        await monitor.stop()


@pytest.mark.integration
def test_background_thread_keeps_the_gauge_current(kafka_bootstrap: str):
    topic = asyncio.run(_fresh_topic(kafka_bootstrap, 2))
    asyncio.run(_produce(kafka_bootstrap, topic, {0: 2, 1: 3}))
    registry = CollectorRegistry()
    group = f"test-lag-{secrets.token_hex(4)}"
    thread = LagMonitorThread(
        LagMonitor(KafkaSettings(bootstrap=kafka_bootstrap), group, topic, registry), interval_s=0.5
    )
    thread.start()
    try:

        def value(p: int):
            return registry.get_sample_value(LAG_METRIC, {"topic": topic, "partition": str(p)})

        deadline = time.monotonic() + 30
        while (value(0), value(1)) != (2, 3):
            assert thread.is_alive() and time.monotonic() < deadline, (value(0), value(1))
            time.sleep(0.1)
        asyncio.run(_commit(kafka_bootstrap, group, {TopicPartition(topic, 1): 3}))
        while value(1) != 0:
            assert thread.is_alive() and time.monotonic() < deadline, value(1)
            time.sleep(0.1)
    finally:
        thread.stop()
    assert not thread.is_alive()
