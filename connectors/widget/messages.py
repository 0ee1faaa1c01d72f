"""One widget message, a ``POST /widget/messages`` body or a WebSocket frame: checked and minimised.

With a conversation token, ``{"message_id", "text"}`` (``conversation_id``, if sent, must be the
token's: 403 otherwise); the sender is the session's visitor. Without one (server-side senders
only), ``{"message_id", "conversation_id", "sender_id", "text"}``, and the conversation may not
be a session's (401). ``message_id`` must look random (16 to 128 characters of ``[A-Za-z0-9_-]``):
the event id, and so dedup, is derived from it. ``sent_at`` is the server's clock.
"""

from __future__ import annotations

import re
import time
from typing import Any

from connectors.base import InboundMessage, rfc3339_from_unix
from connectors.errors import BadRequest, Forbidden, Unauthorized
from connectors.widget.guard import CONVERSATION_PREFIX, Claims

MESSAGE_ID = re.compile(r"[A-Za-z0-9_-]{16,128}")
_ID_RULE = "must be 16 to 128 characters of A-Z, a-z, 0-9, - or _ (a random id)"
_FIELDS = frozenset({"message_id", "conversation_id", "sender_id", "text"})
_SESSION_FIELDS = frozenset({"message_id", "conversation_id", "text"})


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
    if not MESSAGE_ID.fullmatch(message_id):
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
            raise Unauthorized(
                "this conversation is a widget session's: send its token (Authorization: Bearer)", "missing_token"
            )
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
