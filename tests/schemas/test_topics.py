"""Topic specs: the single place topic names and retention live."""

from __future__ import annotations

import pytest

from schemas import topics
from schemas.topics import (
    ANALYTICS,
    CLEAN_TOPICS,
    DESTINATIONS,
    NLP,
    POLICY,
    QUARANTINE,
    RAW,
    STORAGE,
    TopicSpec,
    all_topics,
)

HOUR = 60 * 60 * 1000


def test_names_unique_and_namespaced():
    names = [spec.name for spec in all_topics()]
    assert len(names) == len(set(names))
    assert all(name.startswith("chat.") for name in names)
    assert set(names) == {
        "chat.raw",
        "chat.analytics",
        "chat.storage",
        "chat.nlp",
        "chat.quarantine",
        "chat.erasure",
        "chat.audit",
        "chat.policy",
    }


def test_raw_retention_is_one_hour_by_default():
    assert RAW.name == "chat.raw"
    assert RAW.retention_ms == HOUR
    (raw,) = [s for s in all_topics() if s.name == "chat.raw"]
    assert raw.retention_ms == HOUR
    assert raw.topic_config()["retention.ms"] == "3600000"


@pytest.mark.parametrize("retention_ms", [60_000, 15 * 60_000, 2 * HOUR, 7 * 24 * HOUR])
def test_all_topics_applies_raw_retention_only_to_raw(retention_ms):
    specs = {s.name: s for s in all_topics(retention_ms)}
    assert specs["chat.raw"].retention_ms == retention_ms
    assert specs["chat.raw"].topic_config()["retention.ms"] == str(retention_ms)
    assert specs["chat.raw"].partitions == RAW.partitions
    for spec in (ANALYTICS, STORAGE, NLP, QUARANTINE):
        assert specs[spec.name] == spec
    assert RAW.retention_ms == HOUR  # the module constant is not changed


@pytest.mark.parametrize("retention_ms", [0, -1, -HOUR])
def test_all_topics_refuses_non_positive_retention(retention_ms):
    with pytest.raises(ValueError, match="raw_retention_ms"):
        all_topics(retention_ms)


def test_clean_topics_cover_every_destination():
    assert set(CLEAN_TOPICS) == {"analytics", "storage", "nlp"}
    assert tuple(CLEAN_TOPICS) == DESTINATIONS
    assert CLEAN_TOPICS["analytics"].name == "chat.analytics"
    assert CLEAN_TOPICS["storage"].name == "chat.storage"
    assert CLEAN_TOPICS["nlp"].name == "chat.nlp"
    assert RAW not in CLEAN_TOPICS.values() and QUARANTINE not in CLEAN_TOPICS.values()


def test_clean_topics_are_read_only():
    with pytest.raises(TypeError):
        CLEAN_TOPICS["billing"] = RAW  # type: ignore[index]


def test_raw_is_the_shortest_lived_topic():
    # Only chat.raw holds unredacted text: nothing else may be kept for a shorter time than it.
    assert all(spec.retention_ms >= RAW.retention_ms for spec in all_topics())
    assert all(spec.partitions >= 1 for spec in all_topics())


def test_topic_config_merges_extras():
    spec = TopicSpec("chat.x", 1, 1000, {"min.insync.replicas": "2"})
    assert spec.topic_config() == {"retention.ms": "1000", "min.insync.replicas": "2"}
    assert TopicSpec("chat.y", 1, 5).topic_config() == {"retention.ms": "5"}


def test_day_and_hour_constants():
    assert topics.HOUR_MS == HOUR
    assert topics.DAY_MS == 24 * HOUR


def test_the_policy_topic_keeps_the_latest_document():
    # One partition (one order of versions), compacted under one key: the latest record is the policy.
    from schemas.policy import POLICY_KEY

    assert POLICY.name == "chat.policy"
    assert POLICY.partitions == 1
    assert POLICY.topic_config()["cleanup.policy"] == "compact"
    assert POLICY in all_topics() and POLICY not in CLEAN_TOPICS.values()
    assert POLICY_KEY == b"current"
