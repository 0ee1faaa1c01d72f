"""The whole path on real parts: signed webhooks -> ingest service (uvicorn) -> Kafka -> worker
-> chat.storage, with the redacted event checked there."""

from __future__ import annotations

import asyncio
import os
import secrets
import subprocess
import time
import urllib.request

import orjson
import pytest

from connectors.base import event_id_for
from connectors.settings import IngestSettings
from connectors.traffic import platform_requests, send
from schemas.codec import decode_redacted
from schemas.kafka import KafkaSettings
from schemas.topics import STORAGE
from tests.conftest import BIN, free_port
from tests.integration.kafka_helpers import consume_until

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def services(kafka_bootstrap: str, pseudonym_key: str, tmp_path_factory: pytest.TempPathFactory):
    """A real worker and a real ingest service, with every channel enabled."""
    logs = tmp_path_factory.mktemp("services")
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHATGUARD_")}
    ingest_port, metrics_port = free_port(), free_port()
    env.update(
        CHATGUARD_KAFKA_BOOTSTRAP=kafka_bootstrap,
        CHATGUARD_PSEUDONYM_KEY=pseudonym_key,
        CHATGUARD_METRICS_PORT=str(metrics_port),
        CHATGUARD_CONSUMER_GROUP=f"chatguard-e2e-{secrets.token_hex(4)}",
        CHATGUARD_INGEST_PORT=str(ingest_port),
        CHATGUARD_SLACK_SIGNING_SECRET=secrets.token_hex(16),
        CHATGUARD_MESSENGER_APP_SECRET=secrets.token_hex(16),
        CHATGUARD_MESSENGER_VERIFY_TOKEN=secrets.token_hex(8),
        CHATGUARD_TELEGRAM_SECRET_TOKEN=secrets.token_hex(16),
        CHATGUARD_INGEST_HMAC_SECRET=secrets.token_hex(16),
        CHATGUARD_WIDGET_SITE_KEYS=secrets.token_hex(8),
        CHATGUARD_LOG_LEVEL="WARNING",
    )
    procs = []
    for name in ("worker", "ingest"):
        log = (logs / f"{name}.log").open("wb")
        procs.append(subprocess.Popen([str(BIN / "chatguard"), name], env=env, stdout=log, stderr=subprocess.STDOUT))
    try:
        for url in (f"http://127.0.0.1:{ingest_port}/healthz", f"http://127.0.0.1:{metrics_port}/metrics"):
            deadline = time.monotonic() + 120
            while True:
                assert all(p.poll() is None for p in procs), (logs / "worker.log").read_text()[-2000:] + (logs / "ingest.log").read_text()[-2000:]
                try:
                    urllib.request.urlopen(url, timeout=1)
                    break
                except OSError:
                    assert time.monotonic() < deadline, f"{url} never came up"
                    time.sleep(0.5)
        yield env, f"http://127.0.0.1:{ingest_port}"
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()


def test_signed_webhooks_from_every_channel_arrive_redacted_on_chat_storage(services, kafka_bootstrap):
    env, base_url = services
    settings = IngestSettings.from_env(env)
    seed = secrets.randbelow(10**6)
    requests = list(platform_requests(settings, seed=seed, count=50))
    assert {r.channel for r in requests} == {"slack", "messenger", "telegram", "http", "web"}

    statuses = asyncio.run(send(base_url, iter(requests), concurrency=8))
    assert set(statuses) <= {200, 202}, statuses

    # Which raw event ids to expect: each channel derives them from its platform message id.
    sent = [orjson.loads(r.body) for r in requests]
    texts = {}
    for request, body in zip(requests, sent):
        if request.channel == "slack":
            texts[event_id_for("slack", body["event_id"])] = body["event"]["text"]
        elif request.channel == "messenger":
            message = body["entry"][0]["messaging"][0]["message"]
            texts[event_id_for("messenger", message["mid"])] = message["text"]
        elif request.channel == "telegram":
            texts[event_id_for("telegram", str(body["update_id"]))] = body["message"]["text"]
        else:
            texts[event_id_for("http" if request.channel == "http" else "web", body["message_id"])] = body["text"]

    def all_there(records: list) -> bool:
        return {orjson.loads(r.value)["event_id"] for r in records} >= set(texts)

    records = asyncio.run(consume_until(kafka_bootstrap, [STORAGE.name], all_there, timeout_s=180))
    redacted = {m.event_id: m for m in (decode_redacted(r.value) for r in records) if m.event_id in texts}
    assert set(redacted) == set(texts), f"{len(set(texts) - set(redacted))} events missing on chat.storage"
    with_pii = 0
    for event_id, message in redacted.items():
        assert message.policy == "storage"
        if message.findings:
            with_pii += 1
            assert message.text != texts[event_id]
            for finding in message.findings:
                assert set(message.text[finding.start : finding.end]) == {"*"}
    assert with_pii > 0
