"""Detection in a child process: the engine runs under a GIL of its own.

In one process, the detection thread shared the GIL with Faust's event loop and ran 20-30 %
slower than alone (its rate per second of detection time, from the worker's metrics). The child
loads the model once; per batch it receives the raw values (with their partition and offset, for
quarantine records) and returns the records to write and what the metrics need. Nothing else
crosses, and no text ever leaves it except redacted.

The child dies with its parent (PR_SET_PDEATHSIG), ignores SIGINT and SIGTERM (the parent stops
it), and a crash of it (say, out of memory) surfaces in the parent as BrokenProcessPool: the
worker then stops without acknowledging the batch.
"""

from __future__ import annotations

import asyncio
import ctypes
import multiprocessing
import signal
import time
from collections import Counter
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from typing import Mapping, Sequence

from aiokafka.errors import MessageSizeTooLargeError

from pipeline.engine import Redaction, RedactionEngine, utc_now
from pipeline.errors import StepError
from pipeline.publisher import Record, record_fits
from pipeline.settings import Settings
from schemas.codec import decode_raw, encode
from schemas.errors import SchemaError
from schemas.quarantine import QuarantineRecord
from schemas.raw import RawMessage
from schemas.topics import CLEAN_TOPICS, QUARANTINE

RawValue = tuple[bytes, int, int]  # value, partition, offset


@dataclass(frozen=True, slots=True)
class DetectedBatch:
    """What the child returns for a batch (picklable: bytes, strings and counts only)."""

    records: list[Record]  # to write, in event order
    findings: Counter[str]  # entity type -> spans redacted
    redacted: int  # events with at least one span
    quarantined: list[tuple[str, str]]  # (stage, error class) per held-back event
    seconds: float  # time in the engine
    valid: int  # events that decoded


class DetectionProcess:
    """The parent's handle on the child."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = dict(environ)
        self._pool = ProcessPoolExecutor(
            max_workers=1,
            mp_context=multiprocessing.get_context("spawn"),  # no forked copy of Faust's threads
            initializer=_init,
        )

    def start(self) -> None:
        """Load the model in the child; raises its ConfigError if the settings are bad."""
        self._pool.submit(_load, self._environ).result()

    async def detect(self, values: Sequence[RawValue]) -> DetectedBatch:
        return await asyncio.get_running_loop().run_in_executor(self._pool, _detect, list(values))

    def stop(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


# -- in the child ------------------------------------------------------------------------------

_engine: RedactionEngine | None = None
_PR_SET_PDEATHSIG = 1


def _init() -> None:
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:  # not Linux: the parent's shutdown still stops the child
        pass
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)


def _load(environ: dict[str, str]) -> None:
    """A task, not the initializer: its ConfigError then reaches the parent as itself."""
    global _engine
    _engine = RedactionEngine.from_settings(Settings.from_env(environ))


def _detect(values: list[RawValue]) -> DetectedBatch:
    if _engine is None:
        raise RuntimeError("detection process not initialised")
    decoded = [_decode(value) for value, _, _ in values]
    valid = [d for d in decoded if isinstance(d, RawMessage)]
    started = time.perf_counter()
    redactions = iter(_engine.redact_batch(valid))
    seconds = time.perf_counter() - started
    records: list[Record] = []
    findings: Counter[str] = Counter()
    redacted = 0
    quarantined: list[tuple[str, str]] = []
    for (_, partition, offset), item in zip(values, decoded):
        result = item if isinstance(item, StepError) else next(redactions)
        if isinstance(result, Redaction):
            key = next(iter(result.by_destination.values())).conversation_id.encode()
            encoded = {dest: encode(message) for dest, message in result.by_destination.items()}
            if all(record_fits(key, value) for value in encoded.values()):
                records.extend((CLEAN_TOPICS[dest].name, key, value) for dest, value in encoded.items())
                redacted += bool(result.spans)
                findings.update(span.entity_type for span in result.spans)
                continue
            # Kafka would refuse the write, and a refused write stops the worker: the same event
            # would stop it after every restart (a 64 KB text can make a > 1 MB copy). Held back.
            result = StepError("anonymise", MessageSizeTooLargeError())
        raw = item if isinstance(item, RawMessage) else None
        records.append((QUARANTINE.name, None, encode(_quarantine_record(partition, offset, raw, result))))
        quarantined.append((result.stage, result.error_class))
    return DetectedBatch(records, findings, redacted, quarantined, seconds, len(valid))


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
