"""A consumer group's committed offsets against a topic's end, read without joining the group."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition

from schemas.topics import TopicSpec


async def group_lag(
    bootstrap: str, group: str, topic: TopicSpec, isolation_level: str = "read_committed"
) -> dict[int, int]:
    """partition -> records ``group`` has not committed yet: from its committed offset to the
    topic's end (with read_committed, the last stable offset). All zero once it has caught up."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False, isolation_level=isolation_level
    )
    await consumer.start()
    try:
        partitions = [TopicPartition(topic.name, p) for p in range(topic.partitions)]
        end = await consumer.end_offsets(partitions)
        return {tp.partition: end[tp] - (await consumer.committed(tp) or 0) for tp in partitions}
    finally:
        await consumer.stop()
