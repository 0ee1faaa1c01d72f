"""A secure form sent on a person's request (the console's contest winners): the vault finds where
the sender can be reached (``vault.replies``), issues the form and hands its link to the bot's
webhook, which posts it into the conversation.

The person who asked never sees the link: it is the sender's credential (and it pre-fills the
sender's own values in a private channel). If the bot does not take it, the form is withdrawn, so
no usable link is left anywhere.

The call and its signature are the contract in ``schemas.bot_webhook``.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import httpx
import orjson

from schemas.bot_webhook import SIGNATURE_HEADER, sign
from schemas.raw import ChannelKind
from vault.errors import BotRefused
from vault.forms.requests import FormRequest
from vault.forms.store import FormStore, form_link

log = logging.getLogger("chatguard.forms")


class BotWebhook:
    """Posts one link to the bot; returns once the bot answered 2xx within ``timeout_s`` in all,
    raises BotRefused otherwise (the caller withdraws the form: a link that may have arrived late
    stops working rather than leaving the person unsure whether it went out)."""

    def __init__(self, url: str, secret: bytes, timeout_s: float = 5.0, clock: Callable[[], float] = time.time):
        self._url, self._secret, self._timeout, self._clock = url, secret, timeout_s, clock

    def __repr__(self) -> str:
        return f"BotWebhook({self._url!r}, secret=***)"

    def __call__(self, payload: dict[str, Any]) -> None:
        body = orjson.dumps(payload)
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: sign(self._secret, body, int(self._clock())),
        }
        try:
            status = asyncio.run(asyncio.wait_for(self._post(body, headers), self._timeout))
        except TimeoutError:
            raise BotRefused(
                f"the bot's webhook took over {self._timeout:g} s to answer: the form was withdrawn"
            ) from None
        except Exception as exc:  # refused, reset, a URL httpx cannot use: all "not delivered"
            raise BotRefused(
                f"the bot's webhook did not answer ({type(exc).__name__}): the form was withdrawn"
            ) from None
        if not 200 <= status < 300:
            raise BotRefused(f"the bot's webhook answered {status}: the form was withdrawn")

    async def _post(self, body: bytes, headers: dict[str, str]) -> int:
        # No redirects: a Location elsewhere must not receive the link. Only the status is read;
        # wait_for cuts the whole call at the deadline, however slowly the bot sends its answer.
        async with (
            httpx.AsyncClient(timeout=self._timeout, follow_redirects=False) as client,
            client.stream("POST", self._url, content=body, headers=headers) as answer,
        ):
            return answer.status_code


@dataclass(frozen=True, slots=True)
class Sent:
    form_id: str
    expires_at: int
    channel: str
    channel_kind: str


def send_form(
    store: FormStore,
    deliver: Callable[[dict[str, Any]], None],
    base_url: str,
    subject: str,
    conversation: str,
    fields: tuple[str, ...],
    actor: str,
) -> Sent:
    """Issue a form for ``subject`` in ``conversation`` and hand its link to ``deliver``. Pre-filled
    (on the sender's button) only in a private channel, where the link reaches them alone."""
    address = store.reply_address(subject, conversation)
    request = FormRequest(
        address.channel, cast(ChannelKind, address.channel_kind), address.conversation_id, address.sender_id, fields,
        prefill=address.channel_kind == "private",
    )  # fmt: skip
    issued = store.issue(request, actor=actor)
    payload = {
        "type": "secure_form",
        "form_id": issued.form_id,
        "channel": address.channel,
        "channel_kind": address.channel_kind,
        "conversation_id": address.conversation_id,
        "sender_id": address.sender_id,
        # A link in a public channel is read by everyone there: the bot sends it to the sender alone.
        "post_to": "conversation" if address.channel_kind == "private" else "sender",
        "fields": list(fields),
        "url": form_link(base_url, issued.token),
        "expires_at": issued.expires_at,
    }
    try:
        deliver(payload)
    except BaseException as exc:
        if store.withdraw(issued.form_id, actor, f"not delivered: {getattr(exc, 'metric_reason', 'error')}"):
            raise
        # The winner submitted it while the bot's answer failed: the link did arrive.
        log.info("form %s: the bot's answer failed, but the form was submitted already", issued.form_id)
    log.info("form %s sent through the bot for %s", issued.form_id, actor)
    return Sent(issued.form_id, issued.expires_at, address.channel, address.channel_kind)
