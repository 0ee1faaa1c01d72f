"""Detection in a child process: the engine runs under a GIL of its own.

In one process, the detection thread shared the GIL with Faust's event loop and ran 20-30 %
slower than alone (its rate per second of detection time, from the worker's metrics). The child
loads the model once; per batch it receives the raw values (with their partition and offset, for
quarantine records) and returns the records to write and what the metrics need. Nothing else
crosses, and no text ever leaves it except redacted.

The child holds each message to its detection budget (``pipeline.deadline``). A watchdog here
covers what a budget cannot: a step that never returns. The child reports which messages it is
working on; when that has not changed for ``stall_s``, the child is killed and restarted, the
message (or, in a group, each message alone) is held back as ``DeadlineExceeded`` or retried,
and the rest of the batch goes on. Nothing is acknowledged for a batch until it has a result
for every message.

The child dies with its parent (PR_SET_PDEATHSIG), ignores SIGINT and SIGTERM (the parent stops
it), and a crash of it (say, out of memory) surfaces in the parent as BrokenProcessPool: the
worker then stops without acknowledging the batch.

A policy version (``apply_policy``, between two batches) crosses as its encoded PolicyDocument;
the child switches its engine to it, and a restarted child gets it again before its first batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import multiprocessing
import os
import signal
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

from aiokafka.errors import MessageSizeTooLargeError

from pipeline.deadline import DeadlineExceeded
from pipeline.detection import ChatDetector
from pipeline.engine import Redaction, RedactionEngine, utc_now
from pipeline.errors import ConfigError, StepError
from pipeline.policies import PolicySet
from pipeline.publisher import Record, record_fits
from pipeline.settings import Settings
from runtime.plugins import value_keeper
from schemas.codec import decode_raw, encode
from schemas.errors import ChatguardError, SchemaError
from schemas.policy import PolicyDocument
from schemas.quarantine import QuarantineRecord
from schemas.raw import RawMessage
from schemas.topics import CLEAN_TOPICS, QUARANTINE

RawValue = tuple[bytes, int, int]  # value, partition, offset
log = logging.getLogger("chatguard.detection")


@dataclass(frozen=True, slots=True)
class DetectedBatch:
    """What the child returns for a batch (picklable: bytes, strings and counts only)."""

    records: list[Record]  # to write, in event order
    findings: Counter[str]  # entity type -> spans redacted
    redacted: int  # events with at least one span
    quarantined: list[tuple[str, str]]  # (stage, error class) per held-back event
    seconds: float  # time in the engine
    valid: int  # events that decoded
    sources: list[tuple[int, int]]  # (partition, offset) of the event each record came from


def stall_seconds(settings: Settings) -> float:
    """Longer than any message within its budget can take: twice the budget, plus 5 s."""
    return 2 * settings.detect_deadline_s + 5


class DetectionProcess:
    """The parent's handle on the child.

    ``stall_s``: how long the child may work on the same messages before the watchdog
    kills it (``stall_seconds`` of the settings). ``target`` and ``loader``: the functions run
    in the child per batch and once at start (tests put stalling ones there)."""

    def __init__(self, environ: Mapping[str, str], stall_s: float, target=None, loader=None) -> None:
        self._environ = dict(environ)
        self._stall_s = stall_s
        self._target = target or _detect
        self._loader = loader or _load
        self._context = multiprocessing.get_context("spawn")  # no forked copy of Faust's threads
        self._progress = self._context.Array("q", 3, lock=False)  # batch serial, first, last index
        self._serial = 0
        self._pool: ProcessPoolExecutor | None = None
        self._pid = 0
        self._policy: bytes | None = None  # the encoded PolicyDocument applied, if not the file's
        self.restarts = 0  # times the watchdog killed the child

    def start(self) -> None:
        """Load the model in the child; raises its ConfigError if the settings are bad."""
        self._pool = ProcessPoolExecutor(
            max_workers=1, mp_context=self._context, initializer=_init, initargs=(self._progress,)
        )
        self._pid = self._pool.submit(self._loader, self._environ).result()
        if self._policy is not None:  # a restart: the policy version in force, not the file's
            self._pool.submit(_apply_policy, self._policy).result()

    def use_policy(self, encoded: bytes) -> str:
        """Switch the child's engine to this encoded PolicyDocument; returns its version. Raises
        ConfigError (the engine keeps its policy) if the child's detector cannot run it."""
        assert self._pool is not None, "start() first"
        version = self._pool.submit(_apply_policy, encoded).result()
        self._policy = encoded
        return version

    async def apply_policy(self, encoded: bytes) -> str:
        """``use_policy`` from the event loop: call it between batches, never during one."""
        assert self._pool is not None, "start() first"
        version = await asyncio.get_running_loop().run_in_executor(self._pool, _apply_policy, encoded)
        self._policy = encoded
        return version

    def supported_entities(self) -> frozenset[str] | None:
        """The entity types the child's detector can find (None: a stand-in detector that does not say)."""
        assert self._pool is not None, "start() first"
        return self._pool.submit(_supported_entities).result()

    async def detect(self, values: Sequence[RawValue]) -> DetectedBatch:
        values = list(values)
        if not values:
            return DetectedBatch([], Counter(), 0, [], 0.0, 0, [])
        stalled = await self._run(values)
        if isinstance(stalled, DetectedBatch):
            return stalled
        first, last = stalled
        log.error("detection stalled on %d message(s) for %.0f s; restarting it", last - first + 1, self._stall_s)
        await self._restart()
        parts = []
        if first == last:  # that message is held back
            parts.append(_held_back(values[first]))
        else:  # one of a group stalled: each alone, to tell which
            parts += [await self.detect([value]) for value in values[first : last + 1]]
        rest = values[:first] + values[last + 1 :]
        parts.append(await self.detect(rest))
        return _in_order(values, parts)

    async def _run(self, values: list[RawValue]) -> DetectedBatch | tuple[int, int]:
        """The child's result, or the (first, last) messages it stalled on."""
        assert self._pool is not None, "start() first"
        self._serial += 1
        self._progress[:] = [self._serial, -1, -1]
        future = asyncio.get_running_loop().run_in_executor(self._pool, self._target, values)
        seen = None
        while True:
            done, _ = await asyncio.wait({future}, timeout=self._stall_s)
            if done:
                return future.result()
            now = tuple(self._progress[:])
            if now == seen:  # no progress for a whole stall_s
                _, first, last = now
                return (first, last) if first >= 0 else (0, len(values) - 1)
            seen = now

    async def _restart(self) -> None:
        self.restarts += 1
        if self._pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self._pid, signal.SIGKILL)
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
        await asyncio.get_running_loop().run_in_executor(None, self.start)

    def stop(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)


def _held_back(value: RawValue) -> DetectedBatch:
    raw, partition, offset = value
    item = _decode(raw)
    message = item if isinstance(item, RawMessage) else None
    error = StepError("detect", DeadlineExceeded())
    record = (QUARANTINE.name, None, encode(_quarantine_record(partition, offset, message, error)))
    return DetectedBatch(
        [record], Counter(), 0, [(error.stage, error.error_class)], 0.0, int(message is not None), [(partition, offset)]
    )


def _in_order(values: Sequence[RawValue], parts: Sequence[DetectedBatch]) -> DetectedBatch:
    """One batch from parts that each cover some of ``values``: records in the order of the
    values they came from, so a partition's events stay in order."""
    position = {(partition, offset): i for i, (_, partition, offset) in enumerate(values)}
    keyed: list[tuple[tuple[int, int], Record]] = []
    for part in parts:
        keyed += zip(part.sources, part.records, strict=True)  # one source per record
    keyed.sort(key=lambda pair: position[pair[0]])
    findings: Counter[str] = Counter()
    for part in parts:
        findings.update(part.findings)
    return DetectedBatch(
        [record for _, record in keyed],
        findings,
        sum(p.redacted for p in parts),
        [q for p in parts for q in p.quarantined],
        sum(p.seconds for p in parts),
        sum(p.valid for p in parts),
        [source for source, _ in keyed],
    )


# -- in the child ------------------------------------------------------------------------------

_engine: RedactionEngine | None = None
_progress = None  # shared with the parent: batch serial, first and last message worked on
_PR_SET_PDEATHSIG = 1


def _init(progress=None) -> None:
    global _progress
    _progress = progress
    with contextlib.suppress(OSError):  # not Linux: the parent's shutdown still stops the child
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _load(environ: dict[str, str]) -> int:
    """A task, not the initializer: its ConfigError then reaches the parent as itself.
    Returns the child's pid, for the watchdog."""
    global _engine
    _engine = RedactionEngine.from_settings(Settings.from_env(environ), keeper=value_keeper(environ))
    return os.getpid()


def _apply_policy(encoded: bytes) -> str:
    if _engine is None:
        raise RuntimeError("detection process not initialised")
    try:
        _engine.apply_policies(PolicySet.from_document(PolicyDocument.decode(encoded)))
    except ChatguardError as exc:  # as a ConfigError: SchemaError's own arguments do not pickle back
        raise ConfigError(str(exc)) from None
    return _engine.policies.version


def _supported_entities() -> frozenset[str] | None:
    detector = _engine.detector if _engine is not None else None
    return detector.supported if isinstance(detector, ChatDetector) else None


def _detect(values: list[RawValue]) -> DetectedBatch:
    if _engine is None:
        raise RuntimeError("detection process not initialised")
    decoded = [_decode(value) for value, _, _ in values]
    positions = [i for i, d in enumerate(decoded) if isinstance(d, RawMessage)]
    valid = [d for d in decoded if isinstance(d, RawMessage)]  # the events at ``positions``

    def report(first: int, last: int) -> None:  # detector's indices -> this batch's
        if _progress is not None and 0 <= first <= last < len(positions):
            _progress[1], _progress[2] = positions[first], positions[last]

    detector = _engine.detector
    if isinstance(detector, ChatDetector):  # what from_settings builds; the Detector protocol has no progress
        detector.progress = report
    started = time.perf_counter()
    redactions = iter(_engine.redact_batch(valid))
    seconds = time.perf_counter() - started
    records: list[Record] = []
    sources: list[tuple[int, int]] = []
    findings: Counter[str] = Counter()
    redacted = 0
    quarantined: list[tuple[str, str]] = []
    for (_, partition, offset), item in zip(values, decoded, strict=True):
        result = item if isinstance(item, StepError) else next(redactions)
        if isinstance(result, Redaction):
            key = next(iter(result.by_destination.values())).conversation_id.encode()
            encoded = {dest: encode(message) for dest, message in result.by_destination.items()}
            if all(record_fits(key, value) for value in encoded.values()):
                records.extend((CLEAN_TOPICS[dest].name, key, value) for dest, value in encoded.items())
                sources.extend([(partition, offset)] * len(encoded))
                redacted += bool(result.spans)
                findings.update(span.entity_type for span in result.spans)
                continue
            # Kafka would refuse the write, and a refused write stops the worker: the same event
            # would stop it after every restart (a 64 KB text can make a > 1 MB copy). Held back.
            result = StepError("anonymise", MessageSizeTooLargeError())
        raw = item if isinstance(item, RawMessage) else None
        records.append((QUARANTINE.name, None, encode(_quarantine_record(partition, offset, raw, result))))
        sources.append((partition, offset))
        quarantined.append((result.stage, result.error_class))
    return DetectedBatch(records, findings, redacted, quarantined, seconds, len(valid), sources)


def _decode(value: bytes) -> RawMessage | StepError:
    try:
        return decode_raw(value)
    except SchemaError as exc:
        return StepError("decode", exc, field=exc.field)
    except Exception as exc:  # bytes that are not even text
        return StepError("decode", exc)


def _quarantine_record(partition: int, offset: int, raw: RawMessage | None, error: StepError) -> QuarantineRecord:
    return QuarantineRecord(
        event_id=raw.event_id if raw else None,
        channel=raw.channel if raw else None,
        error_class=error.error_class,
        stage=error.stage,
        raw_partition=partition,
        raw_offset=offset,
        quarantined_at=utc_now(),
        field=error.field,
    )
