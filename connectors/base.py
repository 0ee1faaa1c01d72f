"""What every channel shares: verify -> parse -> minimise -> produce to chat.raw -> answer.

A channel module only says how its platform signs and shapes a request (``Channel``); the
``Ingest`` handler does the rest the same way for all of them, and answers 2xx only after Kafka
acknowledged every message the request carried.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, ClassVar, Mapping, Protocol, Sequence

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from connectors.body import decompress, parse_json, read_capped
from connectors.dedup import SeenIds
from connectors.errors import BadRequest, IngestError, Unavailable
from connectors.metrics import IngestMetrics
from schemas.errors import SchemaError
from schemas.raw import ChannelKind, RawMessage


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
    """A request after the body was read (capped) and decompressed, before parsing."""

    headers: Mapping[str, str]  # lower-case names
    query: Mapping[str, str]
    body: bytes


class RawSink(Protocol):
    async def enqueue(self, message: RawMessage) -> asyncio.Future: ...


def event_id_for(channel: str, platform_message_id: str) -> str:
    """Deterministic, so every redelivery of a message has the same id, here and downstream."""
    return hashlib.sha256(f"{channel}\x00{platform_message_id}".encode()).hexdigest()[:32]


def rfc3339_from_unix(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class Channel(ABC):
    """One way messages arrive. Subclasses set the class attributes and implement verify and parse."""

    name: ClassVar[str]  # channel name on RawMessage: web, messenger, slack, telegram, http
    kind: ClassVar[ChannelKind]
    path: ClassVar[str]  # POST endpoint

    @abstractmethod
    def verify(self, request: ReceivedRequest) -> None:
        """Raise Unauthorized/Forbidden unless the request provably comes from the platform.
        Runs on the raw bytes, before anything is parsed."""

    @abstractmethod
    def parse(self, request: ReceivedRequest, payload: Any) -> Parsed:
        """Turn a verified payload into minimised messages; raise BadRequest if malformed."""

    async def start(self) -> None:
        """Called once when the service starts (e.g. to open a Kafka consumer)."""

    async def stop(self) -> None:
        """Called once when the service stops."""

    def accepted(self, event_ids: list[str]) -> Response:
        """The 2xx the platform expects once its messages are safely in Kafka."""
        return JSONResponse({"accepted": len(event_ids)}, status_code=200)

    def routes(self, ingest: Ingest) -> list[BaseRoute]:
        async def endpoint(request: Request) -> Response:
            return await ingest.handle(self, request)

        return [Route(self.path, endpoint, methods=["POST"])]


@dataclass
class Ingest:
    sink: RawSink
    metrics: IngestMetrics
    body_limit: int = 256 * 1024
    ack_timeout_s: float = 2.5
    seen: SeenIds = field(default_factory=SeenIds)

    async def handle(self, channel: Channel, request: Request) -> Response:
        started = time.perf_counter()
        status = 500
        try:
            body = await read_capped(request.headers.get("content-length"), request.stream(), self.body_limit)
            body = decompress(body, request.headers.get("content-encoding"), self.body_limit)
            received = ReceivedRequest(request.headers, request.query_params, body)
            channel.verify(received)
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
            status = exc.status
            self.metrics.rejections.labels(channel.name, exc.metric_reason).inc()
            return error_response(exc)
        finally:
            self.metrics.requests.labels(channel.name, str(status)).inc()

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
    return JSONResponse({"error": exc.reason}, status_code=exc.status)


def require_str(data: Any, key: str, where: str, *, allow_number: bool = True) -> str:
    """A required non-empty string field of a platform payload, or BadRequest naming it.
    Numbers are taken as their decimal form when ``allow_number`` (numeric ids)."""
    value = data.get(key) if isinstance(data, dict) else None
    if allow_number and isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)  # platforms send numeric ids (Telegram chat ids, Slack ts)
    if not isinstance(value, str) or not value:
        raise BadRequest(f"{where}{key} missing or not a string")
    return value
