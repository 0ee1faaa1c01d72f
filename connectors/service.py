"""The ingest service: one ASGI app serving every enabled channel and /healthz.

/metrics is not on that (public) port: ``serve_metrics`` serves the app's registry on its own
address and port (``CHATGUARD_INGEST_METRICS_HOST``/``_PORT``, 127.0.0.1:9309 by default)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any

from prometheus_client import CollectorRegistry, start_http_server
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Receive, Scope, Send

from connectors.base import Channel, Ingest, RawSink
from connectors.dedup import SeenIds
from connectors.metrics import IngestMetrics
from connectors.producer import RawProducer
from connectors.settings import IngestSettings

log = logging.getLogger("chatguard.ingest")


def channels_from_settings(settings: IngestSettings) -> tuple[list[Channel], list[str]]:
    """The channels whose secrets are set, and a line for each one that is disabled."""
    from connectors.http import HttpChannel
    from connectors.messenger import MessengerChannel
    from connectors.slack import SlackChannel
    from connectors.telegram import TelegramChannel
    from connectors.widget import WidgetChannel

    enabled: list[Channel] = []
    disabled: list[str] = []

    def off(name: str, needs: str) -> None:
        disabled.append(f"{name} disabled: set {needs}")

    s = settings
    if s.widget_site_keys:
        enabled.append(WidgetChannel(s.widget_site_keys, s.kafka, s.widget))
    else:
        off("widget", "CHATGUARD_WIDGET_SITE_KEYS")
    if s.messenger_app_secret and s.messenger_verify_token:
        enabled.append(MessengerChannel(s.messenger_app_secret, s.messenger_verify_token))
    else:
        off("messenger", "CHATGUARD_MESSENGER_APP_SECRET and CHATGUARD_MESSENGER_VERIFY_TOKEN")
    if s.slack_signing_secret:
        enabled.append(SlackChannel(s.slack_signing_secret))
    else:
        off("slack", "CHATGUARD_SLACK_SIGNING_SECRET")
    if s.telegram_secret_token:
        enabled.append(TelegramChannel(s.telegram_secret_token))
    else:
        off("telegram", "CHATGUARD_TELEGRAM_SECRET_TOKEN")
    if s.ingest_hmac_secret:
        enabled.append(HttpChannel(s.ingest_hmac_secret))
    else:
        off("http", "CHATGUARD_INGEST_HMAC_SECRET")
    return enabled, disabled


def build_app(
    settings: IngestSettings,
    channels: list[Channel] | None = None,
    sink: RawSink | None = None,
    registry: CollectorRegistry | None = None,
) -> IngestApp:
    """The ASGI app. ``channels`` and ``sink`` default to what the settings enable and a real
    Kafka producer; ``registry`` isolates metrics when several apps share a process (tests)."""
    if channels is None:
        channels, disabled = channels_from_settings(settings)
        for line in disabled:
            log.warning(line)
    registry = registry or CollectorRegistry()
    producer: RawProducer | None = None
    if sink is None:
        sink = producer = RawProducer(settings.kafka)
    ingest = Ingest(
        sink=sink,
        metrics=IngestMetrics(registry),
        body_limit=settings.body_limit,
        ack_timeout_s=settings.ack_timeout_s,
        seen=SeenIds(settings.dedup_size, settings.dedup_ttl_s),
    )

    async def healthz(_: Request) -> Response:
        return PlainTextResponse("ok")

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        # Start serving even while Kafka is down: requests get 503 (platforms retry) until it is up.
        connecting = asyncio.create_task(producer.start_eventually()) if producer is not None else None
        if connecting is not None:
            await asyncio.wait([connecting], timeout=5)
        for channel in channels:
            await channel.start()
        log.info("channels enabled: %s", ", ".join(f"{c.name} {c.path}" for c in channels) or "none")
        try:
            yield
        finally:
            for channel in channels:
                await channel.stop()
            if connecting is not None:
                connecting.cancel()
                await asyncio.gather(connecting, return_exceptions=True)
            if producer is not None:  # exactly when connecting is
                await producer.stop()

    posts = {channel.path: ingest.endpoint(channel) for channel in channels}
    # The POST routes are in the router too, so other methods get 405 and not 404.
    routes: list[BaseRoute] = [Route("/healthz", healthz)]
    routes.extend(Route(path, endpoint, methods=["POST"]) for path, endpoint in posts.items())
    for channel in channels:
        routes.extend(channel.routes(ingest))
    return IngestApp(posts, Starlette(routes=routes, lifespan=lifespan), registry)


def serve_metrics(settings: IngestSettings, registry: CollectorRegistry):
    """Serve ``registry`` at ``http://metrics_host:metrics_port/metrics`` (a daemon thread), or
    nothing when the port is 0. Raises OSError if the port is taken."""
    if not settings.metrics_port:
        return None
    server, _ = start_http_server(settings.metrics_port, addr=settings.metrics_host, registry=registry)
    log.info("metrics on %s:%d/metrics", settings.metrics_host, server.server_port)
    return server


class IngestApp:
    """The ASGI app: a channel's webhook POST goes straight to its endpoint (the hot path, one
    dict lookup); everything else (widget page, WebSocket, SSE, Messenger's handshake,
    /healthz, lifespan) through Starlette's router."""

    def __init__(self, posts: Mapping[str, ASGIApp], router: Starlette, registry: CollectorRegistry) -> None:
        self._posts = posts
        self.router = router
        self.registry = registry  # served by serve_metrics, not on this app's port

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "POST":
            endpoint = self._posts.get(_route_path(scope))
            if endpoint is not None:
                await endpoint(scope, receive, send)
                return
        await self.router(scope, receive, send)

    def lifespan(
        self,
    ) -> contextlib.AbstractAsyncContextManager[None] | contextlib.AbstractAsyncContextManager[Mapping[str, Any]]:
        """Start and stop the producer and channels as a server would (for in-process tests)."""
        return self.router.router.lifespan_context(self.router)


def _route_path(scope: Scope) -> str:
    """The path below the app's mount point (``root_path``), as Starlette's router matches it."""
    path, root = scope["path"], scope.get("root_path", "")
    return path[len(root) :] if root and path.startswith(root) else path
