"""The widget's live redacted echo, as server-sent events.

``POST /widget/events`` (opened by ``fetch``, not ``EventSource``, so the token goes in a header)
    The redacted form of every *web* message of the token's conversation, as the worker wrote it
    to the clean topic ``chat.nlp`` (placeholder policy): ``{"event_id", "text", "findings"}``.
    The worker names conversations there by pseudonym (schemas.pseudonyms, key
    CHATGUARD_PSEUDONYM_KEY): the hub is keyed by the same pseudonym. Nothing here ever reads
    ``chat.raw``. One Kafka consumer per process (connectors/widget/echo.py) fans events out to
    bounded per-subscriber queues (connectors/widget/hub.py); a subscriber that lags is dropped
    and its page reconnects. A stream lasts at most ``stream_max_s`` (25 s), never past its
    token's expiry: uvicorn's graceful shutdown waits for open responses. The page reconnects
    sending ``Last-Event-ID`` (an event id, or the time cursor of the ``ready`` event), and what
    it missed is replayed from a small in-memory buffer of recent redacted web events. Open
    streams are capped per client address (429).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from connectors.errors import IngestError, Unavailable
from connectors.widget.guard import TooManyRequests, client_address
from connectors.widget.hub import CLOSE

if TYPE_CHECKING:
    from connectors.widget.channel import WidgetChannel


class EventStreams:
    """``POST /widget/events`` for one channel: its guard checks, its hub feeds the streams."""

    def __init__(self, channel: WidgetChannel, *, heartbeat_s: float, stream_max_s: float) -> None:
        self._channel = channel
        self._heartbeat_s = heartbeat_s
        self._stream_max_s = stream_max_s

    def open(self, request: Request) -> Response:
        channel = self._channel
        cors = channel.origins.cors_origin(request.headers.get("origin"), request.headers.get("host"))
        client = client_address(request)
        try:
            _, claims = channel.authorize(request.headers, client, token_needed=True)
            assert claims is not None
            conversation = channel.conversation_pseudonym(claims.conversation_id)
            if not channel.hub.client_has_room(client):
                raise TooManyRequests(
                    "too many open event streams from this client", self._stream_max_s, "too_many_client_streams"
                )
            if not channel.hub.has_room(conversation):
                raise Unavailable("too many live streams; retry later", "too_many_streams")
        except IngestError as exc:
            channel.count_request(exc.http_status, exc)
            return channel.error_response(exc, cors)
        channel.count_request(200)
        last_event_id = request.headers.get("last-event-id")
        ends_in = min(self._stream_max_s, claims.expires_at - time.time())
        return StreamingResponse(
            self._stream(conversation, client, last_event_id, ends_in),
            media_type="text/event-stream",
            headers={
                "Cache-Control": "no-store",
                "X-Accel-Buffering": "no",
                "X-Content-Type-Options": "nosniff",
                **channel.cors_headers(cors),
            },
        )

    async def _stream(
        self, conversation: str, client: str | None, last_event_id: str | None, ends_in: float
    ) -> AsyncIterator[bytes]:
        hub = self._channel.hub
        # Subscribe inside the generator, so its ``finally`` always unsubscribes (a client that
        # leaves is noticed as a disconnect, which cancels this generator).
        subscriber = hub.subscribe(conversation, client)
        try:
            yield b"retry: 1000\n\n"
            if last_event_id is not None:
                for chunk in hub.replay(conversation, last_event_id):
                    yield chunk
            # Subscribed: anything the worker writes from here on reaches this stream. The id is a
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
            hub.unsubscribe(subscriber)
