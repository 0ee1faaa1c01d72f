"""The console's storage sink: the clean events of chat.storage into the console's database.

chat.storage carries RedactedMessage v1 under the ``storage`` policy: values masked, never an
original. The sink writes each event once into ``console_messages`` (console/tables.py), in the
vault's database, so the console can list conversations and messages.

- **At least once, idempotent.** Per fetched batch: decode, insert what is new in one
  transaction (a redelivered ``event_id`` is ignored by the database: INSERT ... ON CONFLICT DO
  NOTHING), commit it, and only then commit the batch's Kafka offsets. A crash re-reads, never
  loses. A record that breaks its contract is skipped, logged by position and field, counted.
- **Erasure.** chat.erasure (compacted: the latest ErasureNotice per pseudonym) is read from its
  beginning at every start, without a group, before any chat.storage event, and followed after.
  A notice deletes the sender's stored messages sent at or before its time; an event of that
  sender sent at or before it that arrives later (Kafka lag, a replay) is not stored. A message
  sent after the erasure is stored, and survives the notice being read again at a restart. Times
  compare in whole Unix seconds: a message sent within the erasure's own second counts as before.
- Logs and metrics hold counts, topics, partitions, offsets and field names: never text.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import signal
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import CommitFailedError
from aiokafka.structs import ConsumerRecord, TopicPartition
from prometheus_client import REGISTRY, CollectorRegistry, Counter
from sqlalchemy import Connection, Engine, String, delete
from sqlalchemy.dialects import postgresql, sqlite

from console.tables import messages
from runtime.kafka import KafkaSettings
from schemas.acls import CONSOLE_SINK_GROUP
from schemas.codec import decode_redacted
from schemas.erasure import ErasureNotice
from schemas.errors import ChatguardError, ConfigError, SchemaError
from schemas.redacted import RedactedMessage
from schemas.topics import ERASURE, STORAGE
from vault.store import database_errors

log = logging.getLogger("chatguard.console.sink")

CONSUMER_GROUP = CONSOLE_SINK_GROUP  # "chatguard-console-sink", the `console` role's group (schemas/acls.py)

Row = dict[str, Any]
Batch = Mapping[TopicPartition, Sequence[ConsumerRecord]]

# The table's string limits (PostgreSQL enforces them; a row over one would fail its whole batch).
_LIMITS = {c.name: c.type.length for c in messages.columns if isinstance(c.type, String) and c.type.length}
_EVENT_FIELD = {"conversation": "conversation_id"}  # column -> the event's field, where they differ


class SinkMetrics:
    """The sink's counters, in ``registry`` (default: the process's)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = r = REGISTRY if registry is None else registry

        def counter(name: str, meaning: str, *labels: str) -> Counter:
            return Counter(f"chatguard_console_sink_{name}", meaning, labels, registry=r)

        self.stored = counter("stored", "chat.storage events stored")
        self.duplicates = counter("duplicates", "events already stored (a redelivery), ignored")
        self.skipped_invalid = counter("skipped_invalid", "records breaking their contract, skipped", "topic")
        self.erased_deleted = counter("erased_deleted", "stored messages deleted by erasure notices")
        self.erased_dropped = counter("erased_dropped", "events sent before their sender's erasure, not stored")


def unix_seconds(value: str, field: str) -> int:
    """Whole Unix seconds of an ISO 8601 / RFC 3339 date-time (UTC when it names no offset)."""
    try:
        parsed = datetime.fromisoformat(value.upper())
    except ValueError:
        raise SchemaError(field, "not an ISO 8601 date-time") from None
    return math.floor((parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).timestamp())


def row_of(message: RedactedMessage, stored_at: int) -> Row:
    """A ``console_messages`` row; SchemaError if the event does not fit the table."""
    row: Row = {
        "event_id": message.event_id,
        "channel": message.channel,
        "channel_kind": message.channel_kind,
        "conversation": message.conversation_id,
        "sender": message.sender,
        "sent_at": message.sent_at,
        "sent_ts": unix_seconds(message.sent_at, "sent_at"),
        # PostgreSQL keeps no NUL in text; one code point for one keeps the findings' offsets.
        "text": message.text.replace("\x00", "\ufffd"),
        "findings": orjson.dumps(message.findings).decode(),
        "form": orjson.dumps(message.form).decode(),
        "policy_version": message.policy_version,
        "stored_at": stored_at,
    }
    for column, limit in _LIMITS.items():
        field = _EVENT_FIELD.get(column, column)
        if len(row[column]) > limit:
            raise SchemaError(field, f"longer than {limit} characters, the console's limit")
        if "\x00" in row[column]:
            raise SchemaError(field, "holds a NUL character")
    return row


def insert_new(conn: Connection, rows: Sequence[Row]) -> int:
    """Insert ``rows`` into console_messages, ignoring any whose event_id is stored; how many were new."""
    dialects: dict[str, Callable[..., Any]] = {"sqlite": sqlite.insert, "postgresql": postgresql.insert}
    make = dialects.get(conn.dialect.name)
    if make is None:
        raise ConfigError(f"the console stores messages in SQLite or PostgreSQL, not {conn.dialect.name}")
    statement = make(messages).on_conflict_do_nothing(index_elements=[messages.c.event_id])
    return len(conn.execute(statement.returning(messages.c.event_id), list(rows)).all())


class StorageSink:
    """chat.storage -> console_messages, chat.erasure -> deletions. ``run`` until ``stop`` is set."""

    def __init__(
        self,
        engine: Engine,
        kafka: KafkaSettings,
        *,
        group: str = CONSUMER_GROUP,
        topic: str = STORAGE.name,
        registry: CollectorRegistry | None = None,
        max_records: int = 500,
        poll_ms: int = 500,
        retry_s: float = 5.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.engine, self.kafka, self.group, self.topic = engine, kafka, group, topic
        self.metrics = SinkMetrics(registry)
        self.max_records, self.poll_ms, self.retry_s, self.clock = max_records, poll_ms, retry_s, clock
        self.erased: dict[str, int] = {}  # pseudonym -> its erasure, Unix seconds
        self.ready = asyncio.Event()  # set once every erasure notice up to the start is applied

    async def run(self, stop: asyncio.Event) -> None:
        """Until ``stop`` is set. If Kafka or the database fails, say which error class, wait
        ``retry_s`` and start again from the committed offsets (and the erasures' beginning)."""
        while not stop.is_set():
            try:
                await self._session(stop)
            except ConfigError:
                raise
            except Exception as exc:  # its message may quote a row: the class only
                log.error(
                    "console sink: stopped (%s); again in %.0f s from the last commit", type(exc).__name__, self.retry_s
                )
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.retry_s)

    async def _session(self, stop: asyncio.Event) -> None:
        erasure, storage = self._consumer(ERASURE.name, None), self._consumer(self.topic, self.group)
        self.erased = {}  # rebuilt from the topic: a notice whose deletion failed is applied again
        try:
            await erasure.start()
            if not await self._catch_up(erasure, stop):
                return
            await storage.start()
            self.ready.set()
            log.info("console sink: %d erased sender(s) known; storing %s", len(self.erased), self.topic)
            while not stop.is_set():
                notices = await erasure.getmany(timeout_ms=0)
                if notices:
                    await self._apply_erasures(notices)
                batch = await storage.getmany(timeout_ms=self.poll_ms, max_records=self.max_records)
                if batch:
                    await self._store(storage, batch)
        finally:
            self.ready.clear()
            await storage.stop()
            await erasure.stop()

    def _consumer(self, topic: str, group: str | None) -> AIOKafkaConsumer:
        return AIOKafkaConsumer(
            topic,
            group_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            isolation_level="read_committed",  # under exactly_once, what the worker's transactions committed
            **self.kafka.aiokafka_kwargs(),
        )

    async def _catch_up(self, erasure: AIOKafkaConsumer, stop: asyncio.Event) -> bool:
        """Apply every notice on chat.erasure up to its present end; False if stopped first."""
        waited = 0
        while not erasure.assignment():  # assigned once the topic's metadata is in; nothing stored before
            if stop.is_set():
                return False
            if (waited := waited + 1) == 100:
                log.warning("console sink: still waiting for topic %s (run `chatguard topics apply`)", ERASURE.name)
            await asyncio.sleep(0.1)
        partitions = sorted(erasure.assignment())
        await erasure.seek_to_beginning(*partitions)
        end = await erasure.end_offsets(partitions)
        while not stop.is_set():
            behind = [tp for tp in partitions if await erasure.position(tp) < end[tp]]
            if not behind:
                return True
            await self._apply_erasures(await erasure.getmany(*behind, timeout_ms=self.poll_ms))
        return False

    async def _apply_erasures(self, batch: Batch) -> None:
        changed: dict[str, int] = {}
        for tp, records in batch.items():
            for record in records:
                if record.value is None:  # a tombstone: the pseudonym's erasure is forgotten
                    if record.key:
                        self.erased.pop(record.key.decode(errors="replace"), None)
                    continue
                try:
                    notice = ErasureNotice.decode(record.value)
                    at = unix_seconds(notice.erased_at, "erased_at")
                except SchemaError as exc:
                    self._skipped(tp, record.offset, exc)
                    continue
                if at > self.erased.get(notice.subject, -1 << 62):  # erased again: the later time
                    self.erased[notice.subject] = changed[notice.subject] = at
        if changed:
            deleted = await asyncio.to_thread(self._delete, changed)
            self.metrics.erased_deleted.inc(deleted)
            log.info("console sink: %d erasure(s) applied, %d stored message(s) deleted", len(changed), deleted)

    def _delete(self, erased: Mapping[str, int]) -> int:
        with database_errors(), self.engine.begin() as conn:
            return sum(
                conn.execute(delete(messages).where(messages.c.sender == subject, messages.c.sent_ts <= at)).rowcount
                for subject, at in erased.items()
            )

    async def _store(self, consumer: AIOKafkaConsumer, batch: Batch) -> None:
        now = int(self.clock())
        rows: dict[str, Row] = {}
        repeats = dropped = 0
        for tp, records in batch.items():
            for record in records:
                try:
                    row = row_of(decode_redacted(record.value or b""), now)
                except SchemaError as exc:
                    self._skipped(tp, record.offset, exc)
                    continue
                erased_at = self.erased.get(row["sender"])
                if erased_at is not None and row["sent_ts"] <= erased_at:
                    dropped += 1
                elif row["event_id"] in rows:
                    repeats += 1
                else:
                    rows[row["event_id"]] = row
        stored = await asyncio.to_thread(self._insert, list(rows.values())) if rows else 0
        duplicates = repeats + len(rows) - stored
        self.metrics.stored.inc(stored)
        self.metrics.duplicates.inc(duplicates)
        self.metrics.erased_dropped.inc(dropped)
        log.debug("console sink: %d stored, %d already stored, %d of erased senders", stored, duplicates, dropped)
        # The database has them: only now may Kafka forget them. The consumed positions (past the
        # transaction markers and aborted batches read_committed skips), of records all handled.
        try:
            await consumer.commit()
        except CommitFailedError:  # a rebalance took the partitions: their new owner re-reads, idempotently
            log.warning("console sink: offsets not committed (rebalance); those events will be read again")

    def _insert(self, rows: Sequence[Row]) -> int:
        with database_errors(), self.engine.begin() as conn:
            return insert_new(conn, rows)

    def _skipped(self, tp: TopicPartition, offset: int, exc: SchemaError) -> None:
        self.metrics.skipped_invalid.labels(tp.topic).inc()
        log.warning(
            "console sink: skipped an invalid record, %s[%d] offset %d (%s)", tp.topic, tp.partition, offset, exc.field
        )


def main() -> int:
    """``chatguard console sink``: the sink alone, until SIGTERM or SIGINT."""
    from console.db import open_console_engine
    from runtime.logs import configure_logging
    from runtime.settings import load
    from vault.settings import VaultSettings

    configure_logging()
    try:
        kafka = KafkaSettings.from_env()
        engine = open_console_engine(load(VaultSettings).url)
    except ChatguardError as exc:  # names the setting or the error class, never a value
        print(f"chatguard console sink: {exc}", file=sys.stderr)
        return exc.exit_code

    async def until_signalled() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        await StorageSink(engine, kafka).run(stop)

    try:
        asyncio.run(until_signalled())
    except ChatguardError as exc:
        print(f"chatguard console sink: {exc}", file=sys.stderr)
        return exc.exit_code
    finally:
        engine.dispose()
    return 0
