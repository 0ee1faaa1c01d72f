"""Consumer lag of the workers' group on ``chat.raw``, as the gauge
``chatguard_consumer_lag_messages{topic, partition}``.

Every worker samples the lag of the whole consumer group, not only of the partitions it owns: one
live worker is enough to report every partition, including one that no worker holds during a
rebalance. With several workers the same series comes from each of them (distinguished by
``instance``): dashboards and alerts take ``max by (topic, partition)``.

Lag is the log end offset minus the group's committed offset: messages written to ``chat.raw``
that the group has not yet finished (published and committed). It is read from Kafka itself
(ListOffsets, OffsetFetch), so it also counts messages a crashed worker will re-read.
If a sample fails (Kafka unreachable), the gauge's series are removed until the next good one:
a stale number would look like a healthy, steady lag.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Hashable, Mapping
from typing import TYPE_CHECKING, TypeVar

from prometheus_client import REGISTRY, CollectorRegistry, Gauge

from runtime.kafka import KafkaSettings
from schemas.topics import RAW

if TYPE_CHECKING:
    from aiokafka import AIOKafkaConsumer
    from aiokafka.admin import AIOKafkaAdminClient

log = logging.getLogger("chatguard.lag")

K = TypeVar("K", bound=Hashable)

LAG_METRIC = "chatguard_consumer_lag_messages"
DEFAULT_INTERVAL_S = 10.0
REQUEST_TIMEOUT_S = 10.0


def partition_lag(
    end_offsets: Mapping[K, int],
    committed: Mapping[K, int | None],
    beginning_offsets: Mapping[K, int] | None = None,
) -> dict[K, int]:
    """Messages not yet consumed, per partition of ``end_offsets``.

    ``committed`` holds the group's committed offset (the next offset it will read); a partition
    missing from it, or with ``None`` or a negative offset, has no commit: the group starts at the
    earliest message there (``auto_offset_reset=earliest``), so all of it is lag. A commit below the
    log start (retention already deleted those messages) counts from the log start. Never negative.
    """
    begin = beginning_offsets or {}
    lag: dict[K, int] = {}
    for partition, end in end_offsets.items():
        start = begin.get(partition, 0)
        offset = committed.get(partition)
        position = start if offset is None or offset < 0 else max(offset, start)
        lag[partition] = max(end - position, 0)
    return lag


class LagMonitor:
    """Samples one consumer group's lag on one topic through Kafka's admin and consumer APIs."""

    def __init__(
        self,
        kafka: KafkaSettings,
        group_id: str,
        topic: str = RAW.name,
        registry: CollectorRegistry | None = None,
    ) -> None:
        self.kafka = kafka
        self.group_id = group_id
        self.topic = topic
        self.gauge = Gauge(
            LAG_METRIC,
            "Messages on the topic not yet committed by the workers' consumer group, by partition.",
            ["topic", "partition"],
            # None means prometheus_client's default registry (registry=None would register nowhere).
            registry=REGISTRY if registry is None else registry,
        )
        self._admin: AIOKafkaAdminClient | None = None
        self._consumer: AIOKafkaConsumer | None = None

    async def start(self) -> None:
        from aiokafka import AIOKafkaConsumer
        from aiokafka.admin import AIOKafkaAdminClient

        admin = AIOKafkaAdminClient(**self.kafka.aiokafka_kwargs(), request_timeout_ms=int(REQUEST_TIMEOUT_S * 1000))
        await admin.start()
        # No group: this consumer only asks for offsets, it never joins the workers' group.
        consumer = AIOKafkaConsumer(
            **self.kafka.aiokafka_kwargs(),
            group_id=None,
            enable_auto_commit=False,
            request_timeout_ms=int(REQUEST_TIMEOUT_S * 1000),
        )
        try:
            await consumer.start()
        except BaseException:
            await admin.close()
            raise
        self._admin, self._consumer = admin, consumer

    async def stop(self) -> None:
        admin, consumer, self._admin, self._consumer = self._admin, self._consumer, None, None
        if consumer is not None:
            await consumer.stop()
        if admin is not None:
            await admin.close()

    async def sample(self) -> dict[int, int]:
        """Lag per partition number of ``topic``, read now from Kafka."""
        from aiokafka.structs import TopicPartition

        if self._admin is None:
            await self.start()
        admin, consumer = self._admin, self._consumer
        if admin is None or consumer is None:  # start() sets both or raises
            raise RuntimeError("lag monitor not started")
        described = [t for t in await admin.describe_topics([self.topic]) if t["topic"] == self.topic]
        if not described or described[0]["error_code"] or not described[0]["partitions"]:
            raise LookupError(f"topic {self.topic} not found")
        partitions = [TopicPartition(self.topic, p["partition"]) for p in described[0]["partitions"]]
        end, begin, committed = await asyncio.wait_for(
            asyncio.gather(
                consumer.end_offsets(partitions),
                consumer.beginning_offsets(partitions),
                admin.list_consumer_group_offsets(self.group_id, partitions=partitions),
            ),
            REQUEST_TIMEOUT_S,
        )
        lag = partition_lag(end, {tp: meta.offset for tp, meta in committed.items()}, begin)
        return {tp.partition: value for tp, value in lag.items()}

    async def update(self) -> dict[int, int] | None:
        """Sample and set the gauge; on failure remove its series, log, and return None."""
        try:
            lag = await self.sample()
        except Exception as exc:
            log.warning("consumer lag of %s on %s not sampled (%s)", self.group_id, self.topic, type(exc).__name__)
            self.gauge.clear()
            await self._reset()
            return None
        for partition, value in lag.items():
            self.gauge.labels(self.topic, str(partition)).set(value)
        return lag

    async def run(self, stop: threading.Event, interval_s: float = DEFAULT_INTERVAL_S) -> None:
        try:
            while not stop.is_set():
                await self.update()
                # Wake early when asked to stop; the event is a thread's, so poll it.
                for _ in range(max(1, int(interval_s / 0.25))):
                    if stop.is_set():
                        break
                    await asyncio.sleep(min(0.25, interval_s))
        finally:
            await self.stop()

    async def _reset(self) -> None:
        try:
            await self.stop()
        except Exception:  # a broken connection may fail to close: start afresh regardless
            self._admin = self._consumer = None


class LagMonitorThread(threading.Thread):
    """A daemon thread with its own event loop (Faust owns the main one), sampling every ``interval_s``."""

    def __init__(self, monitor: LagMonitor, interval_s: float = DEFAULT_INTERVAL_S) -> None:
        super().__init__(name="chatguard-lag", daemon=True)
        self.monitor = monitor
        self.interval_s = interval_s
        self.stopping = threading.Event()

    def run(self) -> None:
        asyncio.run(self.monitor.run(self.stopping, self.interval_s))

    def stop(self, timeout_s: float = 15.0) -> None:
        self.stopping.set()
        self.join(timeout_s)


def start_lag_monitor(
    kafka: KafkaSettings,
    group_id: str,
    interval_s: float = DEFAULT_INTERVAL_S,
    registry: CollectorRegistry | None = None,
) -> LagMonitorThread:
    """Start sampling ``group_id``'s lag on ``chat.raw`` in the background; returns the thread."""
    thread = LagMonitorThread(LagMonitor(kafka, group_id, RAW.name, registry), interval_s)
    thread.start()
    return thread
