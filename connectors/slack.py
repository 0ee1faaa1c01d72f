"""Slack Events API: ``POST /webhooks/slack``.

Every request Slack sends is signed (https://api.slack.com/authentication/verifying-requests-from-slack):
  X-Slack-Request-Timestamp: Unix seconds; more than 5 minutes from our clock is refused (replay)
  X-Slack-Signature: v0=<hex HMAC-SHA256(signing secret, "v0:" + timestamp + ":" + raw body)>
The ``url_verification`` handshake is signed too, so it is answered only after the check.

Only plain user messages (``event_callback`` with ``event.type == "message"`` and no subtype)
become raw events; edits, deletions, joins, bot posts, reactions and every other event are
acknowledged and counted as ignored. Slack retries (X-Slack-Retry-Num) carry the same
``event_id``, which is the platform message id, so the base Ingest drops them as duplicates.
Slack wants an answer within 3 s; the Ingest answers 503 after its 2.5 s ack timeout instead.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Any

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
_TS = re.compile(r"\d{1,10}(\.\d{1,9})?")  # Slack's "1355517523.000005"


def slack_signature(signing_secret: bytes, timestamp: str, body: bytes) -> str:
    """The X-Slack-Signature value Slack sends for this timestamp and raw body."""
    return "v0=" + hmac_sha256_hex(signing_secret, b"v0:" + timestamp.encode() + b":" + body)


class SlackChannel(Channel):
    name = "slack"
    kind = "public"
    path = "/webhooks/slack"

    def __init__(self, signing_secret: bytes, clock: Callable[[], float] = time.time) -> None:
        self._secret = signing_secret
        self._clock = clock

    def verify(self, request: ReceivedRequest) -> None:
        # A missing header reads as "", which require_fresh refuses exactly as it did None.
        timestamp = request.headers.get("x-slack-request-timestamp", "")
        require_fresh(timestamp, MAX_AGE_S, now=self._clock(), what="X-Slack-Request-Timestamp")
        expected = slack_signature(self._secret, timestamp, request.body)
        require_equal(expected, request.headers.get("x-slack-signature"), "X-Slack-Signature")

    def parse(self, request: ReceivedRequest, payload: Any) -> Parsed:
        if not isinstance(payload, dict):
            raise BadRequest("body must be a JSON object")
        kind = require_str(payload, "type", "")
        if kind == "url_verification":
            return Parsed(reply=JSONResponse({"challenge": require_str(payload, "challenge", "")}))
        if kind != "event_callback":
            return Parsed(ignored=1)  # app_rate_limited and whatever Slack adds later
        event = payload.get("event")
        if not isinstance(event, dict):
            raise BadRequest("event missing or not an object")
        if event.get("type") != "message" or "subtype" in event or "bot_id" in event:
            # Subtypes are edits, deletions, joins, bot posts, channel topic changes...; a
            # message with a bot_id but no subtype is an app posting as itself.
            return Parsed(ignored=1)
        text = event.get("text")
        if text is not None and not isinstance(text, str):
            raise BadRequest("event.text not a string")
        if not text:
            return Parsed(ignored=1)  # files or blocks only: no chat text to redact
        team_id = require_str(payload, "team_id", "")
        ts = require_str(event, "ts", "event.")
        if not _TS.fullmatch(ts):
            raise BadRequest("event.ts not Unix seconds")
        # Minimisation: the envelope's event_id, team, channel, user, ts and text; nothing else
        # (no blocks, attachments, user profiles, authorizations, enterprise ids...).
        return Parsed(
            messages=[
                InboundMessage(
                    platform_message_id=require_str(payload, "event_id", ""),
                    conversation_id=f"{team_id}:{require_str(event, 'channel', 'event.')}",
                    sender_id=f"{team_id}:{require_str(event, 'user', 'event.')}",
                    sent_at=rfc3339_from_unix(float(ts)),
                    text=text,
                )
            ]
        )
