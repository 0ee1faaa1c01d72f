"""The generic HTTP channel end to end: signed requests in, RawMessages on the real chat.raw."""

from __future__ import annotations

import asyncio
import gzip
import secrets
import time

import orjson
import pytest

from connectors.base import event_id_for
from connectors.http import HttpChannel
from connectors.signatures import hmac_sha256_hex
from tests.support.kafka import raw_events_with
from tests.support.metrics import metric
from tests.support.ports import free_port

SECRET = secrets.token_hex(16).encode()


def signed(body: bytes, secret: bytes = SECRET, timestamp: int | None = None) -> dict[str, str]:
    ts = str(int(time.time()) if timestamp is None else timestamp)
    return {
        "content-type": "application/json",
        "x-chatguard-timestamp": ts,
        "x-chatguard-signature": "v1=" + hmac_sha256_hex(secret, f"v1:{ts}:".encode() + body),
    }


def message(**overrides) -> dict:
    token = secrets.token_hex(4)
    return {
        "message_id": f"m-{token}",
        "conversation_id": f"c-{token}",
        "sender_id": "app-user-1",
        "text": "my email is anna@example.com",
        **overrides,
    }


async def test_signed_message_lands_on_chat_raw(ingest_client, kafka_bootstrap):
    body = orjson.dumps(message())
    async with ingest_client([HttpChannel(SECRET)]) as client:
        response = await client.post("/ingest", content=body, headers=signed(body))
        assert response.status_code == 202, response.text
        [event_id] = response.json()["event_ids"]
        assert metric(client.registry, "chatguard_ingest_messages_total", channel="http") == 1
    assert event_id == event_id_for("http", orjson.loads(body)["message_id"])
    [raw] = await raw_events_with(kafka_bootstrap, event_id)
    assert raw["channel"] == "http" and raw["channel_kind"] == "private"
    assert raw["text"] == "my email is anna@example.com"


async def test_redelivered_message_yields_one_raw_event(ingest_client, kafka_bootstrap):
    body = orjson.dumps(message())
    async with ingest_client([HttpChannel(SECRET)]) as client:
        first = await client.post("/ingest", content=body, headers=signed(body))
        again = await client.post("/ingest", content=body, headers=signed(body))
        assert first.status_code == again.status_code == 202
        assert metric(client.registry, "chatguard_ingest_duplicates_total", channel="http") == 1
    assert len(await raw_events_with(kafka_bootstrap, first.json()["event_ids"][0])) == 1


async def test_batch_of_messages(ingest_client):
    body = orjson.dumps({"messages": [message(), message(), message()]})
    async with ingest_client([HttpChannel(SECRET)]) as client:
        response = await client.post("/ingest", content=body, headers=signed(body))
    assert response.status_code == 202 and response.json()["accepted"] == 3


@pytest.mark.parametrize(
    "mutate, reason",
    [
        (lambda body, h: (body + b" ", h), "bad_signature"),  # tampered after signing
        (lambda body, h: (body, {**h, **signed(body, secret=b"another-secret-entirely")}), "bad_signature"),
        (lambda body, h: (body, {**h, **signed(body, timestamp=int(time.time()) - 400)}), "stale_timestamp"),
        (lambda body, h: (body, {**h, **signed(body, timestamp=int(time.time()) + 400)}), "stale_timestamp"),
        (lambda body, h: (body, {k: v for k, v in h.items() if k != "x-chatguard-signature"}), "bad_signature"),
        (lambda body, h: (body, {k: v for k, v in h.items() if k != "x-chatguard-timestamp"}), "bad_timestamp"),
    ],
)
async def test_unsigned_or_replayed_requests_are_refused(ingest_client, mutate, reason):
    body = orjson.dumps(message())
    body, headers = mutate(body, signed(body))
    async with ingest_client([HttpChannel(SECRET)]) as client:
        response = await client.post("/ingest", content=body, headers=headers)
        assert response.status_code == 401
        assert response.json()["error"]
        assert metric(client.registry, "chatguard_ingest_rejections_total", channel="http", reason=reason) == 1
        assert metric(client.registry, "chatguard_ingest_messages_total", channel="http") == 0


@pytest.mark.parametrize(
    "body, status, fragment",
    [
        (b"\xff\xfe not utf-8", 400, "UTF-8"),
        (b'{"message_id": ', 400, "JSON"),
        (b"[" * 40 + b"]" * 40, 400, "nested"),
        (b"[1, 2]", 400, "object"),
        (orjson.dumps(message(text=5)), 400, "text"),
        (orjson.dumps({**message(), "profile": {"name": "Anna"}}), 400, "unknown field profile"),
        (orjson.dumps(message(conversation_id="")), 400, "conversation_id"),
        (orjson.dumps(message(sent_at="yesterday")), 400, "sent_at"),
        (orjson.dumps(message(sent_at="2099-12-31T00:00:00Z")), 400, "sent_at: more than 5 minutes in the future"),
        (orjson.dumps({"messages": []}), 400, "messages"),
    ],
)
async def test_malformed_bodies_get_400_with_a_reason(ingest_client, body, status, fragment):
    async with ingest_client([HttpChannel(SECRET)]) as client:
        response = await client.post("/ingest", content=body, headers=signed(body))
    assert response.status_code == status
    assert fragment in response.json()["error"]
    assert "Anna" not in response.text


async def test_oversized_body_is_413(ingest_client):
    body = orjson.dumps(message(text="x" * 300_000))
    async with ingest_client([HttpChannel(SECRET)]) as client:
        response = await client.post("/ingest", content=body, headers=signed(body))
        assert response.status_code == 413
        # The service keeps serving.
        ok = orjson.dumps(message())
        assert (await client.post("/ingest", content=ok, headers=signed(ok))).status_code == 202


async def test_gzip_body_is_accepted_and_a_gzip_bomb_is_413(ingest_client):
    ok = orjson.dumps(message())
    bomb_json = b'{"message_id": "m", "conversation_id": "c", "sender_id": "s", "text": "' + b"a" * 20_000_000 + b'"}'
    async with ingest_client([HttpChannel(SECRET)], body_limit=256 * 1024) as client:
        compressed = gzip.compress(ok)
        response = await client.post(
            "/ingest", content=compressed, headers={**signed(compressed), "content-encoding": "gzip"}
        )
        assert response.status_code == 202, response.text
        bomb = gzip.compress(bomb_json)
        response = await client.post("/ingest", content=bomb, headers={**signed(bomb), "content-encoding": "gzip"})
        assert response.status_code == 413


async def test_the_signature_covers_the_bytes_as_received_not_the_decompressed_body(ingest_client):
    """README: the signature is checked over the raw bytes, before anything else (decompression
    included). Signed over the gzip bytes: accepted; signed over the plain JSON inside: 401."""
    plain = orjson.dumps(message())
    compressed = gzip.compress(plain)
    async with ingest_client([HttpChannel(SECRET)]) as client:
        response = await client.post(
            "/ingest", content=compressed, headers={**signed(plain), "content-encoding": "gzip"}
        )
        assert response.status_code == 401, response.text
        assert metric(client.registry, "chatguard_ingest_rejections_total", channel="http", reason="bad_signature") == 1
        response = await client.post(
            "/ingest", content=compressed, headers={**signed(compressed), "content-encoding": "gzip"}
        )
        assert response.status_code == 202, response.text


async def test_an_unsigned_compressed_body_is_refused_before_it_is_decompressed(ingest_client):
    """Nobody unauthenticated gets the server to inflate anything: a bomb without a valid
    signature is a 401, not a 413."""
    bomb = gzip.compress(b'{"text": "' + b"a" * 20_000_000 + b'"}')
    async with ingest_client([HttpChannel(SECRET)], body_limit=256 * 1024) as client:
        response = await client.post("/ingest", content=bomb, headers={**signed(b"{}"), "content-encoding": "gzip"})
    assert response.status_code == 401


async def test_kafka_down_means_503_and_nothing_acknowledged(ingest_client):
    body = orjson.dumps(message())
    dead = f"127.0.0.1:{free_port()}"
    async with ingest_client([HttpChannel(SECRET)], bootstrap=dead, ack_timeout_ms=500) as client:
        response = await client.post("/ingest", content=body, headers=signed(body))
        assert response.status_code == 503
        assert "retry" in response.json()["error"]
        assert metric(client.registry, "chatguard_ingest_messages_total", channel="http") == 0
        assert (
            metric(client.registry, "chatguard_ingest_rejections_total", channel="http", reason="kafka_unavailable")
            == 1
        )


async def test_metrics_and_health_endpoints(ingest_client):
    """/healthz on the public port; /metrics only on its own (loopback by default) port."""
    import urllib.request

    from connectors.service import serve_metrics
    from connectors.settings import IngestSettings
    from runtime.kafka import KafkaSettings

    async with ingest_client([HttpChannel(SECRET)]) as client:
        assert (await client.get("/healthz")).text == "ok"
        assert (await client.get("/metrics")).status_code == 404  # not on the public port
        body = orjson.dumps(message())
        await client.post("/ingest", content=body, headers=signed(body))
        server = serve_metrics(IngestSettings(KafkaSettings(), metrics_port=free_port()), client.app.registry)
        try:
            assert server.server_address[0] == "127.0.0.1"
            url = f"http://127.0.0.1:{server.server_port}/metrics"
            text = await asyncio.to_thread(lambda: urllib.request.urlopen(url, timeout=5).read().decode())
        finally:
            server.shutdown()
            server.server_close()
    assert 'chatguard_ingest_requests_total{channel="http",status="202"} 1.0' in text
    assert "anna" not in text
    assert serve_metrics(IngestSettings(KafkaSettings(), metrics_port=0), client.app.registry) is None


async def test_unicode_digit_timestamp_is_401_not_500(ingest_client):
    body = orjson.dumps(message())
    headers = {**signed(body), "x-chatguard-timestamp": "²".encode("latin-1")}  # a valid header byte
    async with ingest_client([HttpChannel(SECRET)]) as client:
        response = await client.post("/ingest", content=body, headers=headers)
    assert response.status_code == 401
