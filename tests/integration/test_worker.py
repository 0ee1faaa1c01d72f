"""The worker on a real broker: every raw event reaches every clean topic, redacted."""

from __future__ import annotations

import asyncio
import secrets
import time
from pathlib import Path

import orjson
import pytest

from schemas.codec import decode_redacted, encode
from schemas.raw import RawMessage
from schemas.topics import CLEAN_TOPICS, QUARANTINE, RAW
from tests.support.events import TEMPLATES_WITH_IP, pii_events
from tests.support.kafka import consume_until, produce
from tests.support.metrics import metric_value
from tests.support.ports import free_port
from tests.support.processes import worker_env, worker_process

pytestmark = pytest.mark.integration

EVENTS = 1_000


@pytest.fixture(scope="module")
def worker(kafka_bootstrap: str, pseudonym_key: str, tmp_path_factory: pytest.TempPathFactory):
    env = worker_env(kafka_bootstrap, pseudonym_key, "chatguard-it")
    log_path: Path = tmp_path_factory.mktemp("worker") / "worker.log"
    with worker_process(env, log_path) as (proc, url):
        yield proc, url, log_path


def test_every_raw_event_reaches_every_clean_topic_without_its_pii(kafka_bootstrap, worker):
    proc, metrics_url, log_path = worker
    token = secrets.token_hex(4)
    events, canaries = pii_events(token, EVENTS, "it", templates=TEMPLATES_WITH_IP, conversations=37)
    asyncio.run(produce(kafka_bootstrap, RAW.name, [(e.conversation_id.encode(), encode(e)) for e in events]))
    wanted = {e.event_id for e in events}

    # The canaries really are on chat.raw: if they were not, the leak check below proves nothing.
    raw = asyncio.run(
        consume_until(
            kafka_bootstrap,
            [RAW.name],
            lambda rs: (
                len({orjson.loads(r.value)["event_id"] for r in rs if b'"it-' + token.encode() in r.value}) >= EVENTS
            ),
        )
    )
    raw_text = b"\n".join(r.value for r in raw)
    assert sum(c.encode() in raw_text for c in canaries) == len(canaries)

    clean_names = [spec.name for spec in CLEAN_TOPICS.values()]

    def seen_everywhere(records: list) -> bool:
        seen = {name: set() for name in clean_names}
        for r in records:
            if token.encode() in r.value:
                seen[r.topic].add(orjson.loads(r.value)["event_id"])
        return all(ids >= wanted for ids in seen.values())

    records = asyncio.run(consume_until(kafka_bootstrap, clean_names, seen_everywhere, timeout_s=240))
    assert proc.poll() is None, log_path.read_text()[-3000:]
    ours = [r for r in records if token.encode() in r.value]
    for name in clean_names:
        ids = {orjson.loads(r.value)["event_id"] for r in ours if r.topic == name}
        assert ids >= wanted, f"{name}: {len(wanted - ids)} of {EVENTS} events missing"

    leaked = sorted(c for c in canaries for r in ours if c.encode() in r.value)
    assert not leaked, f"{len(leaked)} canary values leaked, e.g. {leaked[:3]}"
    for r in ours:
        message = decode_redacted(r.value)  # every clean event honours the contract
        assert CLEAN_TOPICS[message.policy].name == r.topic
        assert message.findings, "every canary event carries PII, so every one must have findings"
        assert not message.sender.startswith("sender-")
        assert r.key == message.conversation_id.encode()

    assert metric_value(metrics_url, "chatguard_events_in_total", topic=RAW.name) >= EVENTS
    assert metric_value(metrics_url, "chatguard_events_out_total", topic="chat.storage") >= EVENTS
    assert metric_value(metrics_url, "chatguard_findings_total", entity_type="EMAIL_ADDRESS") > 0


@pytest.mark.parametrize(
    "payload, field",
    [
        (b'{"event_id": "bad", "channel": "web", "text": "write to CANARY"}', "channel_kind"),
        (b"this is not json, it holds CANARY", "event"),
    ],
)
def test_broken_event_is_quarantined_without_its_text(kafka_bootstrap, worker, payload, field):
    proc, metrics_url, _ = worker
    canary = f"quarantine.{secrets.token_hex(4)}@example.org"
    payload = payload.replace(b"CANARY", canary.encode())
    before = metric_value(metrics_url, "chatguard_quarantined_events_total")
    [meta] = asyncio.run(produce(kafka_bootstrap, RAW.name, [(b"k", payload)]))

    def found(records: list) -> bool:
        return any(
            orjson.loads(r.value)["raw_offset"] == meta.offset
            and orjson.loads(r.value)["raw_partition"] == meta.partition
            for r in records
        )

    records = asyncio.run(consume_until(kafka_bootstrap, [QUARANTINE.name], found, timeout_s=60))
    [record] = [
        orjson.loads(r.value)
        for r in records
        if orjson.loads(r.value)["raw_offset"] == meta.offset
        and orjson.loads(r.value)["raw_partition"] == meta.partition
    ]
    assert record["stage"] == "decode"
    assert record["error_class"] == "SchemaError"
    assert record["field"] == field
    assert canary not in orjson.dumps(record).decode()
    assert "text" not in record
    assert proc.poll() is None  # the worker goes on
    time.sleep(1.5)  # metrics are updated right after the quarantine write is acknowledged
    assert metric_value(metrics_url, "chatguard_quarantined_events_total") >= before + 1


def test_sigterm_mid_stream_stops_promptly_and_a_successor_loses_nothing(kafka_bootstrap, pseudonym_key, tmp_path):
    """A deploy's SIGTERM while events flow: the worker exits 0 in bounded time, and a worker
    starting after it in the same group delivers every event; the only repeats are the batches
    that were taken but not yet acknowledged when the stop came."""
    env = worker_env(kafka_bootstrap, pseudonym_key, "chatguard-it-stop")
    token = secrets.token_hex(4)
    events = [
        RawMessage(
            f"stop-{token}-{i}",
            "web",
            "private",
            f"conv-{i % 29}",
            "s",
            "2026-11-29T10:00:00Z",
            f"call me on +48 601 {i:03d} 123, {token}",
        )
        for i in range(3_000)
    ]
    with worker_process(env, tmp_path / "first.log") as (first, url):
        asyncio.run(produce(kafka_bootstrap, RAW.name, [(e.conversation_id.encode(), encode(e)) for e in events]))
        deadline = time.monotonic() + 120
        while (
            metric_value(url, "chatguard_events_out_total", topic="chat.storage") < 300 and time.monotonic() < deadline
        ):
            time.sleep(0.05)
        stopped_after = metric_value(url, "chatguard_events_out_total", topic="chat.storage")
        assert stopped_after < len(events), "the stop must come mid-stream for this test to mean anything"
        first.terminate()
        started = time.monotonic()
        code = first.wait(timeout=60)
        took = time.monotonic() - started
    assert code == 0, (tmp_path / "first.log").read_text()[-3000:]

    env["CHATGUARD_METRICS_PORT"] = str(free_port())
    with worker_process(env, tmp_path / "second.log"):

        def all_there(records: list) -> bool:
            return len(
                {r.value.split(b'"event_id":"', 1)[1].split(b'"', 1)[0] for r in records if token.encode() in r.value}
            ) >= len(events)

        records = asyncio.run(consume_until(kafka_bootstrap, ["chat.storage"], all_there, timeout_s=240))
    ids = [orjson.loads(r.value)["event_id"] for r in records if token.encode() in r.value]
    assert set(ids) == {e.event_id for e in events}
    repeats = len(ids) - len(set(ids))
    print(
        f"SIGTERM after {stopped_after:.0f} of {len(events)} events: exit 0 in {took:.1f} s, {repeats} repeated by the successor"
    )
    assert repeats <= 3 * 256  # at most the batches taken and not yet acknowledged: queued, detected, written
