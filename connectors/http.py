"""Generic HTTP ingest for mobile apps and other bots: ``POST /ingest``, HMAC-signed.

Scheme (documented in the README, with a curl + openssl example):
  X-Chatguard-Timestamp: Unix seconds, within 5 minutes of the server's clock
  X-Chatguard-Signature: v1=<hex HMAC-SHA256(secret, "v1:" + timestamp + ":" + raw body)>
Body: {"message_id", "conversation_id", "sender_id", "text", optional "sent_at" (RFC 3339)}
or {"messages": [up to 100 of those]}.
"""

from __future__ import annotations

import re
import time
from typing import Any

from starlette.responses import Response

from connectors.base import (
    Channel,
    InboundMessage,
    JSONResponse,
    Parsed,
    ReceivedRequest,
    require_str,
    rfc3339_from_unix,
)
from connectors.errors import BadRequest
from connectors.signatures import hmac_sha256_hex, require_equal, require_fresh

MAX_AGE_S = 300
MAX_MESSAGES = 100
MAX_SKEW_S = 300  # clocks differ; more than this ahead is not a clock
_FIELDS = frozenset({"message_id", "conversation_id", "sender_id", "text", "sent_at"})


def http_signature(secret: bytes, timestamp: str, body: bytes) -> str:
    """The X-Chatguard-Signature value for this timestamp and raw body."""
    return "v1=" + hmac_sha256_hex(secret, b"v1:" + timestamp.encode() + b":" + body)


class HttpChannel(Channel):
    name = "http"
    kind = "private"
    path = "/ingest"

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def verify(self, request: ReceivedRequest) -> None:
        # A missing header reads as "", which require_fresh refuses exactly as it did None.
        timestamp = request.headers.get("x-chatguard-timestamp", "")
        require_fresh(timestamp, MAX_AGE_S)
        expected = http_signature(self._secret, timestamp, request.body)
        require_equal(expected, request.headers.get("x-chatguard-signature"), "X-Chatguard-Signature")

    def parse(self, request: ReceivedRequest, payload: Any) -> Parsed:
        if not isinstance(payload, dict):
            raise BadRequest("body must be a JSON object")
        items = payload.get("messages", [payload]) if "messages" in payload else [payload]
        if not isinstance(items, list) or not 1 <= len(items) <= MAX_MESSAGES:
            raise BadRequest(f"messages must be a list of 1 to {MAX_MESSAGES} objects")
        return Parsed(messages=[self._message(item, i) for i, item in enumerate(items)])

    @staticmethod
    def _message(item: Any, index: int) -> InboundMessage:
        where = f"messages[{index}]." if index else ""
        if not isinstance(item, dict):
            raise BadRequest(f"{where or 'message '}must be a JSON object")
        unknown = [k for k in item if k not in _FIELDS]
        if unknown:
            # Data minimisation: anything beyond the contract is refused, not silently carried.
            raise BadRequest(
                f"{where}unknown field" + (f" {unknown[0]}" if re.fullmatch(r"\w{1,40}", unknown[0]) else "")
            )
        sent_at = item.get("sent_at") or rfc3339_from_unix(time.time())
        if isinstance(sent_at, str) and _in_the_future(sent_at):
            # An erasure holds for what was sent before it: a time to come would slip past it.
            raise BadRequest(f"{where}sent_at: more than {MAX_SKEW_S // 60} minutes in the future")
        return InboundMessage(
            platform_message_id=require_str(item, "message_id", where),
            conversation_id=require_str(item, "conversation_id", where),
            sender_id=require_str(item, "sender_id", where),
            sent_at=sent_at if isinstance(sent_at, str) else "",
            text=require_str(item, "text", where, allow_number=False),
        )

    def accepted(self, event_ids: list[str]) -> Response:
        return JSONResponse({"accepted": len(event_ids), "event_ids": event_ids}, status_code=202)


def _in_the_future(sent_at: str) -> bool:
    from datetime import datetime

    try:
        when = datetime.fromisoformat(sent_at.upper())
    except ValueError:
        return False  # not a date-time at all: the schema check names it
    if when.tzinfo is None:
        return False
    return when.timestamp() > time.time() + MAX_SKEW_S
