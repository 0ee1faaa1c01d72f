"""The worker's batch publisher against the real broker: every record lands, on the partition
Kafka's default partitioner picks for its key, in order per key."""

from __future__ import annotations

import secrets

import pytest
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.partitioner import DefaultPartitioner

from pipeline.publisher import MAX_BATCH_BYTES, MAX_REQUEST_BYTES, BatchPublisher, record_fits
from runtime.kafka import KafkaSettings
from tests.support.kafka import consume_until

pytestmark = pytest.mark.integration

PARTITIONS = 3


@pytest.fixture
async def topics(kafka_bootstrap):
    """Two fresh topics of three partitions each."""
    names = [f"publisher-test-{secrets.token_hex(4)}" for _ in range(2)]
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
    await admin.start()
    try:
        await admin.create_topics([NewTopic(n, PARTITIONS, 1) for n in names])
    finally:
        await admin.close()
    return names


async def published(kafka_bootstrap: str, records) -> None:
    publisher = BatchPublisher(KafkaSettings(bootstrap=kafka_bootstrap))
    await publisher.start()
    try:
        # As the worker does it: record batches for the partitions Kafka reports, then send.
        partitions = await publisher.partitions({topic for topic, _, _ in records})
        metadata = await (await publisher.send(publisher.build(records, partitions)))
        assert metadata, "publish must wait for (and return) Kafka's acknowledgements"
    finally:
        await publisher.stop()


async def test_records_land_on_their_keys_partition_in_order(kafka_bootstrap, topics):
    keys = [f"conv-{i}".encode() for i in range(20)]
    records = [
        (topic, key, f"{topic}|{key.decode()}|{n}".encode()) for n in range(10) for key in keys for topic in topics
    ]
    records.append((topics[0], None, b"no key"))
    await published(kafka_bootstrap, records)

    got = await consume_until(kafka_bootstrap, topics, lambda rs: len(rs) >= len(records), timeout_s=60)
    assert sorted(r.value for r in got) == sorted(v for _, _, v in records)
    expected = DefaultPartitioner()
    for r in got:
        if r.key is not None:
            assert r.partition == expected(r.key, list(range(PARTITIONS)), list(range(PARTITIONS)))
    for topic in topics:
        for key in keys:
            ns = [int(r.value.rsplit(b"|", 1)[1]) for r in got if r.topic == topic and r.key == key]
            assert ns == list(range(10)), f"{topic} {key!r}: out of order {ns}"


async def test_more_than_one_kafka_batch_per_partition(kafka_bootstrap, topics):
    value = b"x" * 50_000
    count = 3 * MAX_BATCH_BYTES // len(value)  # three record batches' worth on one partition
    records = [(topics[0], b"one-key", value + str(i).encode()) for i in range(count)]
    await published(kafka_bootstrap, records)
    got = await consume_until(kafka_bootstrap, [topics[0]], lambda rs: len(rs) >= count, timeout_s=60)
    assert [r.value for r in got] == [v for _, _, v in records]


def test_a_record_over_the_request_limit_does_not_fit():
    assert record_fits(b"k", b"x" * 1000)
    assert not record_fits(b"k", b"x" * (MAX_REQUEST_BYTES + 1))
