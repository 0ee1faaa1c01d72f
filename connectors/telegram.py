"""Telegram Bot API webhooks: ``POST /webhooks/telegram``.

Telegram does not sign updates; ``setWebhook(secret_token=...)`` makes it send
  X-Telegram-Bot-Api-Secret-Token: <the secret>
on every request, compared here in constant time.

One update per request: ``{"update_id": int, "message": {...}}`` or another update kind.
Only ``message`` with ``text`` becomes a raw event, with ``update_id`` as the platform id:
Telegram resends an update until it gets a 2xx, always with the same ``update_id``, so the base
Ingest drops the repeats. Everything else is acknowledged and counted as ignored:
  - ``edited_message``: the edit of a message already written would be a second raw event
    for the same message (with its own update_id); kept simple, edits are not forwarded.
  - ``channel_post``, ``callback_query``, ``inline_query``, member updates, polls...
  - messages without text (photos, stickers, voice; captions are not taken either).
Profile fields (first_name, last_name, username, language_code, chat titles) are dropped.
"""

from __future__ import annotations

from typing import Any

from connectors.base import Channel, InboundMessage, Parsed, ReceivedRequest, require_str, rfc3339_from_unix
from connectors.errors import BadRequest
from connectors.signatures import require_equal

_MAX_DATE = 253_402_300_799  # 9999-12-31T23:59:59Z


class TelegramChannel(Channel):
    name = "telegram"
    kind = "public"
    path = "/webhooks/telegram"

    def __init__(self, secret_token: str) -> None:
        self._secret = secret_token

    def verify(self, request: ReceivedRequest) -> None:
        require_equal(
            self._secret, request.headers.get("x-telegram-bot-api-secret-token"), "X-Telegram-Bot-Api-Secret-Token"
        )

    def parse(self, request: ReceivedRequest, payload: Any) -> Parsed:
        if not isinstance(payload, dict):
            raise BadRequest("body must be a JSON object")
        update_id = payload.get("update_id")
        if not isinstance(update_id, int) or isinstance(update_id, bool):
            raise BadRequest("update_id missing or not an integer")
        message = payload.get("message")
        if message is None:
            return Parsed(ignored=1)  # edited_message, callback_query, channel_post, ...
        if not isinstance(message, dict):
            raise BadRequest("message not an object")
        text = message.get("text")
        if text is not None and not isinstance(text, str):
            raise BadRequest("message.text not a string")
        if not text:
            return Parsed(ignored=1)  # photo, sticker, voice, location, service message...
        date = message.get("date")
        if not isinstance(date, int) or isinstance(date, bool) or not 0 <= date <= _MAX_DATE:
            raise BadRequest("message.date missing or not Unix seconds")
        chat = message.get("chat")
        if not isinstance(chat, dict):
            raise BadRequest("message.chat missing or not an object")
        # "from" is absent only for messages sent on behalf of a chat; then sender_chat is the sender.
        sender = message.get("from") if "from" in message else message.get("sender_chat")
        return Parsed(
            messages=[
                InboundMessage(
                    platform_message_id=str(update_id),
                    conversation_id=require_str(chat, "id", "message.chat."),
                    sender_id=require_str(sender, "id", "message.from."),
                    sent_at=rfc3339_from_unix(date),
                    text=text,
                )
            ]
        )
