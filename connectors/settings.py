"""The ingest service's settings: one frozen object from ``CHATGUARD_*`` environment variables.

A channel whose secret is unset is disabled; the service says so at start-up.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Mapping

from schemas.kafka import KafkaSettings


@dataclass(frozen=True, slots=True)
class IngestSettings:
    kafka: KafkaSettings
    host: str = "127.0.0.1"
    port: int = 8080
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

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> IngestSettings:
        env = os.environ if environ is None else environ

        def secret(name: str) -> bytes | None:
            value = env.get(name)
            return value.encode() if value else None

        return cls(
            kafka=KafkaSettings.from_env(env),
            host=env.get("CHATGUARD_INGEST_HOST", "127.0.0.1"),
            port=_int(env, "CHATGUARD_INGEST_PORT", 8080, 0, 65_535),
            body_limit=_int(env, "CHATGUARD_INGEST_BODY_LIMIT", 256 * 1024, 1024, 16 * 1024 * 1024),
            ack_timeout_s=_int(env, "CHATGUARD_INGEST_ACK_TIMEOUT_MS", 2500, 100, 60_000) / 1000,
            dedup_size=_int(env, "CHATGUARD_INGEST_DEDUP_SIZE", 100_000, 1, 10_000_000),
            dedup_ttl_s=float(_int(env, "CHATGUARD_INGEST_DEDUP_TTL_S", 3600, 1, 7 * 24 * 3600)),
            slack_signing_secret=secret("CHATGUARD_SLACK_SIGNING_SECRET"),
            messenger_app_secret=secret("CHATGUARD_MESSENGER_APP_SECRET"),
            messenger_verify_token=env.get("CHATGUARD_MESSENGER_VERIFY_TOKEN") or None,
            telegram_secret_token=env.get("CHATGUARD_TELEGRAM_SECRET_TOKEN") or None,
            ingest_hmac_secret=secret("CHATGUARD_INGEST_HMAC_SECRET"),
            widget_site_keys=frozenset(k.strip() for k in env.get("CHATGUARD_WIDGET_SITE_KEYS", "").split(",") if k.strip()),
        )


def _int(env: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()) or not low <= int(raw) <= high:
        raise ValueError(f"{name}: must be an integer between {low} and {high}")
    return int(raw)
