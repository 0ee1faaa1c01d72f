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
from tests.connectors.conftest import metric


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
