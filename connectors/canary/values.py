"""One probe's synthetic values, the check for them in a record, and the request that carries them.

The e-mail's domain is under example.org (RFC 2606, reserved for examples) rather than .invalid:
Presidio's e-mail recognizer only accepts addresses under a public suffix, so an .invalid
address would never be redacted and every probe would report a leak.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson

from connectors.base import event_id_for
from connectors.sample import luhn_complete
from connectors.settings import IngestSettings
from connectors.traffic import (
    SignedRequest,
    http_request,
    messenger_request,
    slack_request,
    telegram_request,
    widget_request,
)
from schemas.raw import RawMessage

CHANNELS = ("http", "slack", "messenger", "telegram", "web")
DEFAULT_DOMAIN = "canary.chatguard.example.org"


@dataclass(frozen=True, slots=True)
class CanaryValues:
    """One probe's synthetic identifiers. ``token`` occurs only inside the e-mail address."""

    token: str
    email: str
    card: str
    message_id: str
    conversation_id: str
    sender_id: str

    @classmethod
    def generate(cls, domain: str = DEFAULT_DOMAIN) -> CanaryValues:
        token = secrets.token_hex(8)
        card = luhn_complete("4" + "".join(str(secrets.randbelow(10)) for _ in range(14)))
        return cls(
            token=token,
            email=f"canary-{token}@{domain}",
            card=card,
            message_id=f"canary-msg-{secrets.token_hex(12)}",
            conversation_id=f"canary-conv-{secrets.token_hex(6)}",
            sender_id=f"canary-sender-{secrets.token_hex(6)}",
        )

    @property
    def text(self) -> str:
        return f"Canary probe: please write to {self.email} and charge my card {self.card} today."

    def markers(self) -> dict[str, bytes]:
        """What must never appear downstream: the address, its random part, the card number."""
        return {"email": self.email.encode(), "email-token": self.token.encode(), "card": self.card.encode()}


def find_markers(value: bytes | None, markers: Mapping[str, bytes]) -> list[str]:
    """Names of the markers found in one record's bytes, raw or as JSON-escaped text."""
    if not value:
        return []
    found = [name for name, marker in markers.items() if marker in value]
    if len(found) < len(markers):
        # A JSON writer may escape characters ("\u0040" for "@"); compare the decoded text too.
        try:
            decoded = orjson.dumps(orjson.loads(value), option=orjson.OPT_SORT_KEYS)
        except orjson.JSONDecodeError:
            decoded = b""
        if decoded and decoded != value:
            found += [name for name, marker in markers.items() if name not in found and marker in decoded]
    return found


def build_request(channel: str, settings: IngestSettings, values: CanaryValues) -> tuple[SignedRequest, str]:
    """The signed webhook carrying the canary, and the event id the connectors will give it."""
    raw = RawMessage(
        event_id=values.message_id,
        channel=channel,
        channel_kind="private",
        conversation_id=values.conversation_id,
        sender_id=values.sender_id,
        sent_at="1970-01-01T00:00:00Z",  # unused by the builders: the platforms stamp their own
        text=values.text,
    )
    if channel == "http":
        secret = _need(settings.ingest_hmac_secret, "CHATGUARD_INGEST_HMAC_SECRET", channel)
        return http_request(secret, raw), event_id_for("http", raw.event_id)
    if channel == "slack":
        secret = _need(settings.slack_signing_secret, "CHATGUARD_SLACK_SIGNING_SECRET", channel)
        return slack_request(secret, raw), event_id_for("slack", "Ev" + raw.event_id[:12].upper())
    if channel == "messenger":
        secret = _need(settings.messenger_app_secret, "CHATGUARD_MESSENGER_APP_SECRET", channel)
        return messenger_request(secret, raw), event_id_for("messenger", "m_" + raw.event_id)
    if channel == "telegram":
        token = _need(settings.telegram_secret_token, "CHATGUARD_TELEGRAM_SECRET_TOKEN", channel)
        update_id = secrets.randbelow(2**52) + 1
        return telegram_request(token, raw, update_id=update_id), event_id_for("telegram", str(update_id))
    if channel == "web":
        keys = _need(settings.widget_site_keys, "CHATGUARD_WIDGET_SITE_KEYS", channel)
        return widget_request(sorted(keys)[0], raw), event_id_for("web", raw.event_id)
    raise ValueError(f"unknown channel {channel!r}; one of {', '.join(CHANNELS)}")


def _need(value: Any, name: str, channel: str) -> Any:
    if not value:
        raise ValueError(f"the {channel} channel needs {name}")
    return value
