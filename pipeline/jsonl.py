"""``chatguard redact``: RawMessage JSONL in, RedactedMessage JSONL out, one line per valid line."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import TextIO

from pipeline.engine import RedactionEngine
from pipeline.errors import StepError
from schemas.codec import decode_raw, encode
from schemas.errors import SchemaError
from schemas.raw import RawMessage


def _numbered(lines: TextIO) -> Iterator[tuple[int, str]]:
    for number, line in enumerate(lines, start=1):
        if line.strip():
            yield number, line


def redact_stream(
    engine: RedactionEngine,
    destination: str,
    stdin: TextIO,
    stdout: TextIO,
    stderr: TextIO,
    batch_size: int = 256,
) -> int:
    """Returns the exit status: 0 when every line was redacted, 1 when any was not."""
    failed = 0
    lines = _numbered(stdin)
    while chunk := list(islice(lines, batch_size)):
        parsed: list[tuple[int, RawMessage]] = []
        for number, line in chunk:
            try:
                parsed.append((number, decode_raw(line)))
            except SchemaError as exc:
                failed += 1
                print(f"line {number}: {exc}", file=stderr)
        results = engine.redact_batch([raw for _, raw in parsed])
        for (number, _), result in zip(parsed, results, strict=True):
            if isinstance(result, StepError):
                # Fail closed: an event whose detection failed is not written at all.
                failed += 1
                print(f"line {number}: {result}; not written", file=stderr)
                continue
            stdout.write(encode(result.by_destination[destination]).decode() + "\n")
        stdout.flush()
    return 1 if failed else 0
