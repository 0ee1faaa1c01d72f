"""The ingest service around the channels: routing, and what happens when a channel has a bug."""

from __future__ import annotations

import logging
import secrets
from typing import Any

import orjson
import pytest

from connectors.base import Channel, Parsed, ReceivedRequest, body_chunks
from connectors.errors import BadRequest
from connectors.http import HttpChannel
from tests.support.metrics import metric


class BrokenChannel(Channel):
    """A channel whose parser fails with an exception that quotes the request, as careless
    library code does."""

    name = "http"
    kind = "private"
    path = "/broken"

    def verify(self, request: ReceivedRequest) -> None:
        pass

    def parse(self, request: ReceivedRequest, payload: Any) -> Parsed:
        if payload.get("ok"):
            return Parsed(ignored=1)
        raise RuntimeError(f"cannot handle {payload['text']}")


async def test_a_channel_bug_is_a_500_that_never_quotes_the_request(ingest_client, caplog):
    secret_text = f"Anna Kowalska {secrets.token_hex(4)}"
    caplog.set_level(logging.DEBUG)
    async with ingest_client([BrokenChannel()]) as client:
        response = await client.post("/broken", content=orjson.dumps({"text": secret_text}))
        assert response.status_code == 500
        assert secret_text not in response.text
        assert "Anna" not in caplog.text
        assert "RuntimeError" in caplog.text  # the log names the failure, not its message
        # and the service goes on serving
        ok = await client.post("/broken", content=orjson.dumps({"ok": True}))
        assert ok.status_code == 200
        assert metric(client.registry, "chatguard_ingest_requests_total", channel="http", status="500") == 1


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
async def test_other_methods_on_a_webhook_path_are_405(ingest_client, method):
    async with ingest_client([HttpChannel(b"k" * 32)]) as client:
        response = await client.request(method, "/ingest")
        assert response.status_code == 405


async def test_unknown_paths_are_404(ingest_client):
    async with ingest_client([HttpChannel(b"k" * 32)]) as client:
        assert (await client.post("/ingest/other", content=b"{}")).status_code == 404
        assert (await client.get("/healthz")).status_code == 200


async def test_body_chunks_follow_more_body_and_stop_at_the_last_part():
    messages = iter(
        [
            {"type": "http.request", "body": b"ab", "more_body": True},
            {"type": "http.request", "body": b"cd", "more_body": False},
        ]
    )

    async def receive():
        return next(messages)

    assert [c async for c in body_chunks(receive)] == [b"ab", b"cd"]


async def test_a_client_hanging_up_mid_body_is_a_bad_request():
    messages = iter([{"type": "http.request", "body": b"ab", "more_body": True}, {"type": "http.disconnect"}])

    async def receive():
        return next(messages)

    with pytest.raises(BadRequest) as caught:
        _ = [c async for c in body_chunks(receive)]
    assert caught.value.metric_reason == "client_disconnected"


async def test_webhooks_work_below_a_mount_point(kafka_bootstrap):
    """Behind a proxy that strips /api (uvicorn --root-path /api), paths arrive as /api/ingest."""
    import contextlib

    import httpx
    from prometheus_client import CollectorRegistry

    from connectors.service import build_app
    from connectors.settings import IngestSettings
    from runtime.kafka import KafkaSettings
    from tests.connectors.test_http import message, signed

    secret = secrets.token_hex(16).encode()
    settings = IngestSettings(kafka=KafkaSettings(bootstrap=kafka_bootstrap))
    app = build_app(settings, channels=[HttpChannel(secret)], registry=CollectorRegistry())
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(app.lifespan())
        transport = httpx.ASGITransport(app=app, root_path="/api")
        client = await stack.enter_async_context(httpx.AsyncClient(transport=transport, base_url="http://ingest"))
        body = orjson.dumps(message())
        response = await client.post("/api/ingest", content=body, headers=signed(body, secret=secret))
        assert response.status_code == 202, response.text
        assert (await client.get("/api/ingest")).status_code == 405
