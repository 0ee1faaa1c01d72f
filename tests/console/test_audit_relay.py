"""The audit log copied to chat.audit (real broker, both databases): every entry, in order, once,
with its hash, from any writer; a restart goes on from the last entry Kafka acknowledged."""

from __future__ import annotations

import asyncio
import secrets

import orjson
import pytest

from console import audit
from console.audit_relay import AuditRelay
from runtime.kafka import KafkaSettings
from schemas.topics import AUDIT
from tests.support.kafka import consume_until, create_topics
from vault import audit as chain

pytestmark = pytest.mark.integration


async def relay_until_copied(engine, kafka: KafkaSettings) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(AuditRelay(engine, kafka, every_s=0.2).run(stop))
    from console.audit_relay import pending

    for _ in range(150):
        await asyncio.sleep(0.2)
        if not (await asyncio.to_thread(pending, engine))[1]:
            break
    stop.set()
    await task


def test_every_entry_reaches_chat_audit_once_in_order(console_engine, kafka_bootstrap):
    create_topics(kafka_bootstrap)
    kafka = KafkaSettings(bootstrap=kafka_bootstrap)
    who = f"relay-{secrets.token_hex(3)}"
    for i in range(5):
        audit.record_alone(
            console_engine, who, "view_messages", f"{i} messages", "10.1.1.1", subject="c_0000000000000001"
        )
    with console_engine.begin() as conn:  # another writer: the vault's own entry
        chain.append(conn, at=1, actor="forms", action="form_issue", outcome=who)
    asyncio.run(relay_until_copied(console_engine, kafka))
    for i in range(5, 8):
        audit.record_alone(console_engine, who, "view_messages", f"{i} messages", "10.1.1.1")
    asyncio.run(relay_until_copied(console_engine, kafka))  # restarted: goes on from where it was

    def mine(records: list) -> list[dict]:
        entries = [orjson.loads(r.value) for r in records]
        return [e for e in entries if e["actor"] == f"console:{who}" or e["outcome"] == who]

    records = asyncio.run(consume_until(kafka_bootstrap, [AUDIT.name], lambda rs: len(mine(rs)) >= 9, timeout_s=30))
    entries = mine(records)
    assert [e["outcome"] for e in entries if e["actor"] != "forms"] == [f"{i} messages" for i in range(8)]
    assert len(entries) == 9 and entries[5]["action"] == "form_issue"  # once each, in chain order
    assert [e["seq"] for e in entries] == sorted(e["seq"] for e in entries)
    assert all(e["hash"] == chain.entry_hash(e) for e in entries)  # the SIEM can check each entry
    assert entries[0]["origin"] == "10.1.1.1"
