"""Logs never carry message text: a real ``chatguard ingest`` and a real ``chatguard worker`` at
CHATGUARD_LOG_LEVEL=DEBUG carry a canary message from a signed request to the clean topics,
and the canary appears in no line either process logged.

At DEBUG, aiokafka's producer logs every record it sends (key and value) and Faust/mode the
events they handle; runtime/logs.py keeps those loggers at INFO whatever the level says."""

from __future__ import annotations

import asyncio
import secrets
import time

import orjson
import pytest

from connectors.signatures import hmac_sha256_hex
from schemas.topics import CLEAN_TOPICS
from tests.support.kafka import consume_until
from tests.support.ports import free_port
from tests.support.processes import ingest_process, tail, worker_env, worker_process

pytestmark = pytest.mark.integration


def test_debug_logging_never_logs_the_text_of_a_message(kafka_bootstrap, pseudonym_key, tmp_path):
    token = secrets.token_hex(8)
    # A word no recognizer redacts, so it is on every clean topic too (and in every record the
    # worker produces), and an e-mail address, which the detector sees.
    canary = f"zqcanary{token}"
    text = f"hello, {canary} here, write to {canary}@example.org"
    secret = secrets.token_hex(16)
    env = worker_env(
        kafka_bootstrap,
        pseudonym_key,
        "chatguard-logs",
        CHATGUARD_LOG_LEVEL="DEBUG",
        CHATGUARD_INGEST_HMAC_SECRET=secret,
        CHATGUARD_INGEST_PORT=str(free_port()),
        APP_DATADIR=str(tmp_path / "faust"),
    )
    worker_log, ingest_log = tmp_path / "worker.log", tmp_path / "ingest.log"
    event_id = None
    with worker_process(env, worker_log), ingest_process(env, ingest_log) as (_, base_url):
        import httpx

        body = orjson.dumps(
            {"message_id": f"m-{token}", "conversation_id": f"c-{token}", "sender_id": f"s-{token}", "text": text}
        )
        ts = str(int(time.time()))
        headers = {
            "content-type": "application/json",
            "x-chatguard-timestamp": ts,
            "x-chatguard-signature": "v1=" + hmac_sha256_hex(secret.encode(), f"v1:{ts}:".encode() + body),
        }
        response = httpx.post(f"{base_url}/ingest", content=body, headers=headers, timeout=30)
        assert response.status_code == 202, f"{response.text}\n{tail(ingest_log)}"
        (event_id,) = response.json()["event_ids"]

        topics = [spec.name for spec in CLEAN_TOPICS.values()]

        def on_every_clean_topic(records: list) -> bool:
            return {r.topic for r in records if event_id.encode() in r.value} == set(topics)

        records = asyncio.run(consume_until(kafka_bootstrap, topics, on_every_clean_topic, timeout_s=180))
        assert on_every_clean_topic(records), f"the event did not reach every clean topic:\n{tail(worker_log)}"
        assert any(canary.encode() in r.value for r in records if event_id.encode() in r.value)
        time.sleep(1.0)  # whatever the processes log right after producing

    logs = {"worker": worker_log.read_text(errors="replace"), "ingest": ingest_log.read_text(errors="replace")}
    for name, log_text in logs.items():
        assert log_text.strip(), f"the {name} logged nothing"
        leaked = [line for line in log_text.splitlines() if token in line]
        assert not leaked, f"the {name} log carries the message text:\n" + "\n".join(leaked[:5])
    # DEBUG really was on: chatguard's own loggers and the root logger log at DEBUG.
    assert "DEBUG" in logs["worker"] + logs["ingest"], "no DEBUG line at all: the test proves nothing"
