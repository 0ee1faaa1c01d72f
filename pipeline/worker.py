"""The Faust worker: chat.raw in, redacted events out to the clean topics.

Guarantee: at least once. A batch's raw offsets are acknowledged to Faust only after every
clean (or quarantine) event it produced was acknowledged by Kafka (acks=all); Faust commits
only acknowledged offsets, so a crash re-reads what was not yet published. Duplicates are
possible after a crash, and carry the same event_id, so consumers can drop them.

The detection policy: the file's, or the version in force on chat.policy (pipeline/policy_feed.py),
read before the first batch and switched between batches, so every event of a batch is redacted
under one version, and carries it as policy_version.
"""

from __future__ import annotations

import asyncio
import logging
import os
import tempfile
import threading
from collections import Counter
from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import faust

from pipeline.detect_process import DetectedBatch, DetectionProcess, stall_seconds
from pipeline.errors import EX_SOFTWARE, ConfigError, WorkerStopped
from pipeline.metrics import PipelineMetrics
from pipeline.policies import load_document
from pipeline.policy_feed import TOPIC, Candidate, PolicyFeed, PolicyRejected
from pipeline.publisher import BatchPublisher, Built, Record
from pipeline.settings import Settings
from pipeline.transactions import PartitionTransactions
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

    batches: list[Built]  # empty under exactly_once: each partition's producer builds its own
    detected: DetectedBatch  # its records, and what the metrics need
    partitions: dict[str, list[int]]  # each output topic's partitions


async def _until_cancelled() -> None:
    await asyncio.get_running_loop().create_future()


class RedactionWorker:
    """Owns the Faust app, the detection process, the publisher and the metrics; one per process."""

    def __init__(self, settings: Settings, metrics: PipelineMetrics, environ: Mapping[str, str]) -> None:
        self.settings = settings
        self.metrics = metrics
        # Detection is CPU-bound: it runs in a child process with a GIL of its own, so that
        # fetching, heartbeats and acknowledgements on the event loop never slow it, nor it them.
        self.detection = DetectionProcess(environ, stall_seconds(settings))
        self.feed = PolicyFeed(settings.kafka, load_document(settings.policy_file), metrics)
        timeout_ms = int(settings.publish_timeout_s * 1000)
        self.publisher = BatchPublisher(settings.kafka, request_timeout_ms=timeout_ms)
        self.transactions = (
            PartitionTransactions(settings.kafka, settings.consumer_group, timeout_ms)
            if settings.exactly_once
            else None
        )
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
            # Only a backstop: each batch commits its offsets once acknowledged (_commit_acknowledged).
            broker_commit_interval=10.0,
            consumer_group_instance_id=settings.worker_instance_id,
            # Faust makes this directory (not its parents) even with the memory store: not in the cwd.
            datadir=os.path.join(tempfile.gettempdir(), f"chatguard-faust-{settings.consumer_group}-data"),
        )
        # Only the source is a Faust topic: writes go through the worker's own producer
        # (pipeline/publisher.py), and every topic is created by apply_topics before the worker starts.
        self.raw_topic = self._topic(RAW, retention_ms=settings.raw_retention_ms)
        self.app.agent(self.raw_topic, name="chatguard.redact")(self._agent)
        self.app.on_partitions_revoked.connect(self._on_revoked)

    def start_policy(self) -> None:
        """Before the first batch (the detection process started, the topics applied): the policy
        in force on chat.policy, if it holds one, instead of the file's. Raises Unreachable if
        chat.policy cannot be read: the worker does not start on a policy it cannot know is current."""
        self.feed.history.supported = self.detection.supported_entities()
        candidate = asyncio.run(self.feed.replay())
        if candidate.source == TOPIC:
            try:
                self.detection.use_policy(candidate.document.encode())
            except Exception as exc:
                self.feed.reject(_refused(candidate, exc))
                candidate = self.feed.current
        self.feed.in_force(candidate)

    async def _apply_pending_policy(self) -> None:
        """Between two batches: the newest valid chat.policy record, if one came."""
        candidate = self.feed.take()
        if candidate is None:
            return
        try:
            await self.detection.apply_policy(candidate.document.encode())
        except Exception as exc:  # fail closed: the policy in force stays
            self.feed.reject(_refused(candidate, exc))
            return
        self.feed.in_force(candidate)

    async def _next_batch(self, taken: asyncio.Queue[Sequence[Any]]) -> Sequence[Any]:
        """The next batch taken; a policy version that comes meanwhile is applied at once (no batch
        is being prepared), and one that came with the batch before it."""
        while True:
            await self._apply_pending_policy()
            getting = asyncio.ensure_future(taken.get())
            changed = asyncio.ensure_future(self.feed.changed.wait())
            try:
                await asyncio.wait({getting, changed}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                changed.cancel()
                if not getting.done():
                    getting.cancel()  # Queue.get gives up its place; the batch stays queued
            if getting.done() and not getting.cancelled():
                await self._apply_pending_policy()
                return getting.result()

    async def _on_revoked(self, sender: Any, /, *args: Any, signal: Any, **_: Any) -> None:
        # Faust sends this after the batches taken from these partitions were written and
        # acknowledged. Their producers go: if this worker gets a partition back, a new one
        # starts under its id, after whichever worker held it in between.
        revoked: set[Any] = args[0] if args else set()
        if self.transactions is not None:
            await self.transactions.release(tp.partition for tp in revoked if tp.topic == RAW.name)

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
        # while the loop waits in it), the detection process prepares batch N+1 (_process), and
        # batch N's writes await Kafka's acknowledgement. So at most three batches are taken
        # and unacknowledged, bounding memory and the duplicates after a crash. A batch is
        # acknowledged as soon as Kafka has its writes, without waiting for more input, so a
        # stop (Faust waits for taken events to be acknowledged) never hangs.
        await self.publisher.start()
        self.feed.start()
        taken: asyncio.Queue[Sequence[Any]] = asyncio.Queue(maxsize=1)
        processing = asyncio.ensure_future(self._process(stream, taken))
        # When noack_take's generator is finalised, Faust turns automatic acknowledgement back on
        # for the stream: events arriving after that would be acknowledged unprocessed. So the
        # generator lives as long as the worker, and nothing leaves the loop but a cancel.
        self._batches = stream.noack_take(self.settings.batch_size, within=self.settings.batch_timeout_s)  # type: ignore[attr-defined]  # faust's StreamT interface lacks noack_take; its Stream, which agents get, has it
        try:
            async for events in self._batches:
                await taken.put(events)  # waits while _process is busy (or stopped: see _stop_on)
        finally:
            processing.cancel()
            await asyncio.gather(processing, return_exceptions=True)

    async def _process(self, stream: faust.StreamT, taken: asyncio.Queue[Sequence[Any]]) -> None:
        in_flight: asyncio.Future[bool] | None = None
        try:
            while True:
                events = await self._next_batch(taken)
                try:
                    self.metrics.events_in.labels(RAW.name).inc(len(events))
                    partitions = await self.publisher.partitions(OUTPUT_TOPICS)
                    prepared = await self._prepare(events, partitions)
                except Exception as exc:
                    await self._stop_on("detect", exc)
                if in_flight is not None and not await in_flight:
                    await _until_cancelled()  # _acknowledge stopped the worker
                in_flight = asyncio.ensure_future(self._acknowledge(stream, self._write(prepared, events), events))
        finally:
            # Stopping: let the last batch's writes be acknowledged (and its offsets with them),
            # then close the producer, which sends whatever it still holds first.
            await self.feed.stop()
            timeout = self.settings.publish_timeout_s
            if in_flight is not None:
                await asyncio.wait([in_flight], timeout=timeout)
                if in_flight.done() and not in_flight.cancelled() and in_flight.result():
                    # Faust's own last commit may have come before these acknowledgements.
                    await asyncio.wait([asyncio.ensure_future(self._commit())], timeout=timeout)
            await asyncio.wait([asyncio.ensure_future(self.publisher.stop())], timeout=timeout)
            if self.transactions is not None:
                await asyncio.wait([asyncio.ensure_future(self.transactions.stop())], timeout=timeout)

    async def _commit(self) -> None:
        try:
            await self.app.consumer.commit()
        except Exception as exc:  # stopping anyway; the cost is re-reading a batch
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
        await self._commit_acknowledged({event.message.tp for event in events})
        return True

    async def _commit_acknowledged(self, partitions: set[Any]) -> None:
        # Faust drops the acknowledged but not yet committed offsets of revoked partitions before
        # its last commit on a rebalance, so a periodic commit would let every graceful join or
        # leave repeat up to one interval of traffic. Committing each batch as it is acknowledged
        # leaves nothing to drop. Under exactly_once the transaction has committed these offsets
        # already; committing them again here, before the next transaction starts, empties Faust's
        # list, so no later commit of Faust's can land behind a newer transaction and move the
        # group's offsets back (that repeated committed batches after a rebalance). A commit
        # already under way makes the first call wait for it and return without ours: hence two.
        for _ in range(2):
            if await self.app.consumer.commit(partitions):
                return

    async def _stop_on(self, stage: str, exc: BaseException, *, wait: bool = True) -> None:
        """Stop the worker without acknowledging the batch at hand, so a restart re-reads it.
        With ``wait``, stay here until Faust cancels the agent (see _agent)."""
        log.error("%s failed (%s); stopping so the batch is re-read", stage, type(exc).__name__)
        self.metrics.errors.labels(stage).inc()
        _exit_if_still_running_after(CRASH_EXIT_DEADLINE_S)
        # Faust's crash() logs the exception being handled, traceback and all; ours is called in
        # an except block, so that would be ``exc`` (whose message and the detection process's
        # remote traceback may quote an event). Crash with a fresh WorkerStopped instead, raised
        # "from None": its traceback is printed without ``exc``; it names ``exc``'s class only.
        try:
            raise WorkerStopped(stage, exc) from None
        except WorkerStopped as stopped:
            await self.app.crash(stopped)
        if wait:
            await _until_cancelled()

    async def _prepare(self, events: Sequence[Any], partitions: dict[str, list[int]]) -> PreparedBatch:
        """Detect in the child; group its records into Kafka record batches here."""
        detected = await self.detection.detect([(e.value, e.message.partition, e.message.offset) for e in events])
        self.metrics.detection_seconds.observe(detected.seconds)
        self.metrics.batch_size.observe(detected.valid)
        for stage, error_class in detected.quarantined:
            self.metrics.observe_quarantine(stage, error_class)
            log.warning("event quarantined: %s failed: %s", stage, error_class)
        batches = [] if self.transactions is not None else self.publisher.build(detected.records, partitions)
        return PreparedBatch(batches, detected, partitions)

    async def _write(self, prepared: PreparedBatch, events: Sequence[Any]) -> None:
        # Every write acknowledged before the raw offsets may commit; a refused one raises. The
        # producer is idempotent, and such a producer retries a write for ever (aiokafka never
        # expires its batches): the deadline is kept here.
        if self.transactions is not None:
            next_offsets: dict[int, int] = {}
            for event in events:
                partition = event.message.partition
                next_offsets[partition] = max(next_offsets.get(partition, 0), event.message.offset + 1)
            by_partition: dict[int, list[tuple[int, Record]]] = {partition: [] for partition in next_offsets}
            for (partition, offset), record in zip(prepared.detected.sources, prepared.detected.records, strict=True):
                by_partition[partition].append((offset, record))
            writing = self.transactions.write(by_partition, next_offsets, prepared.partitions)
            await asyncio.wait_for(writing, self.settings.publish_timeout_s)
        else:
            sending = self.publisher.send(prepared.batches)
            await asyncio.wait_for(self._sent(sending), self.settings.publish_timeout_s)
        for topic, count in Counter(topic for topic, _, _ in prepared.detected.records).items():
            self.metrics.events_out.labels(topic).inc(count)
        self.metrics.observe_redacted(prepared.detected.findings, prepared.detected.redacted)

    @staticmethod
    async def _sent(sending: Awaitable[Awaitable[list]]) -> None:
        await (await sending)


def _refused(candidate: Candidate, exc: BaseException) -> PolicyRejected:
    """The detection process refused a policy version (its ConfigError names the field)."""
    field, _, reason = str(exc).partition(": ") if isinstance(exc, ConfigError) else ("policy", "", "")
    reason = reason or f"the detection process refused it ({type(exc).__name__})"
    return PolicyRejected(candidate.offset, candidate.document.version, field, reason, "apply_failed")
