"""The ingest service's settings: one frozen object from ``CHATGUARD_*`` environment variables,
each declared once (runtime/settings.py).

A channel whose secret is unset is disabled; the service says so at start-up. A secret that is
set must follow runtime.secrets: a weak one stops the service at start-up with an error naming
the variable. ``repr`` never shows a secret.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from runtime.kafka import KafkaSettings
from runtime.settings import load, masked_repr, nested, pseudonym_key_setting, setting
from schemas.errors import ConfigError

_CHANNEL_SECRET = "; a channel whose secret is unset is disabled (see Channels)"


def _site_keys(raw: str) -> frozenset[str]:
    return frozenset(k.strip() for k in raw.split(",") if k.strip())


_ORIGIN = re.compile(r"https?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?")
_ORIGINS = "CHATGUARD_WIDGET_ORIGINS"


def parse_widget_origins(raw: str, site_keys: frozenset[str] | None = None) -> dict[str, frozenset[str]]:
    """``CHATGUARD_WIDGET_ORIGINS``: ``KEY=ORIGIN,ORIGIN;KEY=ORIGIN`` where an origin is
    ``scheme://host[:port]`` (no path, no trailing slash), or ``*`` for any. With ``site_keys``,
    a key must be one of them. Errors name the entry by position, never the key."""
    origins: dict[str, frozenset[str]] = {}
    for position, entry in enumerate((e.strip() for e in raw.split(";")), start=1):
        if not entry:
            continue
        key, sep, listed = entry.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ValueError(f"{_ORIGINS}: entry {position} must be SITE_KEY=ORIGIN[,ORIGIN...]")
        if site_keys is not None and key not in site_keys:
            raise ValueError(f"{_ORIGINS}: entry {position} names a site key that is not in CHATGUARD_WIDGET_SITE_KEYS")
        if key in origins:
            raise ValueError(f"{_ORIGINS}: entry {position} repeats a site key of an earlier entry")
        allowed = set()
        for origin in (o.strip() for o in listed.split(",")):
            if origin != "*" and not _ORIGIN.fullmatch(origin):
                raise ValueError(
                    f"{_ORIGINS}: entry {position}: {origin[:80]!r} is not an origin (scheme://host[:port], or *)"
                )
            allowed.add(origin.lower())
        origins[key] = frozenset(allowed)
    return origins


@dataclass(frozen=True, slots=True)
class WidgetSettings:
    """The web widget's settings besides its site keys (README, "Web widget"); checked when the
    widget is enabled (CHATGUARD_WIDGET_SITE_KEYS set)."""

    # The worker's key: the widget derives the conversation pseudonym the worker writes to
    # chat.nlp, to find its visitors' redacted events.
    pseudonym_key: bytes | None = pseudonym_key_setting()
    token_secret: bytes | None = setting(
        "CHATGUARD_WIDGET_TOKEN_SECRET",
        None,
        "signs the widget's conversation tokens; unset: derived from the pseudonym key (HMAC with a label "
        "of its own). Set it to rotate tokens without touching pseudonyms",
        secret=True,
        shown_default="derived",
    )
    token_ttl_s: int = setting(
        "CHATGUARD_WIDGET_TOKEN_TTL_S", 900, "a widget token's life; the page renews it", low=60, high=24 * 3600
    )
    origins: Mapping[str, frozenset[str]] = setting(
        _ORIGINS,
        {},
        "`KEY=ORIGIN,ORIGIN;KEY=ORIGIN`: the page origins allowed to use each site key, besides the service's "
        "own (the demo page); `*` allows any",
        secret=True,
        strong=False,
        parse=parse_widget_origins,  # masked: it names site keys
    )
    key_rate_per_s: int = setting(
        "CHATGUARD_WIDGET_KEY_RATE", 100, "widget requests per second per site key", low=1, high=1_000_000
    )
    key_burst: int = setting("CHATGUARD_WIDGET_KEY_BURST", 500, "... and the burst above it", low=1, high=10_000_000)
    client_rate_per_s: int = setting(
        "CHATGUARD_WIDGET_CLIENT_RATE",
        5,
        "widget requests per second per client address (or session)",
        low=1,
        high=1_000_000,
    )
    client_burst: int = setting(
        "CHATGUARD_WIDGET_CLIENT_BURST", 40, "... and the burst above it", low=1, high=10_000_000
    )
    streams_per_client: int = setting(
        "CHATGUARD_WIDGET_STREAMS_PER_CLIENT", 16, "open widget event streams per client address", low=1, high=10_000
    )
    tokenless_posts: bool = setting(
        "CHATGUARD_WIDGET_TOKENLESS_POSTS",
        True,
        "`POST /widget/messages` with the site key alone, for server-side senders (`chatguard traffic`, the "
        "canary); never into a session's conversation. `0` turns it off",
    )

    def __repr__(self) -> str:
        return masked_repr(self)


@dataclass(frozen=True, slots=True)
class IngestSettings:
    kafka: KafkaSettings = nested(KafkaSettings)
    host: str = setting("CHATGUARD_INGEST_HOST", "127.0.0.1", "where the ingest service listens")
    port: int = setting("CHATGUARD_INGEST_PORT", 8080, "the ingest service's port", low=0, high=65_535)
    metrics_host: str = setting(
        "CHATGUARD_INGEST_METRICS_HOST",
        "127.0.0.1",
        "where the ingest service serves `/metrics`, never on the public port. In a pod or container "
        "`0.0.0.0`, so Prometheus reaches it (the Service exposes only 8080)",
    )
    metrics_port: int = setting(
        "CHATGUARD_INGEST_METRICS_PORT", 9309, "the ingest metrics port (`0` disables it)", low=0, high=65_535
    )
    body_limit: int = setting(
        "CHATGUARD_INGEST_BODY_LIMIT",
        256 * 1024,
        "largest request body, before and after decompression (413 above)",
        low=1024,
        high=16 * 1024 * 1024,
    )
    # Below Slack's 3 s, so a slow Kafka gets a 503, not a timeout.
    ack_timeout_ms: int = setting(
        "CHATGUARD_INGEST_ACK_TIMEOUT_MS",
        2500,
        "longest wait for Kafka's acknowledgement before answering 503",
        low=100,
        high=60_000,
    )
    dedup_size: int = setting(
        "CHATGUARD_INGEST_DEDUP_SIZE",
        100_000,
        "messages in the seen-message window (see Channels)",
        low=1,
        high=10_000_000,
    )
    dedup_ttl_s: int = setting(
        "CHATGUARD_INGEST_DEDUP_TTL_S",
        3600,
        "seconds a message stays in the seen-message window",
        low=1,
        high=7 * 24 * 3600,
    )
    slack_signing_secret: bytes | None = setting(
        "CHATGUARD_SLACK_SIGNING_SECRET", None, "Slack's signing secret" + _CHANNEL_SECRET, secret=True
    )
    messenger_app_secret: bytes | None = setting(
        "CHATGUARD_MESSENGER_APP_SECRET", None, "the Meta app secret (Messenger)" + _CHANNEL_SECRET, secret=True
    )
    messenger_verify_token: str | None = setting(
        "CHATGUARD_MESSENGER_VERIFY_TOKEN", None, "Messenger's webhook verify token", secret=True
    )
    telegram_secret_token: str | None = setting(
        "CHATGUARD_TELEGRAM_SECRET_TOKEN",
        None,
        "the secret token given to Telegram's setWebhook" + _CHANNEL_SECRET,
        secret=True,
    )
    ingest_hmac_secret: bytes | None = setting(
        "CHATGUARD_INGEST_HMAC_SECRET",
        None,
        "signs the generic HTTP channel and the mobile apps" + _CHANNEL_SECRET,
        secret=True,
    )
    widget_site_keys: frozenset[str] = setting(
        "CHATGUARD_WIDGET_SITE_KEYS",
        frozenset(),
        "the web widget's site keys, comma-separated" + _CHANNEL_SECRET,
        secret=True,
        strong=False,
        parse=_site_keys,
    )
    widget: WidgetSettings = nested(WidgetSettings)

    @property
    def ack_timeout_s(self) -> float:
        return self.ack_timeout_ms / 1000

    def __repr__(self) -> str:
        return masked_repr(self)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> IngestSettings:
        env = os.environ if environ is None else environ
        settings = load(cls, env)
        if settings.widget_site_keys:
            if settings.widget.pseudonym_key is None:
                raise ConfigError(
                    "CHATGUARD_PSEUDONYM_KEY: required when the widget is enabled (CHATGUARD_WIDGET_SITE_KEYS is set); "
                    "set the worker's key: the widget finds its visitors' redacted events by the worker's pseudonyms"
                )
            for position, key in enumerate(settings.widget.origins, start=1):
                if key not in settings.widget_site_keys:
                    raise ConfigError(
                        f"{_ORIGINS}: entry {position} names a site key that is not in CHATGUARD_WIDGET_SITE_KEYS"
                    )
        return settings
