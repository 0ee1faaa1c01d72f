"""The detection policy a worker runs: its policy file, and the versions published on ``chat.policy``.

``chat.policy`` is compacted and every record has one key, so its latest record is the active
policy. Its records are read in order from the beginning, as one history: a valid document
replaces the policy in force, a tombstone (no value) withdraws the published policy and returns
to the file's, and a record that fails validation is ignored: logged at ERROR with its offset,
its version and the field at fault, counted (``chatguard_policy_rejected_total``), never applied
(fail closed: the policy in force stays). A worker that starts reads the whole topic that way
(``replay``) before its first batch, so it ends where a worker that ran all along is. While it
runs, ``follow`` reads new records in the background and holds the newest valid one; the batch
loop takes it (``take``) and applies it between two batches, never during one.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import orjson

from pipeline.metrics import PipelineMetrics
from runtime.kafka import KafkaSettings
from schemas.errors import ConfigError, SchemaError, Unreachable
from schemas.policy import MAX_DOCUMENT_BYTES, POLICY_KEY, VERSION_PATTERN, PolicyDocument, weakenings
from schemas.topics import POLICY

if TYPE_CHECKING:
    from aiokafka import AIOKafkaConsumer

log = logging.getLogger("chatguard.policy")

FILE, TOPIC = "file", "topic"  # where the policy in force came from (the metric's source label)
READ_TIMEOUT_S = 30.0
RETRY_S = 5.0

Record = tuple[int, bytes | None, bytes | None]  # offset, key, value (None: a tombstone)


@dataclass(frozen=True, slots=True)
class Candidate:
    """A policy some record (or the file) asks for."""

    document: PolicyDocument
    source: str  # FILE or TOPIC
    offset: int | None = None  # on chat.policy; None for the file at start

    def describe(self) -> str:
        where = "the policy file" if self.source == FILE else "chat.policy"
        if self.offset is not None:
            where += (
                f" (chat.policy offset {self.offset}: a tombstone)" if self.source == FILE else f" offset {self.offset}"
            )
        return f"version {self.document.version} from {where}"


class PolicyRejected(Exception):
    """A chat.policy record that is not applied. Names the field at fault, never quotes a value."""

    def __init__(self, offset: int | None, version: str | None, field: str, reason: str, metric_reason: str) -> None:
        self.offset, self.version, self.field, self.reason = offset, version, field, reason
        self.metric_reason = metric_reason  # invalid, unknown_entity, version_reused, apply_failed
        super().__init__(f"chat.policy offset {offset}, version {version or '(unreadable)'}: {field}: {reason}")


class History:
    """What chat.policy's records ask for, read in order: checks each record, and remembers which
    document each version named (the file's included), so a version names one document only."""

    def __init__(self, file: PolicyDocument, supported: frozenset[str] | None = None) -> None:
        self.file = file
        self.supported = supported  # the detector's entity types (None: unchecked)
        self.versions: dict[str, PolicyDocument] = {file.version: file}

    def check(self, offset: int, key: bytes | None, value: bytes | None) -> Candidate:
        """What the record at ``offset`` asks for; PolicyRejected if it cannot be applied: another
        key than POLICY_KEY (compaction would then keep records it should drop), not a valid
        document, an entity type the detector cannot find, a version that named another document."""
        version = claimed_version(value) if value is not None else None
        if key != POLICY_KEY:
            raise PolicyRejected(offset, version, "key", f"must be {POLICY_KEY.decode()}", "invalid")
        if value is None:
            return Candidate(self.file, FILE, offset)
        try:
            document = PolicyDocument.decode(value)
        except SchemaError as exc:
            raise PolicyRejected(offset, version, exc.field, exc.reason, "invalid") from None
        unknown = [e for e in document.entities if self.supported is not None and e not in self.supported]
        if unknown:
            reason = f"no recognizer for {', '.join(unknown)}"
            raise PolicyRejected(offset, document.version, "detection.entities", reason, "unknown_entity")
        if self.versions.setdefault(document.version, document) != document:
            reason = "names another document already (each version names one document)"
            raise PolicyRejected(offset, document.version, "version", reason, "version_reused")
        return Candidate(document, TOPIC, offset)


def claimed_version(value: bytes) -> str | None:
    """The version an invalid record says it is, if it says so in a well-formed way."""
    if len(value) > MAX_DOCUMENT_BYTES:
        return None
    try:
        version = orjson.loads(value).get("version")
    except (orjson.JSONDecodeError, AttributeError):
        return None
    return version if isinstance(version, str) and VERSION_PATTERN.fullmatch(version) else None


def replay(
    records: Iterable[Record],
    history: History,
    on_reject: Callable[[PolicyRejected, Candidate], None] = lambda rejected, kept: None,
) -> Candidate:
    """The policy in force after ``records``, read in order from the file's; ``on_reject`` is
    told of each record ignored, and of the policy kept instead."""
    current = Candidate(history.file, FILE)
    for offset, key, value in records:
        try:
            current = history.check(offset, key, value)
        except PolicyRejected as rejected:
            on_reject(rejected, current)
    return current


async def read_topic(kafka: KafkaSettings, timeout_s: float = READ_TIMEOUT_S) -> tuple[list[Record], int]:
    """Every record on chat.policy now, in order, and the offset after the last one.
    Raises Unreachable if Kafka does not answer, ConfigError if the topic cannot be read."""
    from aiokafka import AIOKafkaConsumer, TopicPartition
    from aiokafka.errors import KafkaError

    consumer = AIOKafkaConsumer(enable_auto_commit=False, **kafka.aiokafka_kwargs())
    tp = TopicPartition(POLICY.name, 0)
    try:
        await asyncio.wait_for(consumer.start(), timeout_s)
        if POLICY.name not in await asyncio.wait_for(consumer.topics(), timeout_s):
            raise ConfigError(
                f"{POLICY.name}: no such topic, or this principal may not read it "
                "(run 'chatguard topics apply' as an admin; the ACLs: README, Security)"
            )
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        end = (await asyncio.wait_for(consumer.end_offsets([tp]), timeout_s))[tp]
        records: list[Record] = []
        deadline = time.monotonic() + timeout_s
        while await consumer.position(tp) < end:
            if time.monotonic() > deadline:
                raise Unreachable(f"{POLICY.name}: not read to its end within {timeout_s:.0f} s")
            batch = await consumer.getmany(tp, timeout_ms=500)
            records += [(r.offset, r.key, r.value) for r in batch.get(tp, []) if r.offset < end]
        return records, end
    except (KafkaError, TimeoutError) as exc:
        raise Unreachable(f"cannot read {POLICY.name} at {kafka.bootstrap} ({type(exc).__name__})") from None
    finally:
        await consumer.stop()


class PolicyFeed:
    """The worker's side of chat.policy: what is in force, and the newest valid record not yet applied."""

    def __init__(self, kafka: KafkaSettings, file: PolicyDocument, metrics: PipelineMetrics) -> None:
        self.kafka = kafka
        self.metrics = metrics
        self.history = History(file)  # its ``supported`` set once the detector has loaded
        self.current = Candidate(file, FILE)
        self._pending: Candidate | None = None
        self._next_offset = 0
        self._changed: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        metrics.observe_policy(file.version, FILE)

    async def replay(self) -> Candidate:
        """Read chat.policy from the beginning: the policy a starting worker must run."""
        records, self._next_offset = await read_topic(self.kafka)
        return replay(records, self.history, self.reject)

    def reject(self, rejected: PolicyRejected, kept: Candidate | None = None) -> None:
        kept = kept or self.current
        log.error("%s: rejected, never applied; %s stays in force", rejected, kept.describe())
        self.metrics.policy_rejected.labels(rejected.metric_reason).inc()

    def in_force(self, candidate: Candidate) -> None:
        before, self.current = self.current, candidate
        self.metrics.observe_policy(candidate.document.version, candidate.source)
        was = before.document.version
        log.info(
            "policy: %s in force%s", candidate.describe(), "" if was == candidate.document.version else f" (was {was})"
        )
        weaker = weakenings(before.document, candidate.document)
        if weaker:
            log.warning("policy version %s weakens protection: %s", candidate.document.version, "; ".join(weaker))

    @property
    def changed(self) -> asyncio.Event:
        """Set while a record waits to be taken."""
        if self._changed is None:  # made in the loop that waits for it (Faust's)
            self._changed = asyncio.Event()
        return self._changed

    def take(self) -> Candidate | None:
        """The newest valid record not yet taken, if any; for the batch loop, between batches."""
        pending, self._pending = self._pending, None
        self.changed.clear()
        return pending

    def start(self) -> None:
        """Follow chat.policy from where ``replay`` stopped, in the running event loop."""
        if self._task is None:
            self._task = asyncio.ensure_future(self._follow())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)

    async def _follow(self) -> None:
        from aiokafka import AIOKafkaConsumer, TopicPartition

        tp = TopicPartition(POLICY.name, 0)
        while True:
            consumer: AIOKafkaConsumer | None = None
            try:
                # "earliest": should the offset be gone (the topic made anew), read it all again.
                consumer = AIOKafkaConsumer(
                    enable_auto_commit=False, auto_offset_reset="earliest", **self.kafka.aiokafka_kwargs()
                )
                await consumer.start()
                consumer.assign([tp])
                consumer.seek(tp, self._next_offset)
                while True:
                    batch = await consumer.getmany(tp, timeout_ms=1000)
                    for record in batch.get(tp, []):
                        self._next_offset = record.offset + 1
                        self._offer(record.offset, record.key, record.value)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # Kafka unreachable or refusing: the policy in force stays
                log.warning("reading %s failed (%s); again in %.0f s", POLICY.name, type(exc).__name__, RETRY_S)
                await asyncio.sleep(RETRY_S)
            finally:
                if consumer is not None:
                    await consumer.stop()

    def _offer(self, offset: int, key: bytes | None, value: bytes | None) -> None:
        try:
            candidate = self.history.check(offset, key, value)
        except PolicyRejected as rejected:
            self.reject(rejected)
            return
        log.info("policy: %s received; applied before the next batch", candidate.describe())
        self._pending = candidate
        self.changed.set()
