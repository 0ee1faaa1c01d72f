"""QuarantineRecord v1: an event the pipeline held back. Carries no text, by construction."""

from __future__ import annotations

from dataclasses import dataclass

QUARANTINE_RECORD_VERSION = 1


@dataclass(frozen=True, slots=True)
class QuarantineRecord:
    # None when the raw event was too broken to read an id from; partition and offset
    # still locate it on chat.raw for whoever may read that topic.
    event_id: str | None
    channel: str | None
    error_class: str  # exception class name, e.g. SchemaError
    stage: str  # pipeline step that failed: decode, detect, anonymise
    raw_partition: int
    raw_offset: int
    quarantined_at: str
    field: str | None = None  # for SchemaError: which field broke the contract
    schema_version: int = QUARANTINE_RECORD_VERSION
