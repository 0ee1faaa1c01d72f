"""What every channel shares: verify -> parse -> minimise -> produce to chat.raw -> answer.

A channel module only says how its platform signs and shapes a request (``Channel``); the
``Ingest`` handler does the rest the same way for all of them, and answers 2xx only after Kafka
acknowledged every message the request carried.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, ClassVar, Protocol
from urllib.parse import parse_qsl

import orjson
from starlette.responses import Response
from starlette.routing import BaseRoute

from connectors.body import decompress, parse_json, read_capped
from connectors.dedup import SeenIds
from connectors.errors import BadRequest, IngestError, Unavailable
from connectors.metrics import IngestMetrics
from schemas.errors import SchemaError
from schemas.raw import ChannelKind, RawMessage

log = logging.getLogger("chatguard.ingest")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class InboundMessage:
    """One platform message, minimised: only what the pipeline needs. Profile data, names,
    avatars and the like never get this far."""

    platform_message_id: str  # the platform's own id: redeliveries carry the same one
    conversation_id: str
    sender_id: str
    sent_at: str  # RFC 3339
    text: str


@dataclass(frozen=True, slots=True)
class Parsed:
    messages: Sequence[InboundMessage] = ()
    ignored: int = 0  # events acknowledged but not chat text (reactions, joins, echoes...)
    reply: Response | None = None  # a handshake the platform expects answered as is


@dataclass(frozen=True, slots=True)
class ReceivedRequest:
    """A request after the body was read (capped), before parsing. ``verify`` gets the body
    exactly as received (still compressed if it was); ``parse`` gets it decompressed."""

    headers: Mapping[str, str]  # lower-case names
    query: Mapping[str, str]
    body: bytes
    client: str | None = None  # the peer's address (a proxy's, behind one)


class RawSink(Protocol):
    async def enqueue(self, message: RawMessage) -> asyncio.Future: ...


class JSONResponse(Response):
    """A JSON answer rendered by orjson: the stdlib encoder Starlette uses was a visible share
    of the hot path for these few-byte bodies."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


def event_id_for(channel: str, platform_message_id: str) -> str:
    """Deterministic, so every redelivery of a message has the same id, here and downstream."""
    return hashlib.sha256(f"{channel}\x00{platform_message_id}".encode()).hexdigest()[:32]


def rfc3339_from_unix(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Channel(ABC):
    """One way messages arrive. Subclasses set the class attributes and implement verify and parse."""

    name: ClassVar[str]  # channel name on RawMessage: web, messenger, slack, telegram, http
    kind: ClassVar[ChannelKind]
    path: ClassVar[str]  # POST endpoint

    @abstractmethod
    def verify(self, request: ReceivedRequest) -> None:
        """Raise Unauthorized/Forbidden unless the request provably comes from the platform.
        Runs on the raw bytes as received, before they are decompressed or parsed."""

    @abstractmethod
    def parse(self, request: ReceivedRequest, payload: Any) -> Parsed:
        """Turn a verified payload into minimised messages; raise BadRequest if malformed."""

    async def start(self) -> None:  # noqa: B027 - an optional hook: most channels have nothing to start
        """Called once when the service starts (e.g. to open a Kafka consumer)."""

    async def stop(self) -> None:  # noqa: B027 - an optional hook: most channels have nothing to stop
        """Called once when the service stops."""

    def accepted(self, event_ids: list[str]) -> Response:
        """The 2xx the platform expects once its messages are safely in Kafka."""
        return JSONResponse({"accepted": len(event_ids)}, status_code=200)

    def routes(self, ingest: Ingest) -> list[BaseRoute]:
        """Routes this channel serves besides ``POST path`` (handshakes, pages, streams)."""
        return []


@dataclass
class Ingest:
    sink: RawSink
    metrics: IngestMetrics
    body_limit: int = 256 * 1024
    ack_timeout_s: float = 2.5
    seen: SeenIds = field(default_factory=SeenIds)

    async def handle(
        self,
        channel: Channel,
        headers: Mapping[str, str],
        query: Mapping[str, str],
        chunks: AsyncIterator[bytes],
        client: str | None = None,
    ) -> Response:
        """One POST to ``channel.path``: always an answer, never an exception (a bug is a 500
        whose log line names the exception type only: messages may quote the request)."""
        started = time.perf_counter()
        status = 500
        try:
            body = await read_capped(headers.get("content-length"), chunks, self.body_limit)
            # The signature covers the bytes as received (compressed, if they were): checked
            # before anything else looks at them, decompression included.
            channel.verify(ReceivedRequest(headers, query, body, client))
            body = decompress(body, headers.get("content-encoding"), self.body_limit)
            received = ReceivedRequest(headers, query, body, client)
            parsed = channel.parse(received, parse_json(body))
            if parsed.reply is not None:
                status = parsed.reply.status_code
                return parsed.reply
            if parsed.ignored:
                self.metrics.ignored.labels(channel.name).inc(parsed.ignored)
            event_ids = await self.write(channel, parsed.messages)
            self.metrics.ack_latency.labels(channel.name).observe(time.perf_counter() - started)
            response = channel.accepted(event_ids)
            status = response.status_code
            return response
        except IngestError as exc:
            status = exc.http_status
            self.metrics.rejections.labels(channel.name, exc.metric_reason).inc()
            return error_response(exc)
        except Exception as exc:  # noqa: BLE001 - answer and keep serving; see the docstring
            log.error("%s: request failed with %s", channel.name, type(exc).__name__)
            return JSONResponse({"error": "internal error"}, status_code=500)
        finally:
            self.metrics.requests.labels(channel.name, str(status)).inc()

    def endpoint(self, channel: Channel) -> ChannelEndpoint:
        """``POST channel.path`` as a bare ASGI app."""
        return ChannelEndpoint(self, channel)

    async def write(self, channel: Channel, messages: Sequence[InboundMessage]) -> list[str]:
        """Write each new message to chat.raw; return the event ids now safely in Kafka."""
        raws = [to_raw(channel, m) for m in messages]  # validate all before writing any
        claimed: list[RawMessage] = []
        event_ids: list[str] = []
        for raw in raws:
            if raw.event_id in event_ids:  # the same message twice in one request
                self.metrics.duplicates.labels(channel.name).inc()
                continue
            if await self.seen.claim(raw.event_id):
                claimed.append(raw)
            else:
                self.metrics.duplicates.labels(channel.name).inc()
            event_ids.append(raw.event_id)
        if not claimed:
            return event_ids
        written = False
        try:
            async with asyncio.timeout(self.ack_timeout_s):
                futures = [await self.sink.enqueue(raw) for raw in claimed]
                await asyncio.gather(*futures)
            written = True
        except Exception as exc:  # Kafka down, timed out, or refused
            self.metrics.produce_errors.labels(channel.name).inc()
            raise Unavailable(f"Kafka did not acknowledge the message ({type(exc).__name__}); retry later") from None
        finally:
            for raw in claimed:
                self.seen.release(raw.event_id, written)
        self.metrics.messages.labels(channel.name).inc(len(claimed))
        return event_ids


class ChannelEndpoint:
    """One channel's webhook POST as a bare ASGI app: no framework request objects or middleware
    on the hot path (they were ~15 % of the ingest process's CPU at 2,000 requests/s). A class,
    not a function, so that a router mounting it treats it as an ASGI app."""

    def __init__(self, ingest: Ingest, channel: Channel) -> None:
        self.ingest = ingest
        self.channel = channel

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers: dict[str, str] = {}
        for name, value in scope["headers"]:  # ASGI names are lower-case; the first one counts
            headers.setdefault(name.decode("latin-1"), value.decode("latin-1"))
        raw_query = scope.get("query_string", b"")
        query = dict(parse_qsl(raw_query.decode("latin-1"), keep_blank_values=True)) if raw_query else {}
        peer = scope.get("client")
        response = await self.ingest.handle(
            self.channel, headers, query, body_chunks(receive), peer[0] if peer else None
        )
        await response(scope, receive, send)


async def body_chunks(receive: Receive) -> AsyncIterator[bytes]:
    """The request body as ASGI delivers it; a client that hangs up mid-body is a bad request
    nobody will read the answer to."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise BadRequest("client disconnected before sending the whole body", "client_disconnected")
        yield message.get("body", b"")
        if not message.get("more_body", False):
            return


def to_raw(channel: Channel, message: InboundMessage) -> RawMessage:
    try:
        return RawMessage.from_dict(
            {
                "event_id": event_id_for(channel.name, message.platform_message_id),
                "channel": channel.name,
                "channel_kind": channel.kind,
                "conversation_id": message.conversation_id,
                "sender_id": message.sender_id,
                "sent_at": message.sent_at,
                "text": message.text,
            }
        )
    except SchemaError as exc:
        raise BadRequest(f"message {exc.field}: {exc.reason}", "invalid_message") from None


def error_response(exc: IngestError) -> Response:
    return JSONResponse({"error": exc.reason}, status_code=exc.http_status)


def require_str(data: Any, key: str, where: str, *, allow_number: bool = True) -> str:
    """A required non-empty string field of a platform payload, or BadRequest naming it.
    Numbers are taken as their decimal form when ``allow_number`` (numeric ids)."""
    value = data.get(key) if isinstance(data, dict) else None
    if allow_number and isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)  # platforms send numeric ids (Telegram chat ids, Slack ts)
    if not isinstance(value, str) or not value:
        raise BadRequest(f"{where}{key} missing or not a string")
    return value
