"""The ingest service's settings: one frozen object from ``CHATGUARD_*`` environment variables.

A channel whose secret is unset is disabled; the service says so at start-up. A secret that is
set must follow schemas.secrets (16 characters or more, not only whitespace): a weak one stops
the service at start-up with an error naming the variable. ``repr`` never shows a secret.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Mapping

from schemas.kafka import KafkaSettings
from schemas.secrets import check_secret, masked_repr

# Fields that hold secrets: masked in repr.
SECRET_FIELDS = frozenset(
    {"slack_signing_secret", "messenger_app_secret", "messenger_verify_token", "telegram_secret_token",
     "ingest_hmac_secret", "widget_site_keys"}
)


@dataclass(frozen=True, slots=True)
class IngestSettings:
    kafka: KafkaSettings
    host: str = "127.0.0.1"
    port: int = 8080
    # /metrics is served on its own address and port, never on the public one above (0: not at all).
    metrics_host: str = "127.0.0.1"
    metrics_port: int = 9309
    body_limit: int = 256 * 1024
    ack_timeout_s: float = 2.5  # below Slack's 3 s so a slow Kafka gets a 503, not a timeout
    dedup_size: int = 100_000
    dedup_ttl_s: float = 3600.0
    slack_signing_secret: bytes | None = None
    messenger_app_secret: bytes | None = None
    messenger_verify_token: str | None = None
    telegram_secret_token: str | None = None
    ingest_hmac_secret: bytes | None = None
    widget_site_keys: frozenset[str] = frozenset()
    widget: WidgetSettings = field(default_factory=lambda: WidgetSettings())  # the widget's own settings, below

    def __repr__(self) -> str:
        return masked_repr(self, SECRET_FIELDS)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> IngestSettings:
        env = os.environ if environ is None else environ

        def text_secret(name: str) -> str | None:
            value = env.get(name)
            return check_secret(name, value) if value else None

        def secret(name: str) -> bytes | None:
            value = text_secret(name)
            return value.encode() if value else None

        return cls(
            kafka=KafkaSettings.from_env(env),
            host=env.get("CHATGUARD_INGEST_HOST", "127.0.0.1"),
            port=_int(env, "CHATGUARD_INGEST_PORT", 8080, 0, 65_535),
            metrics_host=env.get("CHATGUARD_INGEST_METRICS_HOST") or "127.0.0.1",
            metrics_port=_int(env, "CHATGUARD_INGEST_METRICS_PORT", 9309, 0, 65_535),
            body_limit=_int(env, "CHATGUARD_INGEST_BODY_LIMIT", 256 * 1024, 1024, 16 * 1024 * 1024),
            ack_timeout_s=_int(env, "CHATGUARD_INGEST_ACK_TIMEOUT_MS", 2500, 100, 60_000) / 1000,
            dedup_size=_int(env, "CHATGUARD_INGEST_DEDUP_SIZE", 100_000, 1, 10_000_000),
            dedup_ttl_s=float(_int(env, "CHATGUARD_INGEST_DEDUP_TTL_S", 3600, 1, 7 * 24 * 3600)),
            slack_signing_secret=secret("CHATGUARD_SLACK_SIGNING_SECRET"),
            messenger_app_secret=secret("CHATGUARD_MESSENGER_APP_SECRET"),
            messenger_verify_token=text_secret("CHATGUARD_MESSENGER_VERIFY_TOKEN"),
            telegram_secret_token=text_secret("CHATGUARD_TELEGRAM_SECRET_TOKEN"),
            ingest_hmac_secret=secret("CHATGUARD_INGEST_HMAC_SECRET"),
            widget_site_keys=(site_keys := frozenset(k.strip() for k in env.get("CHATGUARD_WIDGET_SITE_KEYS", "").split(",") if k.strip())),
            widget=WidgetSettings.from_env(env, site_keys),
        )


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise ValueError(f"{name}: must be an integer between {low} and {high}")
    return int(raw)


# -- the web widget ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class WidgetSettings:
    """The widget's settings besides its site keys (README, "Web widget"). Read only when the
    widget is enabled (CHATGUARD_WIDGET_SITE_KEYS set)."""

    # CHATGUARD_PSEUDONYM_KEY, the worker's: the widget derives the conversation pseudonym the
    # worker writes to chat.nlp, to find its visitors' redacted events. Required.
    pseudonym_key: bytes | None = None
    # CHATGUARD_WIDGET_TOKEN_SECRET signs conversation tokens; unset: derived from the pseudonym
    # key (HMAC with a label of its own). Set it to rotate tokens without touching pseudonyms.
    token_secret: bytes | None = None
    token_ttl_s: int = 900  # CHATGUARD_WIDGET_TOKEN_TTL_S: a token's life; the page renews it
    # CHATGUARD_WIDGET_ORIGINS: site key -> the page origins allowed to use it (besides the
    # service's own origin, which serves the demo page). "*" allows any origin.
    origins: Mapping[str, frozenset[str]] = field(default_factory=dict)
    key_rate_per_s: int = 100  # CHATGUARD_WIDGET_KEY_RATE: requests per second per site key ...
    key_burst: int = 500  # CHATGUARD_WIDGET_KEY_BURST: ... and the burst above it
    client_rate_per_s: int = 5  # CHATGUARD_WIDGET_CLIENT_RATE: per client address (or session)
    client_burst: int = 40  # CHATGUARD_WIDGET_CLIENT_BURST
    streams_per_client: int = 16  # CHATGUARD_WIDGET_STREAMS_PER_CLIENT: open event streams per address
    # CHATGUARD_WIDGET_TOKENLESS_POSTS (1/0): POST /widget/messages with the site key alone, for
    # server-side senders (chatguard traffic, the canary). Never into a session's conversation.
    tokenless_posts: bool = True

    def __repr__(self) -> str:
        return masked_repr(self, frozenset({"pseudonym_key", "token_secret", "origins"}))  # origins name site keys

    @classmethod
    def from_env(cls, env: Mapping[str, str], site_keys: frozenset[str]) -> WidgetSettings:
        if not site_keys:
            return cls()
        pseudonym_key = env.get("CHATGUARD_PSEUDONYM_KEY")
        if not pseudonym_key:
            raise ValueError(
                "CHATGUARD_PSEUDONYM_KEY: required when the widget is enabled (CHATGUARD_WIDGET_SITE_KEYS is set); "
                "set the worker's key: the widget finds its visitors' redacted events by the worker's pseudonyms"
            )
        token_secret = env.get("CHATGUARD_WIDGET_TOKEN_SECRET")
        tokenless = env.get("CHATGUARD_WIDGET_TOKENLESS_POSTS", "1").strip()
        if tokenless not in ("0", "1"):
            raise ValueError("CHATGUARD_WIDGET_TOKENLESS_POSTS: must be 1 or 0")
        return cls(
            pseudonym_key=check_secret("CHATGUARD_PSEUDONYM_KEY", pseudonym_key).encode(),
            token_secret=check_secret("CHATGUARD_WIDGET_TOKEN_SECRET", token_secret).encode() if token_secret else None,
            token_ttl_s=_int(env, "CHATGUARD_WIDGET_TOKEN_TTL_S", 900, 60, 24 * 3600),
            origins=parse_widget_origins(env.get("CHATGUARD_WIDGET_ORIGINS", ""), site_keys),
            key_rate_per_s=_int(env, "CHATGUARD_WIDGET_KEY_RATE", 100, 1, 1_000_000),
            key_burst=_int(env, "CHATGUARD_WIDGET_KEY_BURST", 500, 1, 10_000_000),
            client_rate_per_s=_int(env, "CHATGUARD_WIDGET_CLIENT_RATE", 5, 1, 1_000_000),
            client_burst=_int(env, "CHATGUARD_WIDGET_CLIENT_BURST", 40, 1, 10_000_000),
            streams_per_client=_int(env, "CHATGUARD_WIDGET_STREAMS_PER_CLIENT", 16, 1, 10_000),
            tokenless_posts=tokenless == "1",
        )


_ORIGIN = re.compile(r"https?://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:[0-9]{1,5})?")


def parse_widget_origins(raw: str, site_keys: frozenset[str]) -> dict[str, frozenset[str]]:
    """``CHATGUARD_WIDGET_ORIGINS``: ``KEY=ORIGIN,ORIGIN;KEY=ORIGIN`` where an origin is
    ``scheme://host[:port]`` (no path, no trailing slash), or ``*`` for any. A key must be one of
    CHATGUARD_WIDGET_SITE_KEYS; errors name the entry by position, never the key."""
    name = "CHATGUARD_WIDGET_ORIGINS"
    origins: dict[str, frozenset[str]] = {}
    for position, entry in enumerate((e.strip() for e in raw.split(";")), start=1):
        if not entry:
            continue
        key, sep, listed = entry.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ValueError(f"{name}: entry {position} must be SITE_KEY=ORIGIN[,ORIGIN...]")
        if key not in site_keys:
            raise ValueError(f"{name}: entry {position} names a site key that is not in CHATGUARD_WIDGET_SITE_KEYS")
        if key in origins:
            raise ValueError(f"{name}: entry {position} repeats a site key of an earlier entry")
        allowed = set()
        for origin in (o.strip() for o in listed.split(",")):
            if origin != "*" and not _ORIGIN.fullmatch(origin):
                raise ValueError(f"{name}: entry {position}: {origin[:80]!r} is not an origin (scheme://host[:port], or *)")
            allowed.add(origin.lower())
        origins[key] = frozenset(allowed)
    return origins
