"""Policy versions on a real broker with a real worker: a version published to chat.policy with
``chatguard policy publish`` takes over between batches without a restart, and every clean event
carries the version it was redacted under; an invalid record is ignored and the worker goes on
under the version in force; a tombstone returns it to its file.

The test leaves chat.policy withdrawn (a tombstone), so later workers on the session's broker run
their own policy files."""

from __future__ import annotations

import asyncio
import re
import secrets
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from pipeline.policies import load_document
from schemas.codec import encode
from schemas.policy import POLICY_KEY, PolicyDocument
from schemas.raw import RawMessage
from schemas.topics import POLICY, RAW, STORAGE
from tests.support.kafka import produce
from tests.support.metrics import metric_value
from tests.support.paths import BIN, ROOT
from tests.support.processes import tail, worker_env, worker_process

pytestmark = [pytest.mark.integration, pytest.mark.timeout(300)]

NAME = "Anna Nowak"


def policy_file(tmp_path: Path, version: str) -> Path:
    """The shipped policy file under a version of this run's own."""
    shipped = (ROOT / "pipeline" / "policies.toml").read_text()
    assert 'version = "builtin-1"' in shipped
    path = tmp_path / "policies.toml"
    path.write_text(shipped.replace('version = "builtin-1"', f'version = "{version}"', 1))
    return path


def events(token: str, phase: str, count: int = 12) -> list[RawMessage]:
    return [
        RawMessage(
            f"pol-{token}-{phase}-{i}",
            "web",
            "private",
            f"conv-{token}-{i % 4}",
            f"sender-{token}",
            "2026-11-29T10:00:00Z",
            f"Hi, I am {NAME}, write to canary.{token}.{phase}{i}@example.org",
        )
        for i in range(count)
    ]


Offsets = dict[TopicPartition, int]


async def _storage_ends(bootstrap: str) -> Offsets:
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(STORAGE.name, p) for p in range(STORAGE.partitions)]
        return await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()


async def _read_from(bootstrap: str, since: Offsets, wanted: set[str], prefix: bytes) -> dict[str, dict]:
    """chat.storage from ``since`` on (not from the beginning: the session's other tests wrote
    thousands of events there) until every event of ``wanted`` is found, or 60 s."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False)
    await consumer.start()
    found: dict[str, dict] = {}
    try:
        consumer.assign(list(since))
        for tp, offset in since.items():
            consumer.seek(tp, offset)
        deadline = time.monotonic() + 60
        while not set(found) >= wanted and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for message in (orjson.loads(r.value) for r in records if prefix in r.value):
                    found[message["event_id"]] = message
        return found
    finally:
        await consumer.stop()


def send(bootstrap: str, batch: list[RawMessage]) -> Offsets:
    """Write ``batch`` to chat.raw; chat.storage's end offsets from before, to read its results from."""
    since = asyncio.run(_storage_ends(bootstrap))
    asyncio.run(produce(bootstrap, RAW.name, [(e.conversation_id.encode(), encode(e)) for e in batch]))
    return since


def redacted(bootstrap: str, batch: list[RawMessage], since: Offsets) -> list[dict]:
    """The chat.storage events of ``batch``, once every one is there."""
    wanted = {e.event_id for e in batch}
    prefix = batch[0].event_id.rsplit("-", 1)[0].encode()
    found = asyncio.run(_read_from(bootstrap, since, wanted, prefix))
    assert set(found) >= wanted, f"{len(wanted - set(found))} of {len(wanted)} events missing"
    return [found[e.event_id] for e in batch]


def wait_for(what: str, condition: Callable[[], bool], log_path: Path, timeout_s: float = 30.0) -> float:
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout_s, f"{what}: not within {timeout_s:.0f} s\n{tail(log_path)}"
        time.sleep(0.2)
    return time.monotonic() - started


def policy_cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(BIN / "chatguard"), "policy", *args], env=env, capture_output=True, text=True, timeout=60
    )


def withdraw(bootstrap: str) -> None:
    asyncio.run(produce(bootstrap, POLICY.name, [(POLICY_KEY, None)]))  # a tombstone: no value


def test_a_published_version_takes_over_between_batches_and_an_invalid_one_is_ignored(
    kafka_bootstrap, pseudonym_key, tmp_path
):
    token = secrets.token_hex(4)
    file_version, topic_version = f"it-file-{token}", f"it-topic-{token}"
    env = worker_env(
        kafka_bootstrap,
        pseudonym_key,
        "chatguard-it-policy",
        CHATGUARD_POLICY_FILE=str(policy_file(tmp_path, file_version)),
        CHATGUARD_LOG_LEVEL="INFO",
    )
    log_path = tmp_path / "worker.log"
    withdraw(kafka_bootstrap)  # whatever an earlier run published: this worker starts on its file
    timings: dict[str, float] = {}
    started = time.monotonic()
    try:
        with worker_process(env, log_path) as (proc, metrics_url):
            timings["worker ready"] = time.monotonic() - started

            def version_in_force(version: str, source: str) -> Callable[[], bool]:
                return lambda: (
                    metric_value(metrics_url, "chatguard_policy_version", version=version, source=source) == 1
                )

            # chat.policy holds no version in force (at most a tombstone): the worker says it runs its file's.
            wait_for(
                "the start-up policy logged",
                lambda: (
                    re.search(
                        rf"INFO chatguard.policy policy: version {file_version} from the policy file( \(chat.policy "
                        r"offset \d+: a tombstone\))? in force",
                        log_path.read_text(),
                    )
                    is not None
                ),
                log_path,
            )
            assert version_in_force(file_version, "file")(), tail(log_path)

            # Under the file's version: the name is masked.
            before = events(token, "a")
            since_before = send(kafka_bootstrap, before)
            for message in redacted(kafka_bootstrap, before, since_before):
                assert message["policy_version"] == file_version
                assert NAME not in message["text"] and "canary." not in message["text"]

            # A version that switches PERSON off: a weakening, refused without the flag.
            data = load_document(Path(env["CHATGUARD_POLICY_FILE"])).to_dict()
            data["version"] = topic_version
            data["detection"]["entities"].remove("PERSON")
            new = tmp_path / "no-person.json"
            new.write_bytes(orjson.dumps(data))
            refused = policy_cli(env, "publish", str(new))
            assert refused.returncode == 2, refused.stderr
            assert "weakens: detection.entities: PERSON is no longer detected" in refused.stdout
            assert "--allow-weakening" in refused.stderr
            published = policy_cli(env, "publish", str(new), "--allow-weakening")
            assert published.returncode == 0, published.stderr
            assert f"published version {topic_version} to chat.policy" in published.stdout
            timings["switch"] = wait_for("the new version in force", version_in_force(topic_version, "topic"), log_path)

            after = events(token, "b")
            since = send(kafka_bootstrap, after)
            for message in redacted(kafka_bootstrap, after, since):
                assert message["policy_version"] == topic_version
                assert NAME in message["text"]  # PERSON is off
                assert "canary." not in message["text"]  # e-mail addresses still masked
            shown = policy_cli(env, "show")
            assert shown.returncode == 0 and orjson.loads(shown.stdout)["version"] == topic_version

            # An invalid record: ignored, logged naming its version and field; the worker goes on.
            bad = PolicyDocument.from_dict(data).to_dict()
            bad["version"] = f"it-bad-{token}"
            bad["policies"]["storage"]["operator"] = "hash"
            asyncio.run(produce(kafka_bootstrap, POLICY.name, [(POLICY_KEY, orjson.dumps(bad))]))
            wait_for(
                "the invalid record rejected",
                lambda: metric_value(metrics_url, "chatguard_policy_rejected_total", reason="invalid") >= 1,
                log_path,
            )
            later = events(token, "c")
            since = send(kafka_bootstrap, later)
            for message in redacted(kafka_bootstrap, later, since):
                assert message["policy_version"] == topic_version and NAME in message["text"]
            assert version_in_force(topic_version, "topic")()
            log = log_path.read_text()
            assert f"version it-bad-{token}: policies.storage.operator: must be one of" in log
            assert f"rejected, never applied; version {topic_version} from chat.policy" in log

            # A tombstone: back to the file, still without a restart.
            withdraw(kafka_bootstrap)
            wait_for("the file's version again", version_in_force(file_version, "file"), log_path)
            assert proc.poll() is None, tail(log_path)  # one process throughout: never restarted
            # The same events, redacted under each version they met, never mixed within one.
            assert {m["policy_version"] for m in redacted(kafka_bootstrap, before, since_before)} == {file_version}
    finally:
        withdraw(kafka_bootstrap)
    timings["total"] = time.monotonic() - started
    print(", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
