"""The web widget: a chat box on a customer's site, and the live *redacted* echo of what it sent.

Endpoints (all under ``/widget/``):

``POST /widget/messages``
    Header ``X-Chatguard-Site-Key`` (missing: 401, unknown: 403), body
    ``{"message_id", "conversation_id", "sender_id", "text"}``, ids made by the browser
    (``crypto.randomUUID``). ``message_id`` must look random (16 to 128 characters of
    ``[A-Za-z0-9_-]``): the event id, and so dedup, is derived from it alone. Only conversations
    whose id looks random the same way can be streamed back (below). ``sent_at`` is the server's
    clock.
    Runs through the shared ``Ingest`` handler (body cap, dedup, 503 while Kafka is down,
    metrics) and answers ``202 {"event_id": ...}`` once Kafka acknowledged.

``GET /widget/ws?site_key=...`` (WebSocket)
    An unknown or missing key is refused before the handshake completes (close code 1008, which
    the server turns into an HTTP 403). Each text frame is one message shaped like the POST body;
    the answer is ``{"type": "ack", "message_id", "event_id"}`` after Kafka's acknowledgement or
    ``{"type": "error", "message_id", "error"}`` (bad input, too large, Kafka down). Frames are
    handled one at a time, in order; a bad frame does not close the connection. A frame counts
    as one request in the ingest metrics. Errors never quote the frame.

``GET /widget/events?site_key=...&conversation_id=...`` (server-sent events)
    The redacted form of every *web* message of that conversation, as the worker wrote it to
    the clean topic ``chat.nlp`` (placeholder policy): ``{"event_id", "text", "findings"}``.
    Nothing here ever reads ``chat.raw``. One Kafka consumer per process (no consumer group:
    every partition assigned, positioned at the end on start) fans events out to bounded
    per-subscriber queues; a subscriber that lags is dropped and its browser reconnects. A stream
    lasts at most ``stream_max_s`` (25 s) and then ends: uvicorn's graceful shutdown waits for
    open responses, so an endless stream would hold a SIGTERM up. ``EventSource`` reconnects by
    itself, sending ``Last-Event-ID`` (an event id, or the time cursor of the ``ready`` event),
    and what it missed is replayed from a small in-memory buffer of recent redacted web events.
    The conversation id is the capability: only random-looking ids (as for ``message_id``) can
    be streamed, and the page keeps its id in its tab's sessionStorage.

``GET /widget/`` (the demo page; also ``/widget/demo``), ``/widget/widget.js``, ``widget.css``, ``icon.svg``
    Plain files from ``connectors/static/``; no build step, no CDN, a strict CSP.

How the page gets its site key: from its own URL, ``/widget/?site_key=<key>`` (or, when the
script is embedded elsewhere, ``<script src=".../widget/widget.js" data-site-key="<key>">``).
The server never writes a key into the page, so the ingest service does not hand its keys to
whoever asks; a site key is a public identifier of the embedding site (it is visible in the
site's HTML), not a secret. The page is served with ``Referrer-Policy: no-referrer`` so the key
does not travel on in Referer headers, and the service keeps no access log.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import hmac
import importlib.resources
import logging
import re
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, AsyncIterator

import orjson
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from connectors.base import Channel, InboundMessage, Ingest, JSONResponse, Parsed, ReceivedRequest, error_response, rfc3339_from_unix
from connectors.body import parse_json
from connectors.errors import BadRequest, Forbidden, IngestError, PayloadTooLarge, Unauthorized, Unavailable
from schemas.codec import decode_redacted
from schemas.errors import SchemaError
from schemas.kafka import KafkaSettings
from schemas.topics import NLP

log = logging.getLogger("chatguard.ingest.widget")

SITE_KEY_HEADER = "x-chatguard-site-key"
WS_POLICY_VIOLATION = 1008
_ID = re.compile(r"[A-Za-z0-9_-]{16,128}")
_ID_RULE = "must be 16 to 128 characters of A-Z, a-z, 0-9, - or _ (a random id)"
_FIELDS = frozenset({"message_id", "conversation_id", "sender_id", "text"})
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
REPLAY_SLACK_MS = 2_000
_CLOSE = object()  # queue sentinel: the stream must end (service stopping, or subscriber lagged)


class WidgetChannel(Channel):
    name = "web"
    kind = "private"
    path = "/widget/messages"

    def __init__(
        self,
        site_keys: frozenset[str],
        kafka: KafkaSettings,
        *,
        queue_size: int = 32,
        max_subscribers: int = 10_000,
        max_per_conversation: int = 8,
        heartbeat_s: float = 15.0,
        stream_max_s: float = 25.0,
        start_wait_s: float = 5.0,
        retry_s: float = 2.0,
    ) -> None:
        if not site_keys:
            raise ValueError("WidgetChannel: at least one site key is needed")
        # Compare digests: equal length, so the constant-time compare leaks nothing about length.
        self._key_digests = tuple(hashlib.sha256(k.encode()).digest() for k in site_keys)
        self._kafka = kafka
        self._heartbeat_s = heartbeat_s
        self._stream_max_s = stream_max_s
        self._start_wait_s = start_wait_s
        self._retry_s = retry_s
        self.hub = Hub(queue_size, max_subscribers, max_per_conversation)
        self.ready = asyncio.Event()  # set once the consumer is positioned: later events will stream
        self._task: asyncio.Task | None = None
        self._static = {name: _read_static(name) for name in _STATIC}

    # -- site keys ---------------------------------------------------------------------------

    def check_site_key(self, given: str | None) -> None:
        if not given:
            raise Unauthorized("site key missing (X-Chatguard-Site-Key header or site_key parameter)", "missing_site_key")
        digest = hashlib.sha256(given.encode()).digest()
        known = False
        for key in self._key_digests:  # no early exit: every key is compared every time
            known |= hmac.compare_digest(digest, key)
        if not known:
            raise Forbidden("unknown site key", "unknown_site_key")

    # -- the Channel contract (POST /widget/messages) ----------------------------------------

    def verify(self, request: ReceivedRequest) -> None:
        self.check_site_key(request.headers.get(SITE_KEY_HEADER))

    def parse(self, request: ReceivedRequest, payload: Any) -> Parsed:
        return Parsed(messages=[message_from(payload)])

    def accepted(self, event_ids: list[str]) -> Response:
        return JSONResponse({"event_id": event_ids[0]}, status_code=202)

    def routes(self, ingest: Ingest) -> list[BaseRoute]:
        async def ws(websocket: WebSocket) -> None:
            await self._websocket(ingest, websocket)

        async def events(request: Request) -> Response:
            return self._events(ingest, request)

        def static(name: str):
            async def endpoint(_: Request) -> Response:
                return self._static_response(name)

            return endpoint

        return [
            WebSocketRoute("/widget/ws", ws),
            Route("/widget/events", events, methods=["GET"]),
            Route("/widget/", static("widget.html"), methods=["GET"]),
            Route("/widget/demo", static("widget.html"), methods=["GET"]),
            Route("/widget/widget.js", static("widget.js"), methods=["GET"]),
            Route("/widget/widget.css", static("widget.css"), methods=["GET"]),
            Route("/widget/icon.svg", static("icon.svg"), methods=["GET"]),
        ]

    # -- WebSocket ---------------------------------------------------------------------------

    async def _websocket(self, ingest: Ingest, websocket: WebSocket) -> None:
        try:
            self.check_site_key(websocket.query_params.get("site_key"))
        except IngestError as exc:
            ingest.metrics.rejections.labels(self.name, exc.metric_reason).inc()
            ingest.metrics.requests.labels(self.name, str(exc.status)).inc()
            await websocket.close(code=WS_POLICY_VIOLATION)  # before accept: the handshake gets 403
            return
        await websocket.accept()
        with contextlib.suppress(WebSocketDisconnect):
            while True:
                frame = await websocket.receive()
                if frame["type"] == "websocket.disconnect":
                    return
                reply = await self._frame(ingest, frame)
                await websocket.send_text(orjson.dumps(reply).decode())

    async def _frame(self, ingest: Ingest, frame: dict) -> dict:
        started = time.perf_counter()
        status = 500
        message_id = None
        try:
            text = frame.get("text")
            if text is None:
                raise BadRequest("frames must be text: one JSON message each")
            data = text.encode()
            if len(data) > ingest.body_limit:
                raise PayloadTooLarge(f"frame larger than {ingest.body_limit} bytes")
            payload = parse_json(data)
            if isinstance(payload, dict) and isinstance(payload.get("message_id"), str) and _ID.fullmatch(payload["message_id"]):
                message_id = payload["message_id"]  # echoed only when it is a well-formed random id
            [event_id] = await ingest.write(self, [message_from(payload)])
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

    def _events(self, ingest: Ingest, request: Request) -> Response:
        status = 200
        try:
            self.check_site_key(request.query_params.get("site_key"))
            conversation_id = request.query_params.get("conversation_id") or ""
            if not _ID.fullmatch(conversation_id):
                raise BadRequest(f"conversation_id {_ID_RULE}")
            if not self.hub.has_room(conversation_id):
                raise Unavailable("too many live streams; retry later", "too_many_streams")
        except IngestError as exc:
            status = exc.status
            ingest.metrics.rejections.labels(self.name, exc.metric_reason).inc()
            return error_response(exc)
        finally:
            ingest.metrics.requests.labels(self.name, str(status)).inc()
        last_event_id = request.headers.get("last-event-id")
        return StreamingResponse(
            self._stream(conversation_id, last_event_id),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no", "X-Content-Type-Options": "nosniff"},
        )

    async def _stream(self, conversation_id: str, last_event_id: str | None) -> AsyncIterator[bytes]:
        # Subscribe inside the generator, so its ``finally`` always unsubscribes (a client that
        # leaves is noticed as a disconnect, which cancels this generator).
        subscriber = self.hub.subscribe(conversation_id)
        try:
            yield b"retry: 1000\n\n"
            if last_event_id is not None:
                for chunk in self.hub.replay(conversation_id, last_event_id):
                    yield chunk
            # Subscribed: anything the worker writes from now on reaches this stream. The id is a
            # time cursor, so a reconnect before any event arrived still replays what it missed.
            yield b"event: ready\nid: t" + str(int(time.time() * 1000)).encode() + b"\ndata: {}\n\n"
            loop = asyncio.get_running_loop()
            ends_at = loop.time() + self._stream_max_s
            while (left := ends_at - loop.time()) > 0:
                try:
                    item = await asyncio.wait_for(subscriber.queue.get(), min(self._heartbeat_s, left))
                except TimeoutError:
                    yield b": keep-alive\n\n"
                    continue
                if item is _CLOSE:
                    return
                yield item
        finally:
            self.hub.unsubscribe(subscriber)

    # -- the chat.nlp consumer ---------------------------------------------------------------

    async def start(self) -> None:
        """Start consuming in the background; wait briefly for it, never for long: while Kafka
        is unreachable the service still serves (streams open, and fill once Kafka is back)."""
        self._task = asyncio.create_task(self._consume(), name="widget-chat.nlp-consumer")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.ready.wait(), self._start_wait_s)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        self.hub.close_all()

    async def _consume(self) -> None:
        while True:
            # No consumer group: every partition of chat.nlp is assigned to this process (and
            # re-assigned when partitions are added); no committed offsets, so "latest" puts
            # each partition at its end: only events written from now on are streamed.
            consumer = AIOKafkaConsumer(
                NLP.name,
                group_id=None,
                enable_auto_commit=False,
                auto_offset_reset="latest",
                **self._kafka.aiokafka_kwargs(),
            )
            try:
                await consumer.start()
                await self._position_at_end(consumer)
                self.ready.set()
                log.info("widget: streaming redacted events from %s", NLP.name)
                while True:
                    batch = await consumer.getmany(timeout_ms=1000, max_records=500)
                    for records in batch.values():
                        for record in records:
                            self._dispatch(record.value)
            except asyncio.CancelledError:
                raise
            except (KafkaError, OSError) as exc:
                log.warning("widget: %s not readable (%s); retrying in %.0f s", NLP.name, type(exc).__name__, self._retry_s)
            finally:
                self.ready.clear()
                await consumer.stop()
            await asyncio.sleep(self._retry_s)

    @staticmethod
    async def _position_at_end(consumer: AIOKafkaConsumer) -> None:
        """Wait for the partitions, then resolve their end offsets now rather than at the first
        fetch, so that ``ready`` means: every later event will be seen."""
        waited = 0.0
        while not consumer.assignment():
            if waited == 10.0:
                log.warning("widget: still waiting for topic %s (run `chatguard topics apply`)", NLP.name)
            await asyncio.sleep(0.2)
            waited = round(waited + 0.2, 1)
        for tp in consumer.assignment():
            await consumer.position(tp)

    def _dispatch(self, value: bytes | None) -> None:
        if not value:
            return
        try:
            message = decode_redacted(value)
        except SchemaError as exc:
            log.warning("widget: skipped an invalid %s event (%s)", NLP.name, exc.field)
            return
        if message.channel != self.name:
            return  # conversation ids of other channels are not the widget's to show
        payload = {
            "event_id": message.event_id,
            "text": message.text,
            "findings": [
                {"entity_type": f.entity_type, "start": f.start, "end": f.end, "score": f.score} for f in message.findings
            ],
        }
        chunk = b"id: " + message.event_id.encode() + b"\ndata: " + orjson.dumps(payload) + b"\n\n"
        self.hub.publish(message.conversation_id, message.event_id, chunk)

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


def message_from(payload: Any) -> InboundMessage:
    """One widget message (POST body or WebSocket frame), checked and minimised."""
    if not isinstance(payload, dict):
        raise BadRequest("message must be a JSON object")
    unknown = [k for k in payload if k not in _FIELDS]
    if unknown:
        # Data minimisation: anything beyond the contract is refused, not silently carried.
        raise BadRequest("unknown field" + (f" {unknown[0]}" if re.fullmatch(r"\w{1,40}", unknown[0]) else ""))
    message_id = _string(payload, "message_id")
    if not _ID.fullmatch(message_id):
        # The event id (and so dedup) derives from it alone: it must not collide across visitors.
        raise BadRequest(f"message_id {_ID_RULE}")
    return InboundMessage(
        platform_message_id=message_id,
        conversation_id=_string(payload, "conversation_id"),
        sender_id=_string(payload, "sender_id"),
        sent_at=rfc3339_from_unix(time.time()),
        text=_string(payload, "text"),
    )


def _string(payload: dict, key: str) -> str:
    # Strict: a browser sends strings; numbers or objects mean a broken or hostile client.
    value = payload.get(key)
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"{key} missing or not a non-empty string")
    return value


@dataclass(eq=False)
class Subscriber:
    conversation_id: str
    queue: asyncio.Queue


@dataclass
class Hub:
    """Conversation id -> live subscribers, plus a small buffer of recent events for replay."""

    queue_size: int = 32
    max_subscribers: int = 10_000
    max_per_conversation: int = 8
    recent_events: int = 2_000
    recent_bytes: int = 4 * 1024 * 1024
    _by_conversation: dict[str, set[Subscriber]] = field(default_factory=dict)
    _count: int = 0
    # (conversation_id, event_id, chunk, received at in Unix ms), oldest first; bounded by
    # count and by bytes.
    _recent: deque = field(default_factory=deque)
    _recent_size: int = 0

    def has_room(self, conversation_id: str) -> bool:
        return self._count < self.max_subscribers and len(self._by_conversation.get(conversation_id, ())) < self.max_per_conversation

    def subscribe(self, conversation_id: str) -> Subscriber:
        subscriber = Subscriber(conversation_id, asyncio.Queue(self.queue_size))
        self._by_conversation.setdefault(conversation_id, set()).add(subscriber)
        self._count += 1
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        subscribers = self._by_conversation.get(subscriber.conversation_id)
        if subscribers is None or subscriber not in subscribers:
            return
        subscribers.discard(subscriber)
        self._count -= 1
        if not subscribers:
            del self._by_conversation[subscriber.conversation_id]

    def subscriber_count(self) -> int:
        return self._count

    def publish(self, conversation_id: str, event_id: str, chunk: bytes) -> None:
        self._remember(conversation_id, event_id, chunk)
        for subscriber in list(self._by_conversation.get(conversation_id, ())):
            try:
                subscriber.queue.put_nowait(chunk)
            except asyncio.QueueFull:
                # Lagging: end its stream; its EventSource reconnects and replays what it missed.
                self.unsubscribe(subscriber)
                _close(subscriber.queue)

    def replay(self, conversation_id: str, cursor: str) -> list[bytes]:
        """Buffered events of this conversation after ``cursor``: an event id (all of them if
        that id is no longer buffered: eviction is oldest first, so every one left is newer), or
        ``t<Unix ms>`` from a ``ready`` event (with a little slack for another replica's clock;
        the page drops events it already shows)."""
        mine = [(eid, chunk, at) for cid, eid, chunk, at in self._recent if cid == conversation_id]
        if cursor[:1] == "t" and cursor[1:].isdigit():
            since = int(cursor[1:]) - REPLAY_SLACK_MS
            return [chunk for _, chunk, at in mine if at >= since]
        ids = [eid for eid, _, _ in mine]
        start = len(ids) - ids[::-1].index(cursor) if cursor in ids else 0
        return [chunk for _, chunk, _ in mine[start:]]

    def close_all(self) -> None:
        for subscribers in list(self._by_conversation.values()):
            for subscriber in list(subscribers):
                self.unsubscribe(subscriber)
                _close(subscriber.queue)

    def _remember(self, conversation_id: str, event_id: str, chunk: bytes) -> None:
        self._recent.append((conversation_id, event_id, chunk, int(time.time() * 1000)))
        self._recent_size += len(chunk)
        while self._recent and (len(self._recent) > self.recent_events or self._recent_size > self.recent_bytes):
            self._recent_size -= len(self._recent.popleft()[2])


def _close(queue: asyncio.Queue) -> None:
    while not queue.empty():
        queue.get_nowait()
    queue.put_nowait(_CLOSE)


def _read_static(name: str) -> bytes:
    return importlib.resources.files("connectors").joinpath("static", name).read_bytes()
