"""One probe: watch the topics from their end, send the canary through ingest, judge what arrives.

Reads without a consumer group until the probe's event has arrived on all three clean topics,
then a little longer (``settle_s``) for late copies, checking every record of every watched
topic. Only the probe's own synthetic values are ever printed; other records are named by
topic, partition and offset, never by their content.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from connectors.canary.result import CLEAN_TOPIC_NAMES, CanaryMetrics, Leak, ProbeResult
from connectors.canary.values import DEFAULT_DOMAIN, CanaryValues, build_request, find_markers
from connectors.settings import IngestSettings
from runtime.kafka import KafkaSettings
from schemas.topics import QUARANTINE

WATCHED_TOPICS = (*CLEAN_TOPIC_NAMES, QUARANTINE.name)


@dataclass(frozen=True)
class ProbeConfig:
    url: str
    ingest: IngestSettings
    kafka: KafkaSettings
    channel: str = "http"
    timeout_s: float = 60.0
    settle_s: float = 1.0  # after arrival: keep reading this long for late copies
    domain: str = DEFAULT_DOMAIN


Hook = Callable[[CanaryValues, str], Any]  # (values, event_id); may return an awaitable


async def run_probe(
    config: ProbeConfig, *, on_armed: Hook | None = None, metrics: CanaryMetrics | None = None
) -> ProbeResult:
    """One probe. ``on_armed`` is called once the topics are being watched and just before the
    message is sent (so whatever it writes to those topics is seen)."""
    result = await _probe(config, on_armed)
    if metrics is not None:
        metrics.observe(result)
    return result


async def _probe(config: ProbeConfig, on_armed: Hook | None) -> ProbeResult:
    import httpx
    from aiokafka import AIOKafkaConsumer
    from aiokafka.errors import KafkaError

    values = CanaryValues.generate(config.domain)
    try:
        request, event_id = build_request(config.channel, config.ingest, values)
    except ValueError as exc:
        return ProbeResult("error", None, values, 0.0, detail=str(exc))
    markers = values.markers()
    started = time.monotonic()
    deadline = started + config.timeout_s

    consumer = AIOKafkaConsumer(
        *WATCHED_TOPICS,
        **config.kafka.aiokafka_kwargs(),
        group_id=None,  # no group: every partition is ours, nothing committed, no rebalances
        enable_auto_commit=False,
        auto_offset_reset="latest",
        client_id="chatguard-canary",
    )
    try:
        async with asyncio.timeout(max(1.0, config.timeout_s)):
            await consumer.start()
            while {tp.topic for tp in consumer.assignment()} != set(WATCHED_TOPICS):
                await asyncio.sleep(0.05)  # assigned once the topics' metadata is in
            for tp in consumer.assignment():
                await consumer.position(tp)  # resolve "the end" now, before anything is sent
    except (KafkaError, TimeoutError, OSError) as exc:
        await consumer.stop()
        missing = set(WATCHED_TOPICS) - {tp.topic for tp in consumer.assignment()}
        detail = f"topics not found: {', '.join(sorted(missing))}" if missing else _describe(exc)
        return ProbeResult("error", event_id, values, time.monotonic() - started, detail=f"cannot read Kafka: {detail}")

    try:
        if on_armed is not None:
            maybe = on_armed(values, event_id)
            if inspect.isawaitable(maybe):
                await maybe
        sent_at = time.monotonic()
        try:
            async with httpx.AsyncClient(base_url=config.url, timeout=min(30.0, config.timeout_s)) as client:
                response = await client.post(request.path, content=request.body, headers=request.headers)
        except httpx.HTTPError as exc:
            return ProbeResult(
                "error", event_id, values, time.monotonic() - started, detail=f"ingest unreachable: {_describe(exc)}"
            )
        if not 200 <= response.status_code < 300:
            return ProbeResult(
                "error",
                event_id,
                values,
                time.monotonic() - started,
                detail=f"ingest answered HTTP {response.status_code} on {config.channel} {request.path}",
            )

        arrived: dict[str, float] = {}
        leaks: list[Leak] = []
        drain_to: dict[Any, int] | None = None  # end offsets when the event had arrived everywhere
        complete_at = 0.0
        settle_until = 0.0
        while True:
            now = time.monotonic()
            if drain_to is None and now >= deadline:
                break
            if drain_to is not None and now >= settle_until and await _caught_up(consumer, drain_to):
                break
            if drain_to is not None and now >= settle_until + config.timeout_s:
                break  # cannot catch up (Kafka gone): judge what was read
            batch = await consumer.getmany(timeout_ms=200)
            for tp, records in batch.items():
                for record in records:
                    hit = find_markers(record.value, markers) + find_markers(record.key, markers)
                    if hit:
                        leaks.append(Leak(tp.topic, tp.partition, record.offset, tuple(dict.fromkeys(hit))))
                    if (
                        tp.topic in CLEAN_TOPIC_NAMES
                        and tp.topic not in arrived
                        and _event_id(record.value) == event_id
                    ):
                        arrived[tp.topic] = time.monotonic() - sent_at
            if drain_to is None and len(arrived) == len(CLEAN_TOPIC_NAMES):
                complete_at = time.monotonic()
                drain_to = await consumer.end_offsets(list(consumer.assignment()))
                settle_until = time.monotonic() + config.settle_s
        # Arrived everywhere: from sending to the last arrival (the settle time is not latency).
        duration = (complete_at - sent_at) if drain_to is not None else time.monotonic() - started
        if leaks:
            return ProbeResult("leak", event_id, values, duration, arrived, leaks)
        if len(arrived) < len(CLEAN_TOPIC_NAMES):
            return ProbeResult(
                "timeout",
                event_id,
                values,
                duration,
                arrived,
                detail=f"not on every clean topic within {config.timeout_s:g} s",
            )
        return ProbeResult("ok", event_id, values, duration, arrived)
    except KafkaError as exc:
        return ProbeResult("error", event_id, values, time.monotonic() - started, detail=f"Kafka: {_describe(exc)}")
    finally:
        await consumer.stop()


async def _caught_up(consumer: Any, ends: Mapping[Any, int]) -> bool:
    """Has the consumer read everything up to ``ends`` (offsets per partition)?"""
    for tp, end in ends.items():
        if await consumer.position(tp) < end:
            return False
    return True


def _event_id(value: bytes | None) -> str | None:
    try:
        data = orjson.loads(value) if value else None
    except orjson.JSONDecodeError:
        return None
    return data.get("event_id") if isinstance(data, dict) else None


def _describe(exc: BaseException) -> str:
    return type(exc).__name__  # messages may quote hosts and the like; the class says enough
