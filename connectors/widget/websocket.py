"""The widget's WebSocket: a page's messages, one frame each, acknowledged once Kafka has them.

``/widget/ws``
    The handshake is refused (403) for a page origin no site key allows, and 429 for a client
    over its rate. The first frame must be ``{"type": "hello", "site_key", "token"}`` (within
    ``hello_timeout_s``), answered ``{"type": "ready", "expires_at"}``, or ``{"type": "error",
    "error"}`` and close code 1008. Each later text frame is one message shaped like the POST
    body with a token (connectors/widget/messages.py), answered ``{"type": "ack", "message_id",
    "event_id"}`` after Kafka's acknowledgement or ``{"type": "error", "message_id", "error"}``
    (bad input, too large, rate limited, Kafka down). Frames are handled one at a time, in order;
    a bad frame does not close the connection, an expired token does (1008: the page renews and
    reconnects). A frame counts as one request in the ingest metrics and the rate limits. Errors
    never quote the frame.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import orjson
from starlette.responses import Response
from starlette.websockets import WebSocket, WebSocketDisconnect

from connectors.base import Ingest
from connectors.body import parse_json
from connectors.errors import BadRequest, Forbidden, IngestError, PayloadTooLarge, Unauthorized, Unavailable
from connectors.widget.guard import SITE_KEY_HEADER, Claims, TooManyRequests, client_address
from connectors.widget.messages import MESSAGE_ID, message_from

if TYPE_CHECKING:
    from connectors.widget.channel import WidgetChannel

WS_POLICY_VIOLATION = 1008


class WidgetSockets:
    """``/widget/ws`` for one channel: its guard checks, its ingest writes."""

    def __init__(self, channel: WidgetChannel, *, hello_timeout_s: float, busy_retry_s: float) -> None:
        self._channel = channel
        self._hello_timeout_s = hello_timeout_s
        self._busy_retry_s = busy_retry_s  # Retry-After for a client at its cap of open connections
        self._open: collections.Counter[str] = collections.Counter()  # open WebSockets per client address

    async def serve(self, ingest: Ingest, websocket: WebSocket) -> None:
        channel = self._channel
        origin, host = websocket.headers.get("origin"), websocket.headers.get("host")
        client = client_address(websocket)
        try:
            if not channel.origins.allows_any_key(origin, host):
                raise Forbidden("this page's origin is not allowed (CHATGUARD_WIDGET_ORIGINS)", "origin_not_allowed")
            if client is not None and (wait := channel.client_limits.take("c" + client)):
                raise TooManyRequests("too many requests from this client", wait, "rate_limited_client")
            # Open sockets count like event streams: per client address, and in all.
            if client is not None and self._open[client] >= channel.hub.max_per_client:
                raise TooManyRequests(
                    "too many open connections from this client", self._busy_retry_s, "too_many_client_streams"
                )
            if sum(self._open.values()) >= channel.hub.max_subscribers:
                raise Unavailable("too many live connections; retry later", "too_many_streams")
        except IngestError as exc:
            channel.count_request(exc.http_status, exc)
            await _deny(websocket, channel.error_response(exc, None))
            return
        await websocket.accept()
        self._open[client or ""] += 1
        try:
            await self._converse(ingest, websocket, origin, host, client)
        finally:
            self._open[client or ""] -= 1
            if self._open[client or ""] <= 0:
                del self._open[client or ""]

    async def _converse(
        self, ingest: Ingest, websocket: WebSocket, origin: str | None, host: str | None, client: str | None
    ) -> None:
        count = self._channel.count_request
        with contextlib.suppress(WebSocketDisconnect):
            try:
                async with asyncio.timeout(self._hello_timeout_s):
                    frame = await websocket.receive()
            except TimeoutError:
                missing = Unauthorized(f"no hello frame within {self._hello_timeout_s:.0f} s", "missing_token")
                count(missing.http_status, missing)
                await _refuse(websocket, missing)
                return
            if frame["type"] == "websocket.disconnect":
                return
            try:
                site_key, claims = self._hello(frame, origin, host)
            except IngestError as exc:
                count(exc.http_status, exc)
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
                    expired = Unauthorized(
                        "conversation token expired; open a new session (POST /widget/session)", "expired_token"
                    )
                    count(expired.http_status, expired)
                    await _refuse(websocket, expired)
                    return
                reply = await self._frame(ingest, frame, site_key, claims, client)
                await websocket.send_text(orjson.dumps(reply).decode())

    def _hello(self, frame: Mapping[str, Any], origin: str | None, host: str | None) -> tuple[str, Claims]:
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
        site_key, claims = self._channel.authorize(
            headers, None, token_needed=True
        )  # the handshake took the client's token
        assert claims is not None
        return site_key, claims

    async def _frame(
        self, ingest: Ingest, frame: Mapping[str, Any], site_key: str, claims: Claims, client: str | None
    ) -> dict[str, str | None]:
        channel = self._channel
        started = time.perf_counter()
        status = 500
        message_id: str | None = None
        try:
            channel.take(site_key, client)
            text = frame.get("text")
            if text is None:
                raise BadRequest("frames must be text: one JSON message each")
            data = text.encode()
            if len(data) > ingest.body_limit:
                raise PayloadTooLarge(f"frame larger than {ingest.body_limit} bytes")
            payload = parse_json(data)
            if (
                isinstance(payload, dict)
                and isinstance(payload.get("message_id"), str)
                and MESSAGE_ID.fullmatch(payload["message_id"])
            ):
                message_id = payload["message_id"]  # echoed only when it is a well-formed random id
            [event_id] = await ingest.write(channel, [message_from(payload, claims)])
            ingest.metrics.ack_latency.labels(channel.name).observe(time.perf_counter() - started)
            status = 202
            return {"type": "ack", "message_id": message_id, "event_id": event_id}
        except IngestError as exc:
            status = exc.http_status
            ingest.metrics.rejections.labels(channel.name, exc.metric_reason).inc()
            return {"type": "error", "message_id": message_id, "error": exc.reason}
        finally:
            ingest.metrics.requests.labels(channel.name, str(status)).inc()


async def _deny(websocket: WebSocket, response: Response) -> None:
    """Refuse a handshake with an HTTP answer (403, 429 with Retry-After) where the server
    supports it, else with close code 1008 (which the server turns into a 403)."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(response)
    else:
        await websocket.close(code=WS_POLICY_VIOLATION)


async def _refuse(websocket: WebSocket, exc: IngestError) -> None:
    with contextlib.suppress(Exception):
        await websocket.send_text(
            orjson.dumps({"type": "error", "status": exc.http_status, "error": exc.reason}).decode()
        )
        await websocket.close(code=WS_POLICY_VIOLATION, reason=exc.metric_reason)
