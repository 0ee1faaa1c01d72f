"""Facebook Messenger (Meta Webhooks for a Page): ``GET`` and ``POST /webhooks/messenger``.

GET is Meta's subscription handshake: ``hub.mode=subscribe``, ``hub.verify_token`` (the token
configured in the app dashboard) and ``hub.challenge``, which is echoed back as text/plain.

POST carries events, signed
  X-Hub-Signature-256: sha256=<hex HMAC-SHA256(app secret, raw body)>
and batched: ``{"object": "page", "entry": [{"id": PAGE_ID, "messaging": [event, ...]}, ...]}``.
Only text messages a person sent become raw events; echoes of the Page's own messages,
deliveries, reads, postbacks, reactions and attachments without text are counted as ignored.
Meta redelivers until it gets a 200, with the same ``message.mid``, so redeliveries are
dropped as duplicates by the base Ingest. The answer is ``EVENT_RECEIVED`` as Meta documents.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from connectors.base import (
    Channel,
    InboundMessage,
    Ingest,
    Parsed,
    ReceivedRequest,
    error_response,
    require_str,
    rfc3339_from_unix,
)
from connectors.errors import BadRequest, Forbidden, IngestError
from connectors.signatures import hmac_sha256_hex, require_equal

MAX_CHALLENGE_LENGTH = 256
_MAX_MS = 253_402_300_799_999  # 9999-12-31T23:59:59.999Z


class MessengerChannel(Channel):
    name = "messenger"
    kind = "public"
    path = "/webhooks/messenger"

    def __init__(self, app_secret: bytes, verify_token: str) -> None:
        self._secret = app_secret
        self._verify_token = verify_token.encode()

    # -- GET: the subscription handshake -------------------------------------------------

    def subscribe(self, query: Mapping[str, str]) -> Response:
        """Answer Meta's verification request, or raise Forbidden/BadRequest."""
        if query.get("hub.mode") != "subscribe":
            raise Forbidden("hub.mode must be subscribe")
        token = query.get("hub.verify_token")
        if not token or not hmac.compare_digest(self._verify_token, token.encode()):
            raise Forbidden("hub.verify_token missing or wrong", "bad_verify_token")
        challenge = query.get("hub.challenge")
        if not challenge or len(challenge) > MAX_CHALLENGE_LENGTH:
            raise BadRequest(f"hub.challenge missing or longer than {MAX_CHALLENGE_LENGTH} characters")
        return PlainTextResponse(challenge, headers={"X-Content-Type-Options": "nosniff"})

    def routes(self, ingest: Ingest) -> list[BaseRoute]:
        async def verification(request: Request) -> Response:
            try:
                response = self.subscribe(request.query_params)
            except IngestError as exc:
                ingest.metrics.rejections.labels(self.name, exc.metric_reason).inc()
                response = error_response(exc)
            ingest.metrics.requests.labels(self.name, str(response.status_code)).inc()
            return response

        return [Route(self.path, verification, methods=["GET"])]

    # -- POST: events ----------------------------------------------------------------------

    def verify(self, request: ReceivedRequest) -> None:
        expected = "sha256=" + hmac_sha256_hex(self._secret, request.body)
        require_equal(expected, request.headers.get("x-hub-signature-256"), "X-Hub-Signature-256")

    def parse(self, request: ReceivedRequest, payload: Any) -> Parsed:
        if not isinstance(payload, dict):
            raise BadRequest("body must be a JSON object")
        if payload.get("object") != "page":
            raise BadRequest("object must be page")
        entries = payload.get("entry")
        if not isinstance(entries, list):
            raise BadRequest("entry missing or not a list")
        messages: list[InboundMessage] = []
        ignored = 0
        for i, entry in enumerate(entries):
            where = f"entry[{i}]."
            if not isinstance(entry, dict):
                raise BadRequest(f"entry[{i}] not an object")
            page_id = require_str(entry, "id", where)
            events = entry.get("messaging")
            if events is None:
                ignored += 1  # "standby" (handover protocol), "changes" (page feed): not ours
                continue
            if not isinstance(events, list):
                raise BadRequest(f"{where}messaging not a list")
            for j, event in enumerate(events):
                message = _message(page_id, event, f"{where}messaging[{j}].")
                if message is None:
                    ignored += 1
                else:
                    messages.append(message)
        return Parsed(messages=messages, ignored=ignored)

    def accepted(self, event_ids: list[str]) -> Response:
        return PlainTextResponse("EVENT_RECEIVED", status_code=200)


def _message(page_id: str, event: Any, where: str) -> InboundMessage | None:
    """The minimised message in one messaging event, or None when it is not a person's text."""
    if not isinstance(event, dict):
        raise BadRequest(f"{where[:-1]} not an object")
    message = event.get("message")
    if message is None:
        return None  # delivery, read, postback, reaction, referral, optin...
    if not isinstance(message, dict):
        raise BadRequest(f"{where}message not an object")
    if message.get("is_echo"):
        return None  # the Page's own message, sent back to us
    text = message.get("text")
    if text is not None and not isinstance(text, str):
        raise BadRequest(f"{where}message.text not a string")
    if not text:
        return None  # attachments only (images, stickers, locations)
    timestamp = event.get("timestamp")
    if not isinstance(timestamp, int) or isinstance(timestamp, bool) or not 0 <= timestamp <= _MAX_MS:
        raise BadRequest(f"{where}timestamp missing or not Unix milliseconds")
    sender_id = require_str(event.get("sender"), "id", f"{where}sender.")
    # Minimisation: mid, page, sender, time and text; attachments, quick replies, NLP
    # entities, reply_to and referral data are dropped here.
    return InboundMessage(
        platform_message_id=require_str(message, "mid", f"{where}message."),
        conversation_id=f"{page_id}:{sender_id}",
        sender_id=sender_id,
        sent_at=rfc3339_from_unix(timestamp / 1000),
        text=text,
    )
