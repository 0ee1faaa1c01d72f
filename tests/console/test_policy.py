"""Policy versions through the console's desk, on the real broker's chat.policy and both databases:
with nothing published, a first version waits for approval (nothing to compare with); a version
that protects no less is in force at once; one that weakens waits for an Administrator who is not
its proposer; every step is audited. The test leaves chat.policy withdrawn (workers on their files)."""

from __future__ import annotations

import asyncio
import copy
import tomllib

import orjson
import pytest
from sqlalchemy import select

from console.policy import PolicyDesk, PolicyRefused
from runtime.kafka import KafkaSettings
from runtime.policy_topic import latest_policy, publish_policy
from schemas.errors import SchemaError
from tests.support.kafka import create_topics
from tests.support.paths import ROOT
from vault.tables import audit

pytestmark = pytest.mark.integration
SHIPPED = tomllib.loads((ROOT / "pipeline" / "policies.toml").read_text())


def document(version: str, drop: str | None = None, add: str | None = None) -> str:
    doc = copy.deepcopy(SHIPPED)
    doc["version"] = version
    if drop:
        doc["detection"]["entities"].remove(drop)
    if add:
        doc["detection"]["entities"].append(add)
    return orjson.dumps(doc).decode()


@pytest.fixture
def desk(console_engine, kafka_bootstrap):
    create_topics(kafka_bootstrap)
    kafka = KafkaSettings(bootstrap=kafka_bootstrap)
    asyncio.run(publish_policy(kafka, None))
    yield PolicyDesk(console_engine, lambda: latest_policy(kafka), lambda d: publish_policy(kafka, d)), kafka
    asyncio.run(publish_policy(kafka, None))  # the other tests' workers stay on their files


def test_the_two_person_rule(desk, console_engine):
    desk, kafka = desk
    first = asyncio.run(desk.propose(document("t-1"), "eddie", "10.0.0.5"))
    assert first.status == "pending" and "nothing to compare with" in first.weakens[0]
    with pytest.raises(PolicyRefused, match="two-person"):
        asyncio.run(desk.decide("t-1", True, "eddie", "10.0.0.5"))
    assert asyncio.run(latest_policy(kafka)) is None
    asyncio.run(desk.decide("t-1", True, "ada", "10.0.0.6"))
    assert asyncio.run(latest_policy(kafka)).version == "t-1"

    stronger = asyncio.run(desk.propose(document("t-2", add="DE_TAX_ID"), "eddie", "10.0.0.5"))
    assert stronger.status == "published" and stronger.weakens == []
    assert asyncio.run(latest_policy(kafka)).version == "t-2"

    weaker = asyncio.run(desk.propose(document("t-3", drop="PERSON", add="DE_TAX_ID"), "eddie", "10.0.0.5"))
    assert weaker.status == "pending" and weaker.weakens == ["detection.entities: PERSON is no longer detected"]
    assert asyncio.run(latest_policy(kafka)).version == "t-2"  # not in force yet
    asyncio.run(desk.decide("t-3", False, "ada", "10.0.0.6"))
    assert asyncio.run(latest_policy(kafka)).version == "t-2"
    with pytest.raises(PolicyRefused):
        asyncio.run(desk.decide("t-3", True, "ada", "10.0.0.6"))  # rejected is final

    with console_engine.connect() as conn:
        steps = [(r.actor, r.action, r.outcome) for r in conn.execute(select(audit).order_by(audit.c.seq))]
    assert [a for _, a, _ in steps] == [
        "policy_propose", "policy_approve", "policy_approve", "policy_propose", "policy_publish", "policy_propose",
        "policy_reject",
    ]  # fmt: skip
    assert steps[1] == ("console:eddie", "policy_approve", "t-1 refused: own proposal")


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("not json", "not valid JSON"),
        ('{"version": "x"}', "detection"),
        (document("t-9").replace('"mask"', '"shout"'), "operator"),
    ],
)
def test_bad_documents_name_the_field(desk, text, error):
    desk, kafka = desk
    with pytest.raises(SchemaError, match=error):
        asyncio.run(desk.propose(text, "eddie", "10.0.0.5"))
    assert asyncio.run(latest_policy(kafka)) is None


def test_a_version_is_proposed_once(desk):
    desk, _ = desk
    asyncio.run(desk.propose(document("t-5"), "eddie", "10.0.0.5"))
    with pytest.raises(PolicyRefused, match="proposed before"):
        asyncio.run(desk.propose(document("t-5"), "eddie", "10.0.0.5"))
