"""Every audit entry, from every writer (the console, the vault's API and commands, the forms, the
worker's sweeps), copied to ``chat.audit`` for a SIEM: an outbox read by ``seq``.

The entries already sit in the database's hash chain; the relay publishes them in order, keyed by
their ``seq``, and records the last one Kafka acknowledged. A crash repeats at most one batch (a
consumer drops repeats by ``seq``). A copy outside the database is also the chain's anchor: someone
who rewrites the whole chain in the database cannot rewrite what the SIEM already holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import orjson
from aiokafka import AIOKafkaProducer
from sqlalchemy import Engine, select, update

from console.tables import audit_relay
from runtime.kafka import KafkaSettings
from schemas.topics import AUDIT
from vault.tables import audit

log = logging.getLogger("chatguard.console.audit_relay")
BATCH = 500
FIELDS = ("seq", "at", "actor", "action", "ref", "subject", "reason", "outcome", "origin", "prev_hash", "hash")


def pending(engine: Engine, limit: int = BATCH) -> tuple[int, list[dict[str, Any]]]:
    """The last relayed seq and the entries after it, in order."""
    with engine.begin() as conn:
        last = conn.execute(select(audit_relay.c.last_seq).where(audit_relay.c.id == 1)).scalar_one()
        rows = conn.execute(select(audit).where(audit.c.seq > last).order_by(audit.c.seq).limit(limit))
        return last, [{k: getattr(r, k) for k in FIELDS} for r in rows]


def relayed(engine: Engine, seq: int) -> None:
    with engine.begin() as conn:
        conn.execute(
            update(audit_relay).where(audit_relay.c.id == 1, audit_relay.c.last_seq < seq).values(last_seq=seq)
        )


class AuditRelay:
    def __init__(self, engine: Engine, kafka: KafkaSettings, every_s: float = 1.0, retry_s: float = 5.0) -> None:
        self.engine = engine
        self.kafka = kafka
        self.every_s = every_s
        self.retry_s = retry_s

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                await self._relay(stop)
            except Exception as exc:  # Kafka or the database away: say which, retry; never a value
                log.warning("audit relay: %s; retrying in %.0f s", type(exc).__name__, self.retry_s)
                await _sleep(stop, self.retry_s)

    async def _relay(self, stop: asyncio.Event) -> None:
        producer = AIOKafkaProducer(**self.kafka.aiokafka_kwargs(), acks="all", enable_idempotence=True)
        await producer.start()
        try:
            while not stop.is_set():
                _last, entries = await asyncio.to_thread(pending, self.engine)
                if entries:
                    futures = [
                        await producer.send(AUDIT.name, orjson.dumps(e), key=str(e["seq"]).encode()) for e in entries
                    ]
                    await asyncio.gather(*futures)  # acknowledged by Kafka, then recorded
                    await asyncio.to_thread(relayed, self.engine, entries[-1]["seq"])
                if len(entries) < BATCH:
                    await _sleep(stop, self.every_s)
        finally:
            await producer.stop()


async def _sleep(stop: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stop.wait(), timeout=seconds)
