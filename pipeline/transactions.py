"""Exactly once, fenced per input partition.

One transactional producer per ``chat.raw`` partition this worker owns, named
``<group>-chat.raw-<partition>``. A batch's clean and quarantine records and its consumed offset
commit in one transaction per source partition. When another worker takes a partition over, its
producer starts under the same transactional id, and Kafka fences the previous one: a worker that
was paused past its session (a long GC, a frozen VM) and wakes up cannot commit a batch of a
partition it lost, nor leave one half-done. (aiokafka's offset commit in a transaction carries no
consumer generation, so fencing by transactional id is what makes this hold.)
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence

from pipeline.publisher import BatchPublisher, Record
from runtime.kafka import KafkaSettings
from schemas.topics import RAW


def transactional_id(group: str, partition: int) -> str:
    return f"{group}-{RAW.name}-{partition}"


class PartitionTransactions:
    def __init__(self, kafka: KafkaSettings, group: str, request_timeout_ms: int) -> None:
        self._kafka = kafka
        self._group = group
        self._timeout_ms = request_timeout_ms
        self._producers: dict[int, BatchPublisher] = {}

    async def write(
        self,
        records: Mapping[int, Sequence[Record]],
        next_offsets: Mapping[int, int],
        partitions: Mapping[str, Sequence[int]],
    ) -> None:
        """Commit each source partition's ``records`` with its ``next_offsets`` entry, the
        partitions side by side. Raises if any transaction failed (fenced, refused)."""
        await asyncio.gather(*(self._write_one(p, records[p], next_offsets[p], partitions) for p in sorted(records)))

    async def _write_one(
        self, partition: int, records: Sequence[Record], next_offset: int, partitions: Mapping[str, Sequence[int]]
    ) -> None:
        producer = await self._producer(partition)
        built = producer.build(records, partitions)
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
        return producer

    async def release(self, partitions: Iterable[int]) -> None:
        """Close the producers of partitions this worker no longer owns (after a revocation)."""
        closing = [self._producers.pop(p) for p in partitions if p in self._producers]
        await asyncio.gather(*(p.stop() for p in closing), return_exceptions=True)

    async def stop(self) -> None:
        await self.release(list(self._producers))
