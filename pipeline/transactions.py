"""Exactly once, fenced per input partition.

One transactional producer per ``chat.raw`` partition this worker owns, named
``<group>-chat.raw-<partition>``. A batch's clean and quarantine records and its consumed offset
commit in one transaction per source partition. When another worker takes a partition over, its
producer starts under the same transactional id, and Kafka fences the previous one: a worker that
was paused past its session (a long GC, a frozen VM) and wakes up cannot commit a batch of a
partition it lost, nor leave one half-done. (aiokafka's offset commit in a transaction carries no
consumer generation, so fencing by transactional id is what makes this hold.)

The new holder reads where the partition was committed only *after* its producer has fenced the
previous one: fencing waits for a transaction the previous holder was committing to complete. The
consumer may have fetched its start offset before that (the previous holder paused in the middle of
a commit), so records below the committed offset are dropped, not written a second time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence

from aiokafka.errors import KafkaError

from pipeline.publisher import BatchPublisher, Record
from runtime.kafka import KafkaSettings
from schemas.topics import RAW

COORDINATOR_ATTEMPTS = 20


def transactional_id(group: str, partition: int) -> str:
    return f"{group}-{RAW.name}-{partition}"


class PartitionTransactions:
    def __init__(self, kafka: KafkaSettings, group: str, request_timeout_ms: int) -> None:
        self._kafka = kafka
        self._group = group
        self._timeout_ms = request_timeout_ms
        self._producers: dict[int, BatchPublisher] = {}
        self._floors: dict[int, int] = {}  # offsets below these were committed by a previous holder

    async def write(
        self,
        records: Mapping[int, Sequence[tuple[int, Record]]],
        next_offsets: Mapping[int, int],
        partitions: Mapping[str, Sequence[int]],
    ) -> None:
        """Commit each source partition's ``records`` (each with its source offset) with its
        ``next_offsets`` entry, the partitions side by side. Raises if any transaction failed
        (fenced, refused)."""
        await asyncio.gather(*(self._write_one(p, records[p], next_offsets[p], partitions) for p in sorted(records)))

    async def _write_one(
        self,
        partition: int,
        records: Sequence[tuple[int, Record]],
        next_offset: int,
        partitions: Mapping[str, Sequence[int]],
    ) -> None:
        producer = await self._producer(partition)
        floor = self._floors.get(partition, 0)
        if next_offset <= floor:
            return  # the previous holder committed all of it
        if floor:
            del self._floors[partition]  # this batch reaches past it: later ones start above it
        built = producer.build([record for offset, record in records if offset >= floor], partitions)
        await producer.send_in_transaction(built, {(RAW.name, partition): next_offset}, self._group)

    async def _producer(self, partition: int) -> BatchPublisher:
        producer = self._producers.get(partition)
        if producer is None:
            # start() initialises the transactional id: this fences any earlier holder of it and
            # settles (aborts) a transaction it left open.
            producer = BatchPublisher(
                self._kafka,
                request_timeout_ms=self._timeout_ms,
                transactional_id=transactional_id(self._group, partition),
            )
            await producer.start()
            self._producers[partition] = producer
            self._floors[partition] = await self._committed(partition)
        return producer

    async def _committed(self, partition: int) -> int:
        from aiokafka.admin import AIOKafkaAdminClient
        from aiokafka.structs import TopicPartition

        tp = TopicPartition(RAW.name, partition)
        admin = AIOKafkaAdminClient(**self._kafka.aiokafka_kwargs())
        await admin.start()
        try:
            for attempt in range(COORDINATOR_ATTEMPTS):
                try:
                    found = await admin.list_consumer_group_offsets(self._group, partitions=[tp])
                    break
                except KafkaError as exc:  # a coordinator moving or loading: retriable, for a while
                    if not exc.retriable or attempt == COORDINATOR_ATTEMPTS - 1:
                        raise
                    await asyncio.sleep(0.5)
        finally:
            await admin.close()
        committed = found.get(tp)
        return max(committed.offset, 0) if committed is not None else 0

    async def release(self, partitions: Iterable[int]) -> None:
        """Close the producers of partitions this worker no longer owns (after a revocation)."""
        released = list(partitions)
        for p in released:
            self._floors.pop(p, None)
        closing = [self._producers.pop(p) for p in released if p in self._producers]
        await asyncio.gather(*(p.stop() for p in closing), return_exceptions=True)

    async def stop(self) -> None:
        await self.release(list(self._producers))
