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
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Awaitable, Sequence

import faust
from aiokafka.errors import MessageSizeTooLargeError

from pipeline.engine import Redaction, RedactionEngine, Result, utc_now
from pipeline.errors import StepError, WorkerStopped
from pipeline.metrics import PipelineMetrics
from pipeline.publisher import BatchPublisher, Built, Record
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


OUTPUT_TOPICS = (*(spec.name for spec in CLEAN_TOPICS.values()), QUARANTINE.name)


@dataclass(frozen=True, slots=True)
class PreparedBatch:
    """A batch of raw events, redacted and encoded into Kafka record batches, not yet sent."""

    batches: list[Built]
    counts: Counter[str]  # records per topic
    observed: list[Result]  # what each event became, for the metrics


async def _until_cancelled() -> None:
    await asyncio.get_running_loop().create_future()


def decode(event: Any) -> RawMessage | StepError:
    try:
        return decode_raw(event.value)
    except SchemaError as exc:
        return StepError("decode", exc, field=exc.field)
    except Exception as exc:  # bytes that are not even text
        return StepError("decode", exc)


class RedactionWorker:
    """Owns the Faust app, the engine, the publisher and the metrics; one per process."""

    def __init__(self, settings: Settings, engine: RedactionEngine, metrics: PipelineMetrics) -> None:
        self.settings = settings
        self.engine = engine
        self.metrics = metrics
        # Detection is CPU-bound: run it off the event loop so fetching, heartbeats and
        # the previous batch's produce acknowledgements go on meanwhile.
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="detect")
        self.publisher = BatchPublisher(settings.kafka, request_timeout_ms=int(settings.publish_timeout_s * 1000))
        self.app = faust.App(
            settings.consumer_group,
            broker=[f"kafka://{host}" for host in settings.kafka.bootstrap.split(",")],
            broker_credentials=_faust_credentials(settings),
            value_serializer="raw",
            key_serializer="raw",
            producer_acks=-1,
            consumer_auto_offset_reset="earliest",
            topic_disable_leader=True,
            topic_allow_declare=False,  # apply_topics made every topic; the worker's ACLs allow no more
            web_enabled=False,
            store="memory://",
            broker_commit_interval=1.0,
        )
        # Only the source is a Faust topic: writes go through the worker's own producer
        # (pipeline/publisher.py), and every topic is created by apply_topics before the worker starts.
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
        # Three stages, overlapping: this loop takes batch N+2 (Faust fills its take buffer only
        # while the loop waits in it), the detection thread prepares batch N+1 (_process), and
        # batch N's writes await Kafka's acknowledgement. So at most three batches are taken
        # and unacknowledged, bounding memory and the duplicates after a crash. A batch is
        # acknowledged as soon as Kafka has its writes, without waiting for more input, so a
        # stop (Faust waits for taken events to be acknowledged) never hangs.
        await self.publisher.start()
        taken: asyncio.Queue[Sequence[Any]] = asyncio.Queue(maxsize=1)
        processing = asyncio.ensure_future(self._process(stream, taken))
        # When noack_take's generator is finalised, Faust turns automatic acknowledgement back on
        # for the stream: events arriving after that would be acknowledged unprocessed. So the
        # generator lives as long as the worker, and nothing leaves the loop but a cancel.
        self._batches = stream.noack_take(self.settings.batch_size, within=self.settings.batch_timeout_s)
        try:
            async for events in self._batches:
                await taken.put(events)  # waits while _process is busy (or stopped: see _stop_on)
        finally:
            processing.cancel()
            await asyncio.gather(processing, return_exceptions=True)

    async def _process(self, stream: faust.StreamT, taken: asyncio.Queue[Sequence[Any]]) -> None:
        loop = asyncio.get_running_loop()
        in_flight: asyncio.Future[bool] | None = None
        try:
            while True:
                events = await taken.get()
                try:
                    self.metrics.events_in.labels(RAW.name).inc(len(events))
                    partitions = await self.publisher.partitions(OUTPUT_TOPICS)
                    prepared = await loop.run_in_executor(self._executor, self.prepare, events, partitions)
                except Exception as exc:
                    await self._stop_on("detect", exc)
                if in_flight is not None and not await in_flight:
                    await _until_cancelled()  # _acknowledge stopped the worker
                in_flight = asyncio.ensure_future(self._acknowledge(stream, self._write(prepared), events))
        finally:
            # Stopping: let the last batch's writes be acknowledged (and its offsets with them),
            # then close the producer, which sends whatever it still holds first.
            timeout = self.settings.publish_timeout_s
            if in_flight is not None:
                await asyncio.wait([in_flight], timeout=timeout)
                if in_flight.done() and not in_flight.cancelled() and in_flight.result():
                    # Faust's own last commit may have come before these acknowledgements.
                    await asyncio.wait([asyncio.ensure_future(self._commit())], timeout=timeout)
            await asyncio.wait([asyncio.ensure_future(self.publisher.stop())], timeout=timeout)

    async def _commit(self) -> None:
        try:
            await self.app.consumer.commit()
        except Exception as exc:  # noqa: BLE001 - stopping anyway; the cost is re-reading a batch
            log.info("last commit failed (%s); the last batch will be read again", type(exc).__name__)

    async def _acknowledge(self, stream: faust.StreamT, writing: Awaitable[None], events: Sequence[Any]) -> bool:
        """Acknowledge a batch's raw offsets once ``writing`` saw every write acknowledged;
        if it failed, stop the worker without acknowledging them (they are re-read)."""
        try:
            await writing
        except Exception as exc:
            await self._stop_on("publish", exc, wait=False)
            return False
        for event in events:
            await stream.ack(event)
        return True

    async def _stop_on(self, stage: str, exc: BaseException, *, wait: bool = True) -> None:
        """Stop the worker without acknowledging the batch at hand, so a restart re-reads it.
        With ``wait``, stay here until Faust cancels the agent (see _agent)."""
        log.error("%s failed (%s); stopping so the batch is re-read", stage, type(exc).__name__)
        self.metrics.errors.labels(stage).inc()
        _exit_if_still_running_after(CRASH_EXIT_DEADLINE_S)
        await self.app.crash(WorkerStopped(stage, exc))
        if wait:
            await _until_cancelled()

    def prepare(self, events: Sequence[Any], partitions: dict[str, list[int]]) -> PreparedBatch:
        """Decode, detect, anonymise, encode and group into Kafka batches: everything
        CPU-bound, in the detection thread, so the event loop only moves bytes."""
        decoded = [decode(e) for e in events]
        valid = [d for d in decoded if isinstance(d, RawMessage)]
        started = time.perf_counter()
        redactions = iter(self.engine.redact_batch(valid))
        self.metrics.detection_seconds.observe(time.perf_counter() - started)
        self.metrics.batch_size.observe(len(valid))
        records: list[Record] = []
        observed: list[Result] = []
        for event, item in zip(events, decoded):
            result: Result | StepError = item if isinstance(item, StepError) else next(redactions)
            outgoing = None if isinstance(result, StepError) else self._encoded(result)
            if isinstance(outgoing, StepError):
                result = outgoing
            observed.append(result)
            if isinstance(result, StepError):
                raw = item if isinstance(item, RawMessage) else None
                records.append((QUARANTINE.name, None, encode(self._quarantine_record(event, raw, result))))
                self.metrics.observe_quarantine(result)
                log.warning("event quarantined: %s", result)
                continue
            key, values = outgoing  # type: ignore[misc]
            records.extend((CLEAN_TOPICS[dest].name, key, value) for dest, value in values.items())
        counts = Counter(topic for topic, _, _ in records)
        return PreparedBatch(self.publisher.build(records, partitions), counts, observed)

    async def _write(self, prepared: PreparedBatch) -> None:
        # Every write acknowledged before the raw offsets may commit; a refused one raises. The
        # producer is idempotent, and such a producer retries a write for ever (aiokafka never
        # expires its batches): the deadline is kept here.
        sending = self.publisher.send(prepared.batches)
        await asyncio.wait_for(self._sent(sending), self.settings.publish_timeout_s)
        for topic, count in prepared.counts.items():
            self.metrics.events_out.labels(topic).inc(count)
        self.metrics.observe_results(prepared.observed)

    @staticmethod
    async def _sent(sending: Awaitable[Awaitable[list]]) -> None:
        await (await sending)

    def _encoded(self, redaction: Redaction) -> tuple[bytes, dict[str, bytes]] | StepError:
        """The key and every destination's encoded copy; or a StepError if a copy exceeds the
        producer's request size. Kafka would refuse that write and a refused write stops the
        worker, so the same event would stop it again after every restart (replacements and
        findings can make a 64 KB text a >1 MB copy). Held back instead, like a failed step."""
        key = next(iter(redaction.by_destination.values())).conversation_id.encode()
        values = {dest: encode(message) for dest, message in redaction.by_destination.items()}
        if not all(self.publisher.fits(key, v) for v in values.values()):
            return StepError("anonymise", MessageSizeTooLargeError())
        return key, values

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
