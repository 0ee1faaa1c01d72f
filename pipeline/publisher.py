"""Writing a batch's redacted (and quarantine) events to Kafka, and knowing when Kafka has them.

The worker's own aiokafka producer: idempotent, acks=all. A batch's records are grouped into one
Kafka record batch per topic-partition and handed over with ``send_batch``, so 256 events cost
about twenty produce calls instead of 768 single sends with a future each (those single sends were
most of the event loop's work, and they took the GIL from detection). Keys are partitioned as
Kafka's Java client and aiokafka's default partitioner do (murmur2), so a conversation keeps its
partition whichever client wrote it.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Iterable, Mapping, Sequence

from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.partitioner import murmur2
from aiokafka.producer.message_accumulator import BatchBuilder
from aiokafka.record.default_records import DefaultRecordBatchBuilder

from runtime.kafka import KafkaSettings

Record = tuple[str, bytes | None, bytes]  # topic, key, value
Built = tuple[str, int, BatchBuilder]  # topic, partition, a Kafka record batch for it

MAX_REQUEST_BYTES = 1024 * 1024  # Kafka's default message.max.bytes is just above this
MAX_BATCH_BYTES = 512 * 1024  # a worker batch's records for one partition fit in one of these


def record_fits(key: bytes | None, value: bytes) -> bool:
    """Whether Kafka would take this record at all (it refuses larger requests outright)."""
    return DefaultRecordBatchBuilder.estimate_size_in_bytes(key, value, []) <= MAX_REQUEST_BYTES


class BatchPublisher:
    """``publish`` hands records over in order per topic-partition and returns what waits for
    Kafka's acknowledgement of every one of them. Nothing counts as written before that."""

    def __init__(
        self, kafka: KafkaSettings, *, request_timeout_ms: int = 30_000, transactional_id: str | None = None
    ) -> None:
        self._kwargs = dict(
            acks="all",
            enable_idempotence=True,
            transactional_id=transactional_id,
            max_batch_size=MAX_BATCH_BYTES,
            max_request_size=MAX_REQUEST_BYTES,
            request_timeout_ms=request_timeout_ms,
            **kafka.aiokafka_kwargs(),
        )
        self._producer: AIOKafkaProducer | None = None
        self._round_robin = itertools.count()

    async def start(self) -> None:
        """Connect (in the running event loop: the worker's is Faust's)."""
        if self._producer is None:
            producer = AIOKafkaProducer(**self._kwargs)
            try:
                await producer.start()
            except BaseException:
                await producer.stop()
                raise
            self._producer = producer

    async def stop(self) -> None:
        """Waits for what was handed over to be sent (or to expire), then closes."""
        producer, self._producer = self._producer, None
        if producer is not None:
            await producer.stop()

    async def partitions(self, topics: Iterable[str]) -> dict[str, list[int]]:
        """Each topic's partitions, from the producer's metadata (fetched once, then cached)."""
        producer = self._started_producer()
        return {topic: sorted(await producer.partitions_for(topic)) for topic in topics}

    def build(self, records: Sequence[Record], partitions: Mapping[str, Sequence[int]]) -> list[Built]:
        """Group ``records`` into Kafka record batches, one (or more, if large) per
        topic-partition, in order. Touches no shared producer state, so it may run in the
        detection thread, off the event loop."""
        producer = self._started_producer()
        hashed: dict[bytes, int] = {}
        builders: dict[tuple[str, int], list[BatchBuilder]] = {}
        for topic, key, value in records:
            choices = partitions[topic]
            if key is None:
                partition = choices[next(self._round_robin) % len(choices)]
            else:
                code = hashed.get(key)
                if code is None:
                    code = hashed[key] = murmur2(key) & 0x7FFFFFFF
                partition = choices[code % len(choices)]
            open_ = builders.setdefault((topic, partition), [])
            if not open_ or open_[-1].append(timestamp=None, key=key, value=value) is None:
                builder = producer.create_batch()
                builder.append(timestamp=None, key=key, value=value)  # a first record always fits
                open_.append(builder)
        return [(topic, partition, b) for (topic, partition), batch in builders.items() for b in batch]

    async def send(self, built: Sequence[Built]) -> Awaitable[list]:
        """Hand built batches to the producer; await the result for Kafka's acknowledgements
        (it raises if Kafka refused any, after the producer's own retries)."""
        producer = self._started_producer()
        futures: list[asyncio.Future] = []
        try:
            for topic, partition, builder in built:
                futures.append(await producer.send_batch(builder, topic, partition=partition))
        except BaseException:
            for future in futures:  # the caller gets this error; theirs are not worth a warning each
                future.add_done_callback(_retrieve)
            raise
        return asyncio.gather(*futures)

    async def send_in_transaction(
        self, built: Sequence[Built], offsets: Mapping[tuple[str, int], int], group_id: str
    ) -> None:
        """Exactly once: ``built`` and the consumed ``offsets`` (topic, partition -> next
        offset) of ``group_id`` commit together in one Kafka transaction, so a read_committed
        consumer sees all of a batch's records or none, and a batch whose offsets committed is
        never read again. Raises (the transaction aborted) if Kafka refused any write."""
        producer = self._started_producer()
        async with producer.transaction():
            acks = await self.send(built)
            await producer.send_offsets_to_transaction(
                {TopicPartition(topic, partition): offset for (topic, partition), offset in offsets.items()}, group_id
            )
            await acks

    def _started_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            raise RuntimeError("BatchPublisher used before start()")
        return self._producer


def _retrieve(future: asyncio.Future) -> None:
    if not future.cancelled():
        future.exception()
