"""The whole path on real parts: signed webhooks -> ingest service (uvicorn) -> Kafka -> worker
-> chat.storage, with the redacted event checked there."""

from __future__ import annotations

import asyncio
import secrets

import orjson
import pytest

from connectors.base import event_id_for
from connectors.settings import IngestSettings
from connectors.traffic import platform_requests, send
from schemas.codec import decode_redacted
from schemas.topics import STORAGE
from tests.support.kafka import consume_until
from tests.support.ports import free_port
from tests.support.processes import channel_secrets, ingest_process, worker_env, worker_process

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def services(kafka_bootstrap: str, pseudonym_key: str, tmp_path_factory: pytest.TempPathFactory):
    """A real worker and a real ingest service, with every channel enabled."""
    logs = tmp_path_factory.mktemp("services")
    env = worker_env(
        kafka_bootstrap, pseudonym_key, "chatguard-e2e", CHATGUARD_INGEST_PORT=str(free_port()), **channel_secrets()
    )
    with worker_process(env, logs / "worker.log"), ingest_process(env, logs / "ingest.log") as (_, base_url):
        yield env, base_url


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
    for request, body in zip(requests, sent, strict=True):
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
