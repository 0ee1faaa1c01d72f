"""``chatguard canary`` against the real stack: a real worker and a real ingest service (processes)
on the session broker. A clean probe must come back ok; a probe whose value really appears on a
clean topic (a copy written there while it waits, as a broken or bypassing writer would) must
come back as a leak, with exit status 1 and chatguard_canary_leaks_total counting it."""

from __future__ import annotations

import asyncio
import secrets
import subprocess
import time
import urllib.request
from pathlib import Path

import orjson
import pytest

from schemas.topics import STORAGE
from tests.support.kafka import produce
from tests.support.paths import BIN
from tests.support.ports import free_port
from tests.support.processes import ingest_process, tail, worker_env, worker_process

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def stack(kafka_bootstrap: str, pseudonym_key: str, tmp_path_factory: pytest.TempPathFactory):
    """A real worker and a real ingest service (HTTP channel enabled); yields (env, ingest URL)."""
    logs = tmp_path_factory.mktemp("canary-stack")
    env = worker_env(
        kafka_bootstrap, pseudonym_key, "chatguard-canary", CHATGUARD_INGEST_HMAC_SECRET=secrets.token_hex(16)
    )
    with worker_process(env, logs / "worker.log"), ingest_process(env, logs / "ingest.log") as (_, base_url):
        yield env, base_url, logs


def canary(env: dict[str, str], *args: str, log: Path) -> subprocess.Popen:
    """``chatguard canary`` as the process an operator would run; the ingest service's own
    environment supplies CHATGUARD_KAFKA_BOOTSTRAP and CHATGUARD_INGEST_HMAC_SECRET."""
    with log.open("wb") as out:
        return subprocess.Popen(
            [str(BIN / "chatguard"), "canary", *args], env=env, stdout=out, stderr=subprocess.STDOUT
        )


def scrape(url: str) -> dict[tuple[str, tuple], float]:
    from prometheus_client.parser import text_string_to_metric_families

    try:
        text = urllib.request.urlopen(url, timeout=2).read().decode()
    except OSError:
        return {}
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
    }


def canary_samples(metrics: dict) -> dict[str, float]:
    return {
        name + (str(dict(labels)) if labels else ""): v
        for (name, labels), v in metrics.items()
        if name.startswith("chatguard_canary") and not name.endswith(("_created", "_bucket"))
    }


def wait_for_file(path: Path, proc: subprocess.Popen, timeout_s: float) -> dict:
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        assert proc.poll() is None, f"canary exited ({proc.returncode}) before sending"
        assert time.monotonic() < deadline, f"{path} never appeared"
        time.sleep(0.02)
    return orjson.loads(path.read_bytes())


def leaked_copy(values: dict) -> tuple[bytes, bytes]:
    """What a writer that bypassed redaction would put on chat.storage: the probe's event, unredacted."""
    event = {
        "schema_version": 1,
        "event_id": values["event_id"],
        "channel": values["channel"],
        "channel_kind": "private",
        "conversation_id": values["conversation_id"],
        "sender": "s_unredacted",
        "sent_at": "2026-11-29T10:00:00.000Z",
        "text": values["text"],
        "findings": [],
        "policy": "storage",
        "policy_version": "1",
        "processed_at": "2026-11-29T10:00:00.000Z",
    }
    return values["conversation_id"].encode(), orjson.dumps(event)


def test_a_probe_through_the_real_stack_arrives_redacted_and_is_counted(stack, tmp_path: Path):
    env, base_url, logs = stack
    # Once: exit status 0 and the outcome on stdout.
    once = canary(env, "--url", base_url, "--timeout", "90", log=tmp_path / "once.log")
    try:
        code = once.wait(timeout=120)
    finally:
        once.kill()
    output = (tmp_path / "once.log").read_text()
    print(f"\n[canary/once] exit {code}: {output.strip()}")
    assert code == 0, output + tail(logs / "worker.log") + tail(logs / "ingest.log")
    assert "chatguard canary: ok" in output
    for topic in ("chat.analytics", "chat.nlp", "chat.storage"):
        assert topic in output  # arrival time per clean topic

    # Periodically, with metrics: a success is recorded and no leak.
    port = free_port()
    url = f"http://127.0.0.1:{port}/metrics"
    periodic = canary(
        env, "--url", base_url, "--interval", "1", "--metrics-port", str(port), log=tmp_path / "periodic.log"
    )
    try:
        deadline = time.monotonic() + 90
        metrics: dict = {}
        while time.monotonic() < deadline:
            assert periodic.poll() is None, (tmp_path / "periodic.log").read_text()
            metrics = scrape(url)
            if metrics.get(("chatguard_canary_probes_total", (("outcome", "ok"),)), 0) >= 2:
                break
            time.sleep(0.5)
    finally:
        periodic.terminate()
        periodic.wait(timeout=30)
    print(f"[canary/periodic] {canary_samples(metrics)}")
    assert metrics.get(("chatguard_canary_probes_total", (("outcome", "ok"),)), 0) >= 2, (
        tmp_path / "periodic.log"
    ).read_text()
    assert metrics[("chatguard_canary_leaks_total", ())] == 0
    assert metrics[("chatguard_canary_probes_total", (("outcome", "leak"),))] == 0
    assert time.time() - 120 < metrics[("chatguard_canary_last_success_timestamp_seconds", ())] <= time.time()
    assert metrics[("chatguard_canary_probe_duration_seconds_count", ())] >= 2


def test_a_value_on_a_clean_topic_is_a_leak_exit_1_and_counted(stack, kafka_bootstrap: str, tmp_path: Path):
    env, base_url, _ = stack

    # Once: the probe's own event gets an unredacted copy on chat.storage while the probe waits.
    value_file = tmp_path / "values.json"
    once = canary(
        env,
        "--url",
        base_url,
        "--timeout",
        "90",
        "--settle",
        "5",
        "--value-file",
        str(value_file),
        log=tmp_path / "once.log",
    )
    try:
        values = wait_for_file(value_file, once, 60)
        asyncio.run(produce(kafka_bootstrap, STORAGE.name, [leaked_copy(values)]))
        code = once.wait(timeout=120)
    finally:
        once.kill()
    output = (tmp_path / "once.log").read_text()
    print(f"\n[canary/leak once] exit {code}: {output.strip()}")
    assert code == 1, output
    assert "chatguard canary: leak" in output
    assert "LEAK: email, email-token, card on chat.storage" in output
    # The real redacted copies arrived too: the leak is the injected one, not the pipeline's.
    assert "arrived: chat.analytics" in output

    # Periodically, with metrics: one leaking probe among good ones is counted exactly once.
    port = free_port()
    url = f"http://127.0.0.1:{port}/metrics"
    value_file = tmp_path / "values-periodic.json"
    periodic = canary(
        env,
        "--url",
        base_url,
        "--interval",
        "1",
        "--settle",
        "5",
        "--metrics-port",
        str(port),
        "--value-file",
        str(value_file),
        log=tmp_path / "periodic.log",
    )
    try:
        values = wait_for_file(value_file, periodic, 60)
        asyncio.run(produce(kafka_bootstrap, STORAGE.name, [leaked_copy(values)]))
        deadline = time.monotonic() + 120
        metrics: dict = {}
        while time.monotonic() < deadline:
            assert periodic.poll() is None, (tmp_path / "periodic.log").read_text()
            metrics = scrape(url)
            if metrics.get(("chatguard_canary_probes_total", (("outcome", "ok"),)), 0) >= 1:
                break
            time.sleep(0.5)
    finally:
        periodic.terminate()
        periodic.wait(timeout=30)
    print(f"[canary/leak periodic] {canary_samples(metrics)}")
    assert metrics.get(("chatguard_canary_probes_total", (("outcome", "leak"),))) == 1, (
        tmp_path / "periodic.log"
    ).read_text()
    assert metrics[("chatguard_canary_leaks_total", ())] == 1
    assert metrics[("chatguard_canary_probes_total", (("outcome", "ok"),))] >= 1  # the next probe was clean again
