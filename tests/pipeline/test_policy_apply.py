"""A policy version applied where detection runs: the real detector reconfigured in place, and the
detection process switching its engine (and keeping the version across a watchdog restart)."""

from __future__ import annotations

import asyncio
import copy
import os
from collections.abc import Iterable, Sequence

import orjson
import pytest

from pipeline import detect_process
from pipeline.detect_process import DetectionProcess
from pipeline.detection import ChatDetector, Span
from pipeline.errors import ConfigError
from pipeline.policies import load_document
from pipeline.settings import DEFAULT_MODEL
from schemas.codec import encode
from schemas.policy import PolicyDocument
from schemas.raw import RawMessage

TEXT = "Hi, I am Anna Nowak, write to anna.nowak@example.com"


def document(version: str, *, person: bool = True) -> PolicyDocument:
    data = copy.deepcopy(load_document().to_dict())
    data["version"] = version
    if not person:
        data["detection"]["entities"].remove("PERSON")
    return PolicyDocument.from_dict(data)


def found_types(detector: ChatDetector, text: str = TEXT) -> set[str]:
    [spans] = detector.detect([text])
    assert not isinstance(spans, Exception)
    return {s.entity_type for s in spans}


def test_the_detector_switches_entity_types_in_place():
    detector = ChatDetector(DEFAULT_MODEL, ["EMAIL_ADDRESS"], 0.3)
    assert found_types(detector) == {"EMAIL_ADDRESS"}
    assert {"PERSON", "EMAIL_ADDRESS", "PL_PESEL", "STREET_ADDRESS"} <= detector.supported

    detector.configure(["EMAIL_ADDRESS", "PERSON"], 0.3)  # loads spaCy's model now
    assert found_types(detector) == {"EMAIL_ADDRESS", "PERSON"}
    model = detector._nlp
    assert model is not None

    detector.configure(["EMAIL_ADDRESS"], 0.3)
    assert found_types(detector) == {"EMAIL_ADDRESS"}
    assert detector._nlp is model  # kept for the next version that wants it

    with pytest.raises(ConfigError, match="no recognizer for NOPE"):
        detector.configure(["EMAIL_ADDRESS", "NOPE"], 0.1)
    assert detector.entities == {"EMAIL_ADDRESS"} and detector.score_threshold == 0.3  # nothing changed


# -- in the detection process, with a stand-in detector --------------------------------------------


class NameDetector:
    """Finds "Anna Nowak" as a PERSON while the policy asks for PERSON."""

    def __init__(self) -> None:
        self.entities: frozenset[str] = frozenset({"PERSON"})

    def configure(self, entities: Iterable[str], score_threshold: float) -> None:
        self.entities = frozenset(entities)

    def detect(self, texts: Sequence[str]) -> list[list[Span]]:
        name = "Anna Nowak"
        return [
            [Span("PERSON", t.index(name), t.index(name) + len(name), 0.9)]
            if name in t and "PERSON" in self.entities
            else []
            for t in texts
        ]


def load_stand_in(environ: dict[str, str]) -> int:
    from pipeline.engine import RedactionEngine
    from pipeline.policies import load_policies
    from schemas.pseudonyms import Pseudonymiser

    detect_process._engine = RedactionEngine(NameDetector(), load_policies(), Pseudonymiser(b"k" * 32))
    return os.getpid()


async def storage_record(process: DetectionProcess) -> dict:
    raw = encode(RawMessage("web:1", "web", "private", "c1", "s1", "2026-11-29T10:00:00Z", TEXT))
    batch = await process.detect([(raw, 0, 1)])
    [value] = [value for topic, _, value in batch.records if topic == "chat.storage"]
    return orjson.loads(value)


def test_the_detection_process_switches_versions_and_keeps_one_across_a_restart():
    process = DetectionProcess({}, stall_s=30, loader=load_stand_in)
    process.start()
    broken = document("v4").to_dict()
    broken["policies"]["storage"]["operator"] = "hash"

    async def scenario() -> None:
        # One event loop throughout, as in the worker: a restarted child is spawned from its
        # executor's thread, and dies with that thread (PR_SET_PDEATHSIG).
        before = await storage_record(process)
        assert before["policy_version"] == "v2" and "Anna Nowak" not in before["text"]

        assert await process.apply_policy(document("v3", person=False).encode()) == "v3"
        after = await storage_record(process)
        assert after["policy_version"] == "v3" and "Anna Nowak" in after["text"]

        with pytest.raises(ConfigError, match="policies.storage.operator"):  # the child's refusal, as itself
            await process.apply_policy(orjson.dumps(broken))
        assert (await storage_record(process))["policy_version"] == "v3"

        await process._restart()  # as the watchdog restarts a stalled child
        again = await storage_record(process)
        assert again["policy_version"] == "v3" and "Anna Nowak" in again["text"]  # not the file's again

    try:
        assert process.supported_entities() is None  # a stand-in: the feed then checks no entity names
        assert process.use_policy(document("v2").encode()) == "v2"  # at start-up, before the event loop
        asyncio.run(scenario())
    finally:
        process.stop()
