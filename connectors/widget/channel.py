"""The widget channel: its sessions, its posted messages, and the checks every widget endpoint makes.

Every browser request carries the site key in the ``X-Chatguard-Site-Key`` header (missing: 401,
unknown: 403) and, except the first, the conversation token in ``Authorization: Bearer <token>``
(connectors/widget/guard.py). No key, token or conversation id ever rides in a URL.

``POST /widget/session``
    Opens a conversation: the server draws its id and answers ``201 {"conversation_id",
    "token", "expires_at"}``. The token is bound to the site key and that conversation and
    lives ``token_ttl_s``; sent with a still-valid token, the call renews it (same conversation).

``POST /widget/messages``
    A message (connectors/widget/messages.py), with a token, or without one from server-side
    senders (``chatguard traffic``, the canary; only while CHATGUARD_WIDGET_TOKENLESS_POSTS is
    on): a session's conversation takes posts with its token only. Runs through the shared
    ``Ingest`` handler (body cap, dedup, 503 while Kafka is down, metrics) and answers
    ``202 {"event_id": ...}`` once Kafka acknowledged.

``OPTIONS`` on those two paths and ``/widget/events`` answers a CORS preflight for page origins
in CHATGUARD_WIDGET_ORIGINS; their answers carry ``Access-Control-Allow-Origin`` for such
origins. Every endpoint checks the page's ``Origin`` against the site key's allowlist (403) and
takes one token from the site key's and the client's rate-limit bucket (429 with ``Retry-After``).
"""

from __future__ import annotations

import asyncio
import contextvars
import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket

from connectors.base import Channel, Ingest, JSONResponse, Parsed, ReceivedRequest
from connectors.errors import Forbidden, IngestError, Unauthorized
from connectors.settings import WidgetSettings
from connectors.widget.echo import RedactedEcho
from connectors.widget.events import EventStreams
from connectors.widget.guard import (
    SITE_KEY_HEADER,
    Claims,
    ConversationTokens,
    OriginPolicy,
    RateLimiter,
    TooManyRequests,
    bearer,
    client_address,
    new_conversation_id,
    token_secret_from,
)
from connectors.widget.hub import Hub
from connectors.widget.messages import message_from
from connectors.widget.static import StaticPages
from connectors.widget.websocket import WidgetSockets
from runtime.kafka import KafkaSettings
from schemas.pseudonyms import Pseudonymiser

_CORS_HEADERS = "content-type, x-chatguard-site-key, authorization, last-event-id"


@dataclass(frozen=True, slots=True)
class _Post:
    """What ``verify`` learnt about a POST /widget/messages, for ``parse`` and ``accepted``
    (the shared handler calls all three in one task, so a context variable carries it)."""

    site_key: str
    claims: Claims | None
    cors_origin: str | None


_POST: contextvars.ContextVar[_Post | None] = contextvars.ContextVar("widget_post", default=None)


class WidgetChannel(Channel):
    name = "web"
    kind = "private"
    path = "/widget/messages"

    def __init__(
        self,
        site_keys: frozenset[str],
        kafka: KafkaSettings,
        settings: WidgetSettings,
        *,
        queue_size: int = 32,
        max_subscribers: int = 10_000,
        max_per_conversation: int = 8,
        heartbeat_s: float = 15.0,
        stream_max_s: float = 25.0,
        start_wait_s: float = 5.0,
        retry_s: float = 2.0,
        hello_timeout_s: float = 10.0,
    ) -> None:
        if not site_keys:
            raise ValueError("WidgetChannel: at least one site key is needed")
        if not settings.pseudonym_key:
            raise ValueError(
                "WidgetChannel: CHATGUARD_PSEUDONYM_KEY (the worker's) is needed to find the widget's redacted events"
            )
        # Compare digests: equal length, so the constant-time compare leaks nothing about length.
        self._key_digests = tuple(hashlib.sha256(k.encode()).digest() for k in site_keys)
        self._pseudonyms = Pseudonymiser(settings.pseudonym_key)
        self.tokens = ConversationTokens(
            token_secret_from(settings.pseudonym_key, settings.token_secret), settings.token_ttl_s
        )
        self.origins = OriginPolicy(settings.origins)
        self.key_limits = RateLimiter(settings.key_rate_per_s, settings.key_burst)
        self.client_limits = RateLimiter(settings.client_rate_per_s, settings.client_burst)
        self._tokenless_posts = settings.tokenless_posts
        self.hub = Hub(queue_size, max_subscribers, max_per_conversation, settings.streams_per_client)
        self._echo = RedactedEcho(self.name, self.hub, kafka, start_wait_s=start_wait_s, retry_s=retry_s)
        # A client at its cap of open sockets may retry once one of its streams has ended.
        self._sockets = WidgetSockets(self, hello_timeout_s=hello_timeout_s, busy_retry_s=stream_max_s)
        self._streams = EventStreams(self, heartbeat_s=heartbeat_s, stream_max_s=stream_max_s)
        self._pages = StaticPages()
        self._ingest: Ingest | None = None

    def conversation_pseudonym(self, conversation_id: str) -> str:
        """The ``conversation_id`` the worker writes to the clean topics for this conversation."""
        return self._pseudonyms.conversation(self.name, conversation_id)

    # -- site keys, origins, rate limits, tokens ---------------------------------------------

    def check_site_key(self, given: str | None) -> str:
        if not given:
            raise Unauthorized("site key missing (X-Chatguard-Site-Key header)", "missing_site_key")
        digest = hashlib.sha256(given.encode()).digest()
        known = False
        for key in self._key_digests:  # no early exit: every key is compared every time
            known |= hmac.compare_digest(digest, key)
        if not known:
            raise Forbidden("unknown site key", "unknown_site_key")
        return given

    def take(self, site_key: str, client: str | None) -> None:
        """One request's worth from the client's bucket, then the site key's, or 429. In that
        order: requests refused for their client's pace must not drain the site key's bucket,
        or one address could lock every visitor of a site out."""
        if client is not None:
            wait = self.client_limits.take("c" + client)
            if wait:
                raise TooManyRequests("too many requests from this client", wait, "rate_limited_client")
        wait = self.key_limits.take("k" + hashlib.sha256(site_key.encode()).hexdigest())
        if wait:
            raise TooManyRequests("too many requests for this site key", wait, "rate_limited_site_key")

    def authorize(
        self, headers: Mapping[str, str], client: str | None, *, token_needed: bool
    ) -> tuple[str, Claims | None]:
        """Site key, the page's origin, the rate limits, then the token: in that order, so a
        flood of forged tokens is throttled before any is checked."""
        site_key = self.check_site_key(headers.get(SITE_KEY_HEADER))
        self.origins.check(site_key, headers.get("origin"), headers.get("host"))
        self.take(site_key, client)
        token = bearer(headers.get("authorization"))
        if token is None and not token_needed:
            return site_key, None
        return site_key, self.tokens.verify(site_key, token)

    def error_response(self, exc: IngestError, cors_origin: str | None) -> Response:
        headers = self.cors_headers(cors_origin)
        if isinstance(exc, TooManyRequests):
            headers["Retry-After"] = str(exc.retry_after_s)
        return JSONResponse({"error": exc.reason}, status_code=exc.http_status, headers=headers)

    @staticmethod
    def cors_headers(cors_origin: str | None) -> dict[str, str]:
        if cors_origin is None:
            return {}
        return {"Access-Control-Allow-Origin": cors_origin, "Vary": "Origin"}

    def count_request(self, status: int, exc: IngestError | None = None) -> None:
        """Ingest metrics for the endpoints outside the shared handler (session, stream, socket)."""
        if self._ingest is None:
            return
        if exc is not None:
            self._ingest.metrics.rejections.labels(self.name, exc.metric_reason).inc()
        self._ingest.metrics.requests.labels(self.name, str(status)).inc()

    # -- the Channel contract (POST /widget/messages) ----------------------------------------

    def verify(self, request: ReceivedRequest) -> None:
        _POST.set(None)
        headers = request.headers
        site_key = self.check_site_key(headers.get(SITE_KEY_HEADER))
        origin, host = headers.get("origin"), headers.get("host")
        self.origins.check(site_key, origin, host)
        token = bearer(headers.get("authorization"))
        if token is None and not self._tokenless_posts:
            self.tokens.verify(site_key, None)  # raises: the token is missing
        claims = self.tokens.verify(site_key, token) if token is not None else None
        _POST.set(_Post(site_key, claims, self.origins.cors_origin(origin, host)))

    def parse(self, request: ReceivedRequest, payload: Any) -> Parsed:
        post = _POST.get()
        if post is None:  # verify did not run in this task: never accept unverified
            raise Unauthorized("request not verified", "bad_token")
        try:
            # Tokenless posts (server-side senders: `chatguard traffic`, the canary) share the
            # site key's bucket only; a visitor's count against its address and its session.
            self.take(post.site_key, request.client if post.claims is not None else None)
            if post.claims is not None and (wait := self.client_limits.take("s" + post.claims.conversation_id)):
                raise TooManyRequests("too many requests in this conversation", wait, "rate_limited_client")
        except TooManyRequests as exc:
            if self._ingest is not None:
                self._ingest.metrics.rejections.labels(self.name, exc.metric_reason).inc()
            return Parsed(reply=self.error_response(exc, post.cors_origin))
        return Parsed(messages=[message_from(payload, post.claims)])

    def accepted(self, event_ids: list[str]) -> Response:
        post = _POST.get()
        return JSONResponse(
            {"event_id": event_ids[0]},
            status_code=202,
            headers=self.cors_headers(post.cors_origin if post is not None else None),
        )

    def routes(self, ingest: Ingest) -> list[BaseRoute]:
        self._ingest = ingest

        async def ws(websocket: WebSocket) -> None:
            await self._sockets.serve(ingest, websocket)

        async def events(request: Request) -> Response:
            return self._streams.open(request)

        async def session(request: Request) -> Response:
            return self._session(request)

        async def preflight(request: Request) -> Response:
            return self._preflight(request)

        return [
            WebSocketRoute("/widget/ws", ws),
            Route("/widget/session", session, methods=["POST"]),
            Route("/widget/events", events, methods=["POST"]),
            *(
                Route(path, preflight, methods=["OPTIONS"])
                for path in ("/widget/session", "/widget/events", "/widget/messages")
            ),
            *self._pages.routes(),
        ]

    # -- POST /widget/session, CORS preflight ------------------------------------------------

    def _session(self, request: Request) -> Response:
        cors = self.origins.cors_origin(request.headers.get("origin"), request.headers.get("host"))
        try:
            site_key, old = self.authorize(request.headers, client_address(request), token_needed=False)
        except IngestError as exc:
            self.count_request(exc.http_status, exc)
            return self.error_response(exc, cors)
        conversation_id = old.conversation_id if old is not None else new_conversation_id()
        token, claims = self.tokens.issue(site_key, conversation_id)
        status = 200 if old is not None else 201
        self.count_request(status)
        body = {"conversation_id": conversation_id, "token": token, "expires_at": claims.expires_at}
        return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store", **self.cors_headers(cors)})

    def _preflight(self, request: Request) -> Response:
        origin, host = request.headers.get("origin"), request.headers.get("host")
        if origin is None or not self.origins.allows_any_key(origin, host):
            return JSONResponse(
                {"error": "this page's origin is not allowed (CHATGUARD_WIDGET_ORIGINS)"}, status_code=403
            )
        headers = {
            **self.cors_headers(origin),
            "Access-Control-Allow-Methods": "POST",
            "Access-Control-Allow-Headers": _CORS_HEADERS,
            "Access-Control-Max-Age": "600",
        }
        return Response(status_code=204, headers=headers)

    # -- the chat.nlp echo (connectors/widget/echo.py) ---------------------------------------

    async def start(self) -> None:
        await self._echo.start()

    async def stop(self) -> None:
        await self._echo.stop()
        self.hub.close_all()

    @property
    def ready(self) -> asyncio.Event:
        """Set once the echo is positioned on chat.nlp: later events will stream."""
        return self._echo.ready
