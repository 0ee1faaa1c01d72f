"""The detection process's watchdog, with a real child process: a message whose detection
never returns is held back, the child is restarted, and the rest of the batch goes on.

The child runs stand-in detection functions defined here (the real engine's budget is tested
in test_detection.py and, end to end, in tests/integration/test_faults.py)."""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter

import orjson

from pipeline import detect_process
from pipeline.detect_process import DetectedBatch, DetectionProcess
from schemas.topics import QUARANTINE

STALL = b"stall"


def load(environ: dict[str, str]) -> int:
    return os.getpid()


def _batch(values) -> DetectedBatch:
    records = [("chat.analytics", None, raw) for raw, _, _ in values]
    sources = [(partition, offset) for _, partition, offset in values]
    return DetectedBatch(records, Counter(), 0, [], 0.0, len(values), sources)


def stall_on_one(values) -> DetectedBatch:
    """Reports each message as it goes, like the detector; never returns on a stalling one."""
    for i, (raw, _, _) in enumerate(values):
        detect_process._progress[1], detect_process._progress[2] = i, i
        if raw == STALL:
            time.sleep(3600)
    return _batch(values)


def stall_in_a_group(values) -> DetectedBatch:
    """Reports the whole batch at once, like NER over a group of short messages."""
    detect_process._progress[1], detect_process._progress[2] = 0, len(values) - 1
    if any(raw == STALL for raw, _, _ in values):
        time.sleep(3600)
    return _batch(values)


def run(target, batches):
    process = DetectionProcess({}, stall_s=0.5, target=target, loader=load)
    process.start()

    async def go():
        return [await process.detect(batch) for batch in batches]

    try:
        return asyncio.run(go()), process.restarts
    finally:
        process.stop()


def values(*raws: bytes):
    return [(raw, 0, offset) for offset, raw in enumerate(raws, start=100)]


def assert_held_back(batch: DetectedBatch, offset: int):
    (record,) = [r for r, source in zip(batch.records, batch.sources, strict=True) if source == (0, offset)]
    assert record[0] == QUARANTINE.name
    held = orjson.loads(record[2])
    assert (held["stage"], held["error_class"], held["raw_offset"]) == ("detect", "DeadlineExceeded", offset)
    assert STALL not in record[2]


def test_a_stalling_message_is_held_back_and_the_rest_goes_on():
    batch = values(b"a", b"b", STALL, b"d")
    (result, after), restarts = run(stall_on_one, [batch, values(b"e")])
    assert restarts == 1
    assert [source for source in result.sources] == [(0, 100), (0, 101), (0, 102), (0, 103)]  # in order
    assert [r[2] for r in result.records if r[0] != QUARANTINE.name] == [b"a", b"b", b"d"]
    assert_held_back(result, 102)
    assert result.quarantined == [("detect", "DeadlineExceeded")]
    assert [r[2] for r in after.records] == [b"e"]  # the restarted child serves the next batch


def test_a_stall_in_a_group_is_narrowed_to_its_message():
    batch = values(b"a", STALL, b"c")
    (result,), restarts = run(stall_in_a_group, [batch])
    assert restarts == 2  # the group, then the message alone
    assert [r[2] for r in result.records if r[0] != QUARANTINE.name] == [b"a", b"c"]
    assert_held_back(result, 101)


def test_no_stall_no_restart():
    (result,), restarts = run(stall_on_one, [values(b"a", b"b")])
    assert restarts == 0 and [r[2] for r in result.records] == [b"a", b"b"]
