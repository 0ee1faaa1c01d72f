"""Exactly once across a hand-over, on the real broker: a worker taking a partition over writes
nothing the previous holder committed, even when its consumer started below that commit (the
previous holder paused in the middle of committing, and the new one fetched its start offset first)."""

from __future__ import annotations

import secrets

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic

from pipeline.transactions import PartitionTransactions
from runtime.kafka import KafkaSettings
from tests.support.kafka import consume_until

pytestmark = pytest.mark.integration


def records(topic: str, offsets: range) -> list:
    return [(offset, (topic, b"k", f"event {offset}".encode())) for offset in offsets]


async def test_a_new_holder_skips_what_the_previous_one_committed(kafka_bootstrap):
    topic, group = f"transactions-test-{secrets.token_hex(4)}", f"transactions-test-{secrets.token_hex(4)}"
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 1, 1)])
    finally:
        await admin.close()
    kafka, partitions = KafkaSettings(bootstrap=kafka_bootstrap), {topic: [0]}
    previous, taking_over = PartitionTransactions(kafka, group, 30_000), PartitionTransactions(kafka, group, 30_000)
    try:
        await previous.write({0: records(topic, range(0, 10))}, {0: 10}, partitions)
        # The new holder's consumer started at 0: its first batches repeat what was committed.
        await taking_over.write({0: records(topic, range(0, 5))}, {0: 5}, partitions)
        await taking_over.write({0: records(topic, range(5, 15))}, {0: 15}, partitions)
        await taking_over.write({0: records(topic, range(15, 20))}, {0: 20}, partitions)
    finally:
        await previous.stop()
        await taking_over.stop()
    # Read for a fixed time, not until 20 arrived: a copy behind the first ones is read too.
    got = await consume_until(kafka_bootstrap, [topic], lambda _: False, timeout_s=8, isolation_level="read_committed")
    assert sorted(r.value.decode() for r in got) == sorted(f"event {i}" for i in range(20))
