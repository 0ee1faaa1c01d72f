"""Fixtures for the ingest tier: the real ASGI app, wired to the real test broker."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable

import httpx
import pytest
from prometheus_client import CollectorRegistry

from connectors.base import Channel
from connectors.service import build_app
from connectors.settings import IngestSettings
from runtime.kafka import KafkaSettings


@pytest.fixture
def ingest_client(kafka_bootstrap: str) -> Callable[..., contextlib.AbstractAsyncContextManager[httpx.AsyncClient]]:
    """Factory: ``async with ingest_client([SlackChannel(secret)], body_limit=...) as client``.

    The app runs its lifespan (a real aiokafka producer to the test broker); ``client.app``
    is the ASGI app and ``client.registry`` its metrics registry.
    """

    @contextlib.asynccontextmanager
    async def make(
        channels: list[Channel], bootstrap: str | None = None, **overrides
    ) -> AsyncIterator[httpx.AsyncClient]:
        settings = IngestSettings(kafka=KafkaSettings(bootstrap=bootstrap or kafka_bootstrap), **overrides)
        registry = CollectorRegistry()
        app = build_app(settings, channels=channels, registry=registry)
        async with (
            app.lifespan(),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://ingest") as client,
        ):
            client.app = app  # type: ignore[attr-defined]
            client.registry = registry  # type: ignore[attr-defined]
            yield client

    return make
