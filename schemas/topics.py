"""Every Kafka topic chatguard uses, with its settings. The only place topic names are spelled."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

HOUR_MS = 60 * 60 * 1000
DAY_MS = 24 * HOUR_MS

# Partitions bound how many workers share the load: one worker process per core, at most one
# worker per partition. 6 covers three 2-core hosts; raise it before a topic holds data.
DEFAULT_PARTITIONS = 6


@dataclass(frozen=True, slots=True)
class TopicSpec:
    name: str
    partitions: int
    retention_ms: int
    # Extra broker-side topic configs (``min.insync.replicas`` and the like).
    config: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))

    def topic_config(self) -> dict[str, str]:
        return {"retention.ms": str(self.retention_ms), **self.config}


# Restricted: the only topic that ever holds unredacted text. Short retention so raw text
# does not outlive the time needed to reprocess it after a worker failure.
RAW = TopicSpec("chat.raw", DEFAULT_PARTITIONS, retention_ms=HOUR_MS)

# Clean topics: redacted events only, one per destination policy.
ANALYTICS = TopicSpec("chat.analytics", DEFAULT_PARTITIONS, retention_ms=7 * DAY_MS)
STORAGE = TopicSpec("chat.storage", DEFAULT_PARTITIONS, retention_ms=7 * DAY_MS)
NLP = TopicSpec("chat.nlp", DEFAULT_PARTITIONS, retention_ms=7 * DAY_MS)

# Events held back because detection failed: ids, channel and error class only, never text.
QUARANTINE = TopicSpec("chat.quarantine", 1, retention_ms=7 * DAY_MS)

# Erasure notices: the keyed pseudonym of each data subject whose vault key was destroyed
# (``chatguard erase``), so stores of the clean topics drop that pseudonym's records. Compacted:
# the latest notice per pseudonym stays for as long as the topic exists. Never an identifier.
ERASURE = TopicSpec(
    "chat.erasure", 1, retention_ms=365 * DAY_MS, config=MappingProxyType({"cleanup.policy": "compact"})
)

# The detection policy (schemas/policy.py): PolicyDocument records, all under one key
# (schemas.policy.POLICY_KEY), so the latest record is the active policy and compaction keeps it.
# Written by the console (approved versions) and `chatguard policy publish`; every worker reads it
# from the beginning at start and follows it while running. A tombstone withdraws the published
# policy: workers return to their policy file.
POLICY = TopicSpec("chat.policy", 1, retention_ms=365 * DAY_MS, config=MappingProxyType({"cleanup.policy": "compact"}))

# The audit log, copied entry by entry for a SIEM (console/audit_relay.py), keyed by ``seq``, in
# order on one partition. Refs, pseudonyms, actors and reasons: never a value.
AUDIT = TopicSpec("chat.audit", 1, retention_ms=90 * DAY_MS)

# Destination name (the policy that produces it) -> its clean topic.
CLEAN_TOPICS: Mapping[str, TopicSpec] = MappingProxyType({"analytics": ANALYTICS, "storage": STORAGE, "nlp": NLP})
DESTINATIONS: tuple[str, ...] = tuple(CLEAN_TOPICS)


def all_topics(raw_retention_ms: int = HOUR_MS) -> tuple[TopicSpec, ...]:
    """Every topic, with ``chat.raw``'s retention as configured."""
    if raw_retention_ms <= 0:
        raise ValueError("raw_retention_ms: must be positive")
    raw = TopicSpec(RAW.name, RAW.partitions, raw_retention_ms, RAW.config)
    return (raw, *CLEAN_TOPICS.values(), QUARANTINE, ERASURE, POLICY, AUDIT)
