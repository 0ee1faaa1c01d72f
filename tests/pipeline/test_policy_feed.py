"""Policy versions in the worker (pipeline/policy_feed.py, the worker's batch boundary, the detection
process) and ``chatguard policy``, without a broker; tests/integration/test_policy_topic.py runs
them against a real one with a real worker."""

from __future__ import annotations

import asyncio
import copy
import logging

import orjson
import pytest
from prometheus_client import CollectorRegistry

from pipeline.errors import ConfigError
from pipeline.metrics import PipelineMetrics
from pipeline.policies import load_document
from pipeline.policy_feed import FILE, TOPIC, Candidate, History, PolicyFeed, PolicyRejected, claimed_version, replay
from pipeline.worker import RedactionWorker
from runtime.kafka import KafkaSettings
from schemas.policy import POLICY_KEY, PolicyDocument

FILE_DOC = load_document()  # the shipped file: builtin-1


def document(version: str, *, person: bool = True, storage: str = "mask") -> PolicyDocument:
    data = copy.deepcopy(FILE_DOC.to_dict())
    data["version"] = version
    if not person:
        data["detection"]["entities"].remove("PERSON")
    data["policies"]["storage"]["operator"] = storage
    return PolicyDocument.from_dict(data)


def invalid(version: str) -> bytes:
    data = document(version).to_dict()
    data["policies"]["storage"]["operator"] = "hash"
    return orjson.dumps(data)


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest.fixture
def feed(registry: CollectorRegistry) -> PolicyFeed:
    return PolicyFeed(KafkaSettings(bootstrap="127.0.0.1:9"), FILE_DOC, PipelineMetrics(registry))


def in_force(registry: CollectorRegistry) -> list[tuple[str, str]]:
    return [
        (s.labels["version"], s.labels["source"])
        for family in registry.collect()
        for s in family.samples
        if s.name == "chatguard_policy_version" and s.value == 1
    ]


def rejected(registry: CollectorRegistry, reason: str) -> float:
    return registry.get_sample_value("chatguard_policy_rejected_total", {"reason": reason}) or 0.0


# -- one record ------------------------------------------------------------------------------------


def check(offset: int, value: bytes | None, supported: frozenset[str] | None = None, key: bytes = POLICY_KEY):
    return History(FILE_DOC, supported).check(offset, key, value)


def test_a_valid_record_asks_for_its_document():
    candidate = check(4, document("v2").encode())
    assert candidate == Candidate(document("v2"), TOPIC, 4)
    assert candidate.describe() == "version v2 from chat.policy offset 4"


def test_a_tombstone_asks_for_the_file():
    candidate = check(5, None)
    assert candidate == Candidate(FILE_DOC, FILE, 5)
    assert candidate.describe() == "version builtin-1 from the policy file (chat.policy offset 5: a tombstone)"


@pytest.mark.parametrize(
    "value, version, field, reason",
    [
        (invalid("v3"), "v3", "policies.storage.operator", "invalid"),
        (b"{not json at all", None, "policy", "invalid"),
        (orjson.dumps({"version": "v 4 with spaces", "detection": {}}), None, "version", "invalid"),
        (orjson.dumps({**document("v5").to_dict(), "extra": 1}), "v5", "extra", "invalid"),
        (b"x" * 70_000, None, "policy", "invalid"),
    ],
    ids=["bad-field", "not-json", "bad-version", "unknown-key", "too-large"],
)
def test_an_invalid_record_is_rejected_naming_its_version_and_field(value, version, field, reason):
    with pytest.raises(PolicyRejected) as info:
        check(6, value)
    assert (info.value.offset, info.value.version, info.value.field, info.value.metric_reason) == (
        6,
        version,
        field,
        reason,
    )
    assert f"chat.policy offset 6, version {version or '(unreadable)'}: {field}: " in str(info.value)


def test_an_entity_type_the_detector_cannot_find_is_rejected():
    data = document("v6").to_dict()
    data["detection"]["entities"].append("PASSPORT_OF_MARS")
    with pytest.raises(PolicyRejected) as info:
        check(7, orjson.dumps(data), supported=frozenset(FILE_DOC.entities))
    assert (info.value.version, info.value.field, info.value.metric_reason) == (
        "v6",
        "detection.entities",
        "unknown_entity",
    )
    assert "no recognizer for PASSPORT_OF_MARS" in str(info.value)
    assert check(7, orjson.dumps(data)).document.version == "v6"  # unchecked without a detector's list


@pytest.mark.parametrize("key", [None, b"other", b"current "])
def test_a_record_under_another_key_is_rejected(key):
    # Compaction keeps the latest record of each key: a second key would keep records alive that
    # the active policy's history has left behind (a tombstone under it would outlive the policy).
    for value in (document("v8").encode(), None):
        with pytest.raises(PolicyRejected) as info:
            check(9, value, key=key)
        assert (info.value.field, info.value.metric_reason) == ("key", "invalid")


def test_a_version_names_one_document():
    history = History(FILE_DOC)
    assert history.check(1, POLICY_KEY, document("v9").encode()).document.version == "v9"
    assert history.check(2, POLICY_KEY, document("v9").encode()).document.version == "v9"  # the same again: fine
    for offset, other in (
        (3, document("v9", storage="placeholder")),
        (4, document("builtin-1", storage="placeholder")),
    ):
        with pytest.raises(PolicyRejected) as info:
            history.check(offset, POLICY_KEY, other.encode())
        assert (info.value.field, info.value.metric_reason) == ("version", "version_reused")
    assert history.check(5, POLICY_KEY, FILE_DOC.encode()).source == TOPIC  # the file's own document, published


def test_a_claimed_version_is_named_only_when_well_formed():
    assert claimed_version(orjson.dumps({"version": "v7"})) == "v7"
    assert claimed_version(orjson.dumps({"version": "a\nforged log line"})) is None
    assert claimed_version(orjson.dumps({"version": "x" * 65})) is None
    assert claimed_version(orjson.dumps([1])) is None
    assert claimed_version(b"\xff") is None


# -- the topic's history ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "records, expected",
    [
        ([], ("builtin-1", FILE, None)),
        ([(0, POLICY_KEY, document("v1").encode())], ("v1", TOPIC, 0)),
        ([(0, POLICY_KEY, document("v1").encode()), (1, POLICY_KEY, document("v2").encode())], ("v2", TOPIC, 1)),
        ([(0, POLICY_KEY, document("v1").encode()), (3, POLICY_KEY, invalid("v2"))], ("v1", TOPIC, 0)),  # fail closed
        ([(0, POLICY_KEY, invalid("v1"))], ("builtin-1", FILE, None)),
        ([(0, POLICY_KEY, document("v1").encode()), (1, POLICY_KEY, None)], ("builtin-1", FILE, 1)),  # withdrawn
        (
            [(0, POLICY_KEY, document("v1").encode()), (1, POLICY_KEY, None), (2, POLICY_KEY, document("v3").encode())],
            ("v3", TOPIC, 2),
        ),
    ],
    ids=["empty", "one", "latest", "invalid-ignored", "only-invalid", "tombstone", "after-tombstone"],
)
def test_replay_ends_where_a_worker_that_ran_all_along_is(records, expected):
    current = replay(records, History(FILE_DOC))
    assert (current.document.version, current.source, current.offset) == expected


def test_replay_reports_each_ignored_record_with_the_policy_kept():
    seen: list[tuple[str | None, str]] = []
    replay(
        [(0, POLICY_KEY, document("v1").encode()), (1, POLICY_KEY, invalid("v2")), (2, POLICY_KEY, b"[]")],
        History(FILE_DOC),
        on_reject=lambda r, kept: seen.append((r.version, kept.document.version)),
    )
    assert seen == [("v2", "v1"), (None, "v1")]


# -- the feed --------------------------------------------------------------------------------------


def test_the_feed_starts_on_the_file_and_reports_each_switch(feed, registry, caplog):
    assert in_force(registry) == [("builtin-1", "file")]
    with caplog.at_level(logging.INFO, logger="chatguard.policy"):
        feed.in_force(Candidate(document("v2", person=False), TOPIC, 3))
    assert in_force(registry) == [("v2", "topic")]  # one series: the version in force
    assert "policy: version v2 from chat.policy offset 3 in force (was builtin-1)" in caplog.text
    assert "version v2 weakens protection: detection.entities: PERSON is no longer detected" in caplog.text


def test_the_feed_holds_the_newest_valid_record_until_the_batch_loop_takes_it(feed, registry, caplog):
    feed._offer(1, POLICY_KEY, document("v1").encode())
    feed._offer(2, POLICY_KEY, document("v2").encode())
    with caplog.at_level(logging.ERROR, logger="chatguard.policy"):
        feed._offer(3, POLICY_KEY, invalid("v3"))  # after v2: ignored, v2 still pending
    assert feed.changed.is_set()
    taken = feed.take()
    assert taken is not None and taken.document.version == "v2"
    assert feed.take() is None and not feed.changed.is_set()
    assert rejected(registry, "invalid") == 1
    [line] = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert line.getMessage() == (
        "chat.policy offset 3, version v3: policies.storage.operator: must be one of placeholder, mask, numbered, "
        "pseudonym: rejected, never applied; version builtin-1 from the policy file stays in force"
    )
    assert in_force(registry) == [("builtin-1", "file")]  # nothing applied until the batch loop does


class FakeDetection:
    """The detection process as the batch loop sees it."""

    def __init__(self, refuse: str | None = None) -> None:
        self.refuse = refuse
        self.applied: list[str] = []

    async def apply_policy(self, encoded: bytes) -> str:
        version = PolicyDocument.decode(encoded).version
        if self.refuse == version:
            raise ConfigError("detection.entities: no recognizer for PASSPORT_OF_MARS")
        self.applied.append(version)
        return version


class Loop:
    """The worker's batch boundary (its own methods) around a real feed and a stand-in detection."""

    _apply_pending_policy = RedactionWorker._apply_pending_policy
    _next_batch = RedactionWorker._next_batch

    def __init__(self, feed: PolicyFeed, detection: FakeDetection) -> None:
        self.feed, self.detection = feed, detection


async def test_a_version_that_comes_while_idle_is_applied_before_the_next_batch(feed, registry):
    loop = Loop(feed, FakeDetection())
    taken: asyncio.Queue = asyncio.Queue(maxsize=1)
    waiting = asyncio.ensure_future(loop._next_batch(taken))
    await asyncio.sleep(0.01)
    feed._offer(1, POLICY_KEY, document("v1").encode())
    await asyncio.sleep(0.01)
    assert loop.detection.applied == ["v1"] and not waiting.done()  # applied at once, no batch needed
    assert in_force(registry) == [("v1", "topic")]
    await taken.put(["batch"])
    assert await asyncio.wait_for(waiting, 1) == ["batch"]


async def test_a_version_that_comes_with_a_batch_is_applied_first(feed):
    loop = Loop(feed, FakeDetection())
    taken: asyncio.Queue = asyncio.Queue(maxsize=1)
    await taken.put(["batch"])
    feed._offer(1, POLICY_KEY, document("v1").encode())
    assert await asyncio.wait_for(loop._next_batch(taken), 1) == ["batch"]
    assert loop.detection.applied == ["v1"]


async def test_a_version_the_detection_process_refuses_leaves_the_one_in_force(feed, registry, caplog):
    loop = Loop(feed, FakeDetection(refuse="v2"))
    taken: asyncio.Queue = asyncio.Queue(maxsize=1)
    feed._offer(1, POLICY_KEY, document("v1").encode())
    await taken.put(["a"])
    await loop._next_batch(taken)
    feed._offer(2, POLICY_KEY, document("v2").encode())
    await taken.put(["b"])
    with caplog.at_level(logging.ERROR, logger="chatguard.policy"):
        assert await asyncio.wait_for(loop._next_batch(taken), 1) == ["b"]
    assert loop.detection.applied == ["v1"]
    assert in_force(registry) == [("v1", "topic")]
    assert rejected(registry, "apply_failed") == 1
    assert "version v2: detection.entities: no recognizer for PASSPORT_OF_MARS: rejected" in caplog.text


async def test_stopping_while_waiting_leaves_the_batch_queued(feed):
    loop = Loop(feed, FakeDetection())
    taken: asyncio.Queue = asyncio.Queue(maxsize=1)
    waiting = asyncio.ensure_future(loop._next_batch(taken))
    await asyncio.sleep(0.01)
    waiting.cancel()
    await asyncio.gather(waiting, return_exceptions=True)
    await taken.put(["batch"])
    assert taken.qsize() == 1
