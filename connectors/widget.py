"""The web widget: a chat box on a customer's site, and the live *redacted* echo of what it sent.

Every browser request carries the site key in the ``X-Chatguard-Site-Key`` header (missing: 401,
unknown: 403) and, except the first, the conversation token in ``Authorization: Bearer <token>``
(connectors/widget_guard.py). No key, token or conversation id ever rides in a URL.

``POST /widget/session``
    Opens a conversation: the server draws its id and answers ``201 {"conversation_id",
    "token", "expires_at"}``. The token is bound to the site key and that conversation and
    lives ``token_ttl_s``; sent with a still-valid token, the call renews it (same conversation).

``POST /widget/messages``
    With a token, body ``{"message_id", "text"}`` (``conversation_id``, if sent, must be the
    token's: 403 otherwise); the sender is the session's visitor. ``message_id`` must look random
    (16 to 128 characters of ``[A-Za-z0-9_-]``): the event id, and so dedup, is derived from it.
    Without a token (server-side senders: ``chatguard traffic``, the canary; only while
    CHATGUARD_WIDGET_TOKENLESS_POSTS is on), body ``{"message_id", "conversation_id",
    "sender_id", "text"}``, and the conversation may not be a session's (401): a session's
    conversation takes posts with its token only. ``sent_at`` is the server's clock. Runs through
    the shared ``Ingest`` handler (body cap, dedup, 503 while Kafka is down, metrics) and answers
    ``202 {"event_id": ...}`` once Kafka acknowledged.

``/widget/ws`` (WebSocket)
    The handshake is refused (403) for a page origin no site key allows, and 429 for a client
    over its rate. The first frame must be ``{"type": "hello", "site_key", "token"}`` (within
    ``hello_timeout_s``), answered ``{"type": "ready", "expires_at"}``, or ``{"type": "error",
    "error"}`` and close code 1008. Each later text frame is one message shaped like the POST
    body with a token, answered ``{"type": "ack", "message_id", "event_id"}`` after Kafka's
    acknowledgement or ``{"type": "error", "message_id", "error"}`` (bad input, too large, rate
    limited, Kafka down). Frames are handled one at a time, in order; a bad frame does not close
    the connection, an expired token does (1008: the page renews and reconnects). A frame counts
    as one request in the ingest metrics and the rate limits. Errors never quote the frame.

``POST /widget/events`` (server-sent events; opened by ``fetch``, not ``EventSource``, so the token goes in a header)
    The redacted form of every *web* message of the token's conversation, as the worker wrote it
    to the clean topic ``chat.nlp`` (placeholder policy): ``{"event_id", "text", "findings"}``.
    The worker names conversations there by pseudonym (schemas.pseudonyms, key
    CHATGUARD_PSEUDONYM_KEY): the hub is keyed by the same pseudonym. Nothing here ever reads
    ``chat.raw``. One Kafka consumer per process (no consumer group: every partition assigned,
    positioned at the end on start) fans events out to bounded per-subscriber queues; a
    subscriber that lags is dropped and its page reconnects. A stream lasts at most
    ``stream_max_s`` (25 s), never past its token's expiry: uvicorn's graceful shutdown waits
    for open responses. The page reconnects sending ``Last-Event-ID`` (an event id, or the time
    cursor of the ``ready`` event), and what it missed is replayed from a small in-memory buffer
    of recent redacted web events. Open streams are capped per client address (429).

``OPTIONS`` on those three paths answers a CORS preflight for page origins in
CHATGUARD_WIDGET_ORIGINS; their answers carry ``Access-Control-Allow-Origin`` for such origins.
Every endpoint checks the page's ``Origin`` against the site key's allowlist (403) and takes
one token from the site key's and the client's rate-limit bucket (429 with ``Retry-After``).

``GET /widget/`` (the demo page; also ``/widget/demo``), ``/widget/widget.js``, ``widget.css``, ``icon.svg``
    Plain files from ``connectors/static/``; no build step, no CDN, a strict CSP.

How the page gets its site key: from its own URL's fragment, ``/widget/#site_key=<key>``
(fragments never reach a server or proxy; ``?site_key=`` still works), or, when the script is
embedded elsewhere, ``<script src=".../widget/widget.js" data-site-key="<key>">``. The server
never writes a key into the page. A site key is a public identifier of the embedding site, not
a secret; the conversation token is the visitor's capability, kept in the tab's sessionStorage.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import hashlib
import hmac
import importlib.resources
import logging
import re
import time
from dataclasses import dataclass
from typing import Any, AsyncIterator, Mapping

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from connectors.base import Channel, InboundMessage, Ingest, JSONResponse, Parsed, ReceivedRequest, rfc3339_from_unix
from connectors.body import parse_json
from connectors.errors import BadRequest, Forbidden, IngestError, PayloadTooLarge, Unauthorized, Unavailable
from connectors.settings import WidgetSettings
from connectors.widget_guard import (
    CONVERSATION_PREFIX,
    Claims,
    ConversationTokens,
    OriginPolicy,
    RateLimiter,
    TooManyRequests,
    bearer,
    new_conversation_id,
    token_secret_from,
)
from connectors.widget_echo import RedactedEcho
from connectors.widget_hub import CLOSE, REPLAY_SLACK_MS, Hub, Subscriber  # noqa: F401 - re-exported
from schemas.kafka import KafkaSettings
from schemas.pseudonyms import Pseudonymiser

log = logging.getLogger("chatguard.ingest.widget")

SITE_KEY_HEADER = "x-chatguard-site-key"
WS_POLICY_VIOLATION = 1008
_ID = re.compile(r"[A-Za-z0-9_-]{16,128}")
_ID_RULE = "must be 16 to 128 characters of A-Z, a-z, 0-9, - or _ (a random id)"
_FIELDS = frozenset({"message_id", "conversation_id", "sender_id", "text"})
_SESSION_FIELDS = frozenset({"message_id", "conversation_id", "text"})
_STATIC = {
    "widget.html": "text/html; charset=utf-8",
    "widget.js": "text/javascript; charset=utf-8",
    "widget.css": "text/css; charset=utf-8",
    "icon.svg": "image/svg+xml",
}
# The page talks only to the service that served it; nothing inline, nothing from elsewhere.
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
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
            raise ValueError("WidgetChannel: CHATGUARD_PSEUDONYM_KEY (the worker's) is needed to find the widget's redacted events")
        # Compare digests: equal length, so the constant-time compare leaks nothing about length.
        self._key_digests = tuple(hashlib.sha256(k.encode()).digest() for k in site_keys)
        self._pseudonyms = Pseudonymiser(settings.pseudonym_key)
        self.tokens = ConversationTokens(token_secret_from(settings.pseudonym_key, settings.token_secret), settings.token_ttl_s)
        self.origins = OriginPolicy(settings.origins)
        self.key_limits = RateLimiter(settings.key_rate_per_s, settings.key_burst)
        self.client_limits = RateLimiter(settings.client_rate_per_s, settings.client_burst)
        self._tokenless_posts = settings.tokenless_posts
        self._heartbeat_s = heartbeat_s
        self._stream_max_s = stream_max_s
        self._hello_timeout_s = hello_timeout_s
        self.hub = Hub(queue_size, max_subscribers, max_per_conversation, settings.streams_per_client)
        self._sockets: collections.Counter[str] = collections.Counter()  # open WebSockets per client address
        self._echo = RedactedEcho(self.name, self.hub, kafka, start_wait_s=start_wait_s, retry_s=retry_s)
        self._ingest: Ingest | None = None
        self._static = {name: _read_static(name) for name in _STATIC}

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

    def authorize(self, headers: Mapping[str, str], client: str | None, *, token_needed: bool) -> tuple[str, Claims | None]:
        """Site key, the page's origin, the rate limits, then the token: in that order, so a
        flood of forged tokens is throttled before any is checked."""
        site_key = self.check_site_key(headers.get(SITE_KEY_HEADER))
        self.origins.check(site_key, headers.get("origin"), headers.get("host"))
        self.take(site_key, client)
        token = bearer(headers.get("authorization"))
        if token is None and not token_needed:
            return site_key, None
        return site_key, self.tokens.verify(site_key, token)

    def _error(self, exc: IngestError, cors_origin: str | None) -> Response:
        headers = self._cors_headers(cors_origin)
        if isinstance(exc, TooManyRequests):
            headers["Retry-After"] = str(exc.retry_after_s)
        return JSONResponse({"error": exc.reason}, status_code=exc.status, headers=headers)

    @staticmethod
    def _cors_headers(cors_origin: str | None) -> dict[str, str]:
        if cors_origin is None:
            return {}
        return {"Access-Control-Allow-Origin": cors_origin, "Vary": "Origin"}

    def _count(self, status: int, exc: IngestError | None = None) -> None:
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
            if post.claims is not None:
                if wait := self.client_limits.take("s" + post.claims.conversation_id):
                    raise TooManyRequests("too many requests in this conversation", wait, "rate_limited_client")
        except TooManyRequests as exc:
            if self._ingest is not None:
                self._ingest.metrics.rejections.labels(self.name, exc.metric_reason).inc()
            return Parsed(reply=self._error(exc, post.cors_origin))
        return Parsed(messages=[message_from(payload, post.claims)])

    def accepted(self, event_ids: list[str]) -> Response:
        post = _POST.get()
        return JSONResponse({"event_id": event_ids[0]}, status_code=202, headers=self._cors_headers(post and post.cors_origin))

    def routes(self, ingest: Ingest) -> list[BaseRoute]:
        self._ingest = ingest

        async def ws(websocket: WebSocket) -> None:
            await self._websocket(ingest, websocket)

        async def events(request: Request) -> Response:
            return self._events(request)

        async def session(request: Request) -> Response:
            return self._session(request)

        async def preflight(request: Request) -> Response:
            return self._preflight(request)

        def static(name: str):
            async def endpoint(_: Request) -> Response:
                return self._static_response(name)

            return endpoint

        return [
            WebSocketRoute("/widget/ws", ws),
            Route("/widget/session", session, methods=["POST"]),
            Route("/widget/events", events, methods=["POST"]),
            *(Route(path, preflight, methods=["OPTIONS"]) for path in ("/widget/session", "/widget/events", "/widget/messages")),
            Route("/widget/", static("widget.html"), methods=["GET"]),
            Route("/widget/demo", static("widget.html"), methods=["GET"]),
            Route("/widget/widget.js", static("widget.js"), methods=["GET"]),
            Route("/widget/widget.css", static("widget.css"), methods=["GET"]),
            Route("/widget/icon.svg", static("icon.svg"), methods=["GET"]),
        ]

    # -- POST /widget/session, CORS preflight ------------------------------------------------

    def _session(self, request: Request) -> Response:
        cors = self.origins.cors_origin(request.headers.get("origin"), request.headers.get("host"))
        try:
            site_key, old = self.authorize(request.headers, _client(request), token_needed=False)
        except IngestError as exc:
            self._count(exc.status, exc)
            return self._error(exc, cors)
        conversation_id = old.conversation_id if old is not None else new_conversation_id()
        token, claims = self.tokens.issue(site_key, conversation_id)
        status = 200 if old is not None else 201
        self._count(status)
        body = {"conversation_id": conversation_id, "token": token, "expires_at": claims.expires_at}
        return JSONResponse(body, status_code=status, headers={"Cache-Control": "no-store", **self._cors_headers(cors)})

    def _preflight(self, request: Request) -> Response:
        origin, host = request.headers.get("origin"), request.headers.get("host")
        if origin is None or not self.origins.allows_any_key(origin, host):
            return JSONResponse({"error": "this page's origin is not allowed (CHATGUARD_WIDGET_ORIGINS)"}, status_code=403)
        headers = {
            **self._cors_headers(origin),
            "Access-Control-Allow-Methods": "POST",
            "Access-Control-Allow-Headers": _CORS_HEADERS,
            "Access-Control-Max-Age": "600",
        }
        return Response(status_code=204, headers=headers)

    # -- WebSocket ---------------------------------------------------------------------------

    async def _websocket(self, ingest: Ingest, websocket: WebSocket) -> None:
        origin, host = websocket.headers.get("origin"), websocket.headers.get("host")
        client = websocket.client.host if websocket.client else None
        try:
            if not self.origins.allows_any_key(origin, host):
                raise Forbidden("this page's origin is not allowed (CHATGUARD_WIDGET_ORIGINS)", "origin_not_allowed")
            if client is not None and (wait := self.client_limits.take("c" + client)):
                raise TooManyRequests("too many requests from this client", wait, "rate_limited_client")
            # Open sockets count like event streams: per client address, and in all.
            if client is not None and self._sockets[client] >= self.hub.max_per_client:
                raise TooManyRequests("too many open connections from this client", self._stream_max_s, "too_many_client_streams")
            if sum(self._sockets.values()) >= self.hub.max_subscribers:
                raise Unavailable("too many live connections; retry later", "too_many_streams")
        except IngestError as exc:
            self._count(exc.status, exc)
            await _deny(websocket, self._error(exc, None))
            return
        await websocket.accept()
        self._sockets[client or ""] += 1
        try:
            await self._converse(ingest, websocket, origin, host, client)
        finally:
            self._sockets[client or ""] -= 1
            if self._sockets[client or ""] <= 0:
                del self._sockets[client or ""]

    async def _converse(self, ingest: Ingest, websocket: WebSocket, origin: str | None, host: str | None, client: str | None) -> None:
        with contextlib.suppress(WebSocketDisconnect):
            try:
                async with asyncio.timeout(self._hello_timeout_s):
                    frame = await websocket.receive()
            except TimeoutError:
                exc = Unauthorized(f"no hello frame within {self._hello_timeout_s:.0f} s", "missing_token")
                self._count(exc.status, exc)
                await _refuse(websocket, exc)
                return
            if frame["type"] == "websocket.disconnect":
                return
            try:
                site_key, claims = self._hello(frame, origin, host, client)
            except IngestError as exc:
                self._count(exc.status, exc)
                await _refuse(websocket, exc)
                return
            await websocket.send_text(orjson.dumps({"type": "ready", "expires_at": claims.expires_at}).decode())
            while True:
                try:  # an idle socket does not outlive its token
                    async with asyncio.timeout(max(0.0, claims.expires_at - time.time())):
                        frame = await websocket.receive()
                except TimeoutError:
                    frame = {"type": "websocket.receive"}
                if frame["type"] == "websocket.disconnect":
                    return
                if claims.expires_at <= time.time():
                    exc = Unauthorized("conversation token expired; open a new session (POST /widget/session)", "expired_token")
                    self._count(exc.status, exc)
                    await _refuse(websocket, exc)
                    return
                reply = await self._frame(ingest, frame, site_key, claims, client)
                await websocket.send_text(orjson.dumps(reply).decode())

    def _hello(self, frame: dict, origin: str | None, host: str | None, client: str | None) -> tuple[str, Claims]:
        text = frame.get("text")
        if text is None or len(text) > 4096:
            raise BadRequest('the first frame must be {"type": "hello", "site_key", "token"}')
        hello = parse_json(text.encode())
        if not isinstance(hello, dict) or hello.get("type") != "hello":
            raise BadRequest('the first frame must be {"type": "hello", "site_key", "token"}')
        site_key = hello.get("site_key")
        token = hello.get("token")
        headers = {SITE_KEY_HEADER: site_key if isinstance(site_key, str) else ""}
        if origin is not None:
            headers["origin"] = origin
        if host is not None:
            headers["host"] = host
        headers["authorization"] = f"Bearer {token}" if isinstance(token, str) and token else ""
        site_key, claims = self.authorize(headers, None, token_needed=True)  # the handshake took the client's token
        assert claims is not None
        return site_key, claims

    async def _frame(self, ingest: Ingest, frame: dict, site_key: str, claims: Claims, client: str | None) -> dict:
        started = time.perf_counter()
        status = 500
        message_id = None
        try:
            self.take(site_key, client)
            text = frame.get("text")
            if text is None:
                raise BadRequest("frames must be text: one JSON message each")
            data = text.encode()
            if len(data) > ingest.body_limit:
                raise PayloadTooLarge(f"frame larger than {ingest.body_limit} bytes")
            payload = parse_json(data)
            if isinstance(payload, dict) and isinstance(payload.get("message_id"), str) and _ID.fullmatch(payload["message_id"]):
                message_id = payload["message_id"]  # echoed only when it is a well-formed random id
            [event_id] = await ingest.write(self, [message_from(payload, claims)])
            ingest.metrics.ack_latency.labels(self.name).observe(time.perf_counter() - started)
            status = 202
            return {"type": "ack", "message_id": message_id, "event_id": event_id}
        except IngestError as exc:
            status = exc.status
            ingest.metrics.rejections.labels(self.name, exc.metric_reason).inc()
            return {"type": "error", "message_id": message_id, "error": exc.reason}
        finally:
            ingest.metrics.requests.labels(self.name, str(status)).inc()

    # -- server-sent events ------------------------------------------------------------------

    def _events(self, request: Request) -> Response:
        cors = self.origins.cors_origin(request.headers.get("origin"), request.headers.get("host"))
        client = _client(request)
        try:
            _, claims = self.authorize(request.headers, client, token_needed=True)
            assert claims is not None
            conversation = self.conversation_pseudonym(claims.conversation_id)
            if not self.hub.client_has_room(client):
                raise TooManyRequests("too many open event streams from this client", self._stream_max_s, "too_many_client_streams")
            if not self.hub.has_room(conversation):
                raise Unavailable("too many live streams; retry later", "too_many_streams")
        except IngestError as exc:
            self._count(exc.status, exc)
            return self._error(exc, cors)
        self._count(200)
        last_event_id = request.headers.get("last-event-id")
        ends_in = min(self._stream_max_s, claims.expires_at - time.time())
        return StreamingResponse(
            self._stream(conversation, client, last_event_id, ends_in),
            media_type="text/event-stream",
            headers={
                "Cache-Control": "no-store",
                "X-Accel-Buffering": "no",
                "X-Content-Type-Options": "nosniff",
                **self._cors_headers(cors),
            },
        )

    async def _stream(self, conversation: str, client: str | None, last_event_id: str | None, ends_in: float) -> AsyncIterator[bytes]:
        # Subscribe inside the generator, so its ``finally`` always unsubscribes (a client that
        # leaves is noticed as a disconnect, which cancels this generator).
        subscriber = self.hub.subscribe(conversation, client)
        try:
            yield b"retry: 1000\n\n"
            if last_event_id is not None:
                for chunk in self.hub.replay(conversation, last_event_id):
                    yield chunk
            # Subscribed: anything the worker writes from now on reaches this stream. The id is a
            # time cursor, so a reconnect before any event arrived still replays what it missed.
            yield b"event: ready\nid: t" + str(int(time.time() * 1000)).encode() + b"\ndata: {}\n\n"
            loop = asyncio.get_running_loop()
            ends_at = loop.time() + ends_in
            while (left := ends_at - loop.time()) > 0:
                try:
                    item = await asyncio.wait_for(subscriber.queue.get(), min(self._heartbeat_s, left))
                except TimeoutError:
                    yield b": keep-alive\n\n"
                    continue
                if item is CLOSE:
                    return
                yield item
        finally:
            self.hub.unsubscribe(subscriber)

    # -- the chat.nlp echo (connectors/widget_echo.py) -------------------------------------

    async def start(self) -> None:
        await self._echo.start()

    async def stop(self) -> None:
        await self._echo.stop()
        self.hub.close_all()

    @property
    def ready(self) -> asyncio.Event:
        """Set once the echo is positioned on chat.nlp: later events will stream."""
        return self._echo.ready

    # -- static files ------------------------------------------------------------------------

    def _static_response(self, name: str) -> Response:
        headers = {
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
            "Cache-Control": "no-store" if name.endswith(".html") else "no-cache",
        }
        if name.endswith(".html"):
            headers["Content-Security-Policy"] = _CSP
        return Response(self._static[name], media_type=_STATIC[name], headers=headers)


def message_from(payload: Any, claims: Claims | None = None) -> InboundMessage:
    """One widget message (POST body or WebSocket frame), checked and minimised. With a
    session's ``claims`` the conversation and the sender are the session's."""
    if not isinstance(payload, dict):
        raise BadRequest("message must be a JSON object")
    allowed = _FIELDS if claims is None else _SESSION_FIELDS
    unknown = [k for k in payload if k not in allowed]
    if unknown:
        # Data minimisation: anything beyond the contract is refused, not silently carried.
        raise BadRequest("unknown field" + (f" {unknown[0]}" if re.fullmatch(r"\w{1,40}", unknown[0]) else ""))
    message_id = _string(payload, "message_id")
    if not _ID.fullmatch(message_id):
        # The event id (and so dedup) derives from it alone: it must not collide across visitors.
        raise BadRequest(f"message_id {_ID_RULE}")
    if claims is not None:
        given = payload.get("conversation_id")
        if given is not None and given != claims.conversation_id:
            raise Forbidden("conversation_id is not the conversation of this token", "wrong_conversation")
        conversation_id, sender_id = claims.conversation_id, "v-" + claims.conversation_id
    else:
        conversation_id, sender_id = _string(payload, "conversation_id"), _string(payload, "sender_id")
        if conversation_id.startswith(CONVERSATION_PREFIX):
            raise Unauthorized("this conversation is a widget session's: send its token (Authorization: Bearer)", "missing_token")
    return InboundMessage(
        platform_message_id=message_id,
        conversation_id=conversation_id,
        sender_id=sender_id,
        sent_at=rfc3339_from_unix(time.time()),
        text=_string(payload, "text"),
    )


def _string(payload: dict, key: str) -> str:
    # Strict: a browser sends strings; numbers or objects mean a broken or hostile client.
    value = payload.get(key)
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"{key} missing or not a non-empty string")
    return value


def _client(request: Request) -> str | None:
    return request.client.host if request.client else None


async def _deny(websocket: WebSocket, response: Response) -> None:
    """Refuse a handshake with an HTTP answer (403, 429 with Retry-After) where the server
    supports it, else with close code 1008 (which the server turns into a 403)."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(response)
    else:
        await websocket.close(code=WS_POLICY_VIOLATION)


async def _refuse(websocket: WebSocket, exc: IngestError) -> None:
    with contextlib.suppress(Exception):
        await websocket.send_text(orjson.dumps({"type": "error", "status": exc.status, "error": exc.reason}).decode())
        await websocket.close(code=WS_POLICY_VIOLATION, reason=exc.metric_reason)


def _read_static(name: str) -> bytes:
    return importlib.resources.files("connectors").joinpath("static", name).read_bytes()
