"""The Faust worker: chat.raw in, redacted events out to the clean topics.

Guarantee: at least once. A batch's raw offsets are acknowledged to Faust only after every
clean (or quarantine) event it produced was acknowledged by Kafka (acks=all); Faust commits
only acknowledged offsets, so a crash re-reads what was not yet published. Duplicates are
possible after a crash, and carry the same event_id, so consumers can drop them.
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Awaitable, Sequence

import faust
from aiokafka.errors import MessageSizeTooLargeError
from aiokafka.record.default_records import DefaultRecordBatchBuilder

from pipeline.engine import Redaction, RedactionEngine, Result, utc_now
from pipeline.errors import StepError
from pipeline.metrics import PipelineMetrics
from pipeline.settings import Settings
from schemas.codec import decode_raw, encode
from schemas.errors import SchemaError
from schemas.quarantine import QuarantineRecord
from schemas.raw import RawMessage
from schemas.topics import CLEAN_TOPICS, QUARANTINE, RAW, TopicSpec

log = logging.getLogger("chatguard.worker")

# After stopping on an error the process must end, or no supervisor restarts it. Faust's own stop
# can wait forever when Kafka is unreachable (its consumer thread dies while stopping and the
# stop keeps waiting for it); past this deadline the worker exits by force, status 70.
CRASH_EXIT_DEADLINE_S = 90.0


def _faust_credentials(settings: Settings) -> Any:
    kafka = settings.kafka
    if kafka.sasl_mechanism:
        return faust.SASLCredentials(
            username=kafka.sasl_username,
            password=kafka.sasl_password,
            ssl_context=kafka.ssl_context(),
            mechanism=kafka.sasl_mechanism,
        )
    if kafka.security_protocol == "SSL":
        return kafka.ssl_context()
    return None


def _exit_if_still_running_after(seconds: float) -> None:
    """Arm a daemon timer that ends the process with status 70 unless it has exited by then.
    Nothing is lost by it: the failed batch was not acknowledged, so it is read again."""

    def force_exit() -> None:
        from pipeline.run_worker import EX_SOFTWARE

        log.critical("still running %.0f s after stopping on an error; exiting now", seconds)
        for handler in logging.getLogger().handlers:
            handler.flush()
        os._exit(EX_SOFTWARE)

    timer = threading.Timer(seconds, force_exit)
    timer.daemon = True
    timer.name = "chatguard-exit-deadline"
    timer.start()


def decode(event: Any) -> RawMessage | StepError:
    try:
        return decode_raw(event.value)
    except SchemaError as exc:
        return StepError("decode", exc, field=exc.field)
    except Exception as exc:  # bytes that are not even text
        return StepError("decode", exc)


class RedactionWorker:
    """Owns the Faust app, the engine and the metrics; one per process."""

    def __init__(self, settings: Settings, engine: RedactionEngine, metrics: PipelineMetrics) -> None:
        self.settings = settings
        self.engine = engine
        self.metrics = metrics
        # Detection is CPU-bound: run it off the event loop so fetching, heartbeats and
        # the previous batch's produce acknowledgements go on meanwhile.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="detect")
        self.app = faust.App(
            settings.consumer_group,
            broker=[f"kafka://{host}" for host in settings.kafka.bootstrap.split(",")],
            broker_credentials=_faust_credentials(settings),
            value_serializer="raw",
            key_serializer="raw",
            producer_acks=-1,
            consumer_auto_offset_reset="earliest",
            topic_disable_leader=True,
            web_enabled=False,
            store="memory://",
            broker_commit_interval=1.0,
        )
        # Only the source is a Faust topic: writes go through the producer directly (_send),
        # and every topic is created by apply_topics before the worker starts.
        self.raw_topic = self._topic(RAW, retention_ms=settings.raw_retention_ms)
        self.app.agent(self.raw_topic, name="chatguard.redact")(self._agent)

    def _topic(self, spec: TopicSpec, retention_ms: int | None = None) -> faust.TopicT:
        return self.app.topic(
            spec.name,
            partitions=spec.partitions,
            retention=(retention_ms or spec.retention_ms) / 1000,
            value_serializer="raw",
            key_serializer="raw",
        )

    async def _agent(self, stream: faust.StreamT) -> None:
        # Batch N's writes await Kafka's acknowledgement in their own task while batch N+1 is
        # taken and detected; at most one batch is in flight, so memory and duplicates after a
        # crash stay bounded. The task acknowledges as soon as Kafka has, without waiting for
        # more input, so a stop (Faust waits for taken events to be acknowledged) never hangs.
        in_flight: asyncio.Future[bool] | None = None
        async for events in stream.noack_take(self.settings.batch_size, within=self.settings.batch_timeout_s):
            detected = await self.detect(events)
            if in_flight is not None and not await in_flight:
                return
            in_flight = asyncio.ensure_future(self._acknowledge(stream, self.publish(events, *detected), events))

    async def _acknowledge(self, stream: faust.StreamT, publishing: Awaitable[Awaitable[None]], events: Sequence[Any]) -> bool:
        """Acknowledge a batch's raw offsets once every write ``publishing`` made was acknowledged."""
        try:
            await (await publishing)
        except Exception as exc:
            # Kafka refused a write even after retries. Stop without acknowledging the
            # batch: its offsets stay uncommitted and are re-read after a restart.
            log.error("publishing failed (%s); stopping so the batch is re-read", type(exc).__name__)
            self.metrics.errors.labels("publish").inc()
            _exit_if_still_running_after(CRASH_EXIT_DEADLINE_S)
            await self.app.crash(exc)
            return False
        for event in events:
            await stream.ack(event)
        return True

    async def detect(self, events: Sequence[Any]) -> tuple[list[RawMessage | StepError], list[Result]]:
        self.metrics.events_in.labels(RAW.name).inc(len(events))
        decoded = [decode(e) for e in events]
        valid = [d for d in decoded if isinstance(d, RawMessage)]
        started = time.perf_counter()
        results = await asyncio.get_running_loop().run_in_executor(self._executor, self.engine.redact_batch, valid)
        self.metrics.detection_seconds.observe(time.perf_counter() - started)
        self.metrics.batch_size.observe(len(valid))
        return decoded, results

    async def publish(self, events: Sequence[Any], decoded: list[RawMessage | StepError], redactions: list[Result]) -> Awaitable[None]:
        """Hand every write of a batch to the producer; return what waits for Kafka's
        acknowledgement of all of them (and then counts them)."""
        results = iter(redactions)
        pending: list[tuple[str, Any]] = []
        observed: list[Result] = []
        for event, item in zip(events, decoded):
            result: Result | StepError = item if isinstance(item, StepError) else next(results)
            outgoing = None if isinstance(result, StepError) else self._encoded(result)
            if isinstance(outgoing, StepError):
                result = outgoing
            observed.append(result)
            if isinstance(result, StepError):
                raw = item if isinstance(item, RawMessage) else None
                record = self._quarantine_record(event, raw, result)
                pending.append((QUARANTINE.name, await self._send(QUARANTINE.name, None, encode(record))))
                self.metrics.observe_quarantine(result)
                log.warning("event quarantined: %s", result)
                continue
            key, values = outgoing  # type: ignore[misc]
            for dest, value in values.items():
                name = CLEAN_TOPICS[dest].name
                pending.append((name, await self._send(name, key, value)))
        return self._confirmed(pending, observed)

    async def _confirmed(self, pending: list[tuple[str, Any]], observed: list[Result]) -> None:
        # Every write acknowledged before the raw offsets may commit; a refused one raises.
        await asyncio.gather(*(fut for _, fut in pending))
        for topic_name, _ in pending:
            self.metrics.events_out.labels(topic_name).inc()
        self.metrics.observe_results(observed)

    def _encoded(self, redaction: Redaction) -> tuple[bytes, dict[str, bytes]] | StepError:
        """The key and every destination's encoded copy; or a StepError if a copy exceeds the
        producer's request size. Kafka would refuse that write and a refused write stops the
        worker, so the same event would stop it again after every restart (replacements and
        findings can make a 64 KB text a >1 MB copy). Held back instead, like a failed step."""
        key = next(iter(redaction.by_destination.values())).conversation_id.encode()
        values = {dest: encode(message) for dest, message in redaction.by_destination.items()}
        limit = self.app.conf.producer_max_request_size
        if any(DefaultRecordBatchBuilder.estimate_size_in_bytes(key, v, []) > limit for v in values.values()):
            return StepError("anonymise", MessageSizeTooLargeError())
        return key, values

    async def _send(self, topic: str, key: bytes | None, value: bytes) -> asyncio.Future:
        # Faust's producer directly (acks=-1): Topic.send's per-message bookkeeping costs more
        # than the redaction of a short message, and the worker tracks acknowledgements itself.
        return await self.app.producer.send(topic, key, value, partition=None, timestamp=None, headers=None)

    @staticmethod
    def _quarantine_record(event: Any, raw: RawMessage | None, error: StepError) -> QuarantineRecord:
        message = event.message
        return QuarantineRecord(
            event_id=raw.event_id if raw else None,
            channel=raw.channel if raw else None,
            error_class=error.error_class,
            stage=error.stage,
            raw_partition=message.partition,
            raw_offset=message.offset,
            quarantined_at=utc_now(),
            field=error.field,
        )
