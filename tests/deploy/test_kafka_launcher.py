"""deploy/kafka/kafka.sh without starting Java: syntax, generated config, stop/status on an empty state dir.
The real broker is exercised by the integration tests."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(REPO, "deploy", "kafka", "kafka.sh")


def require_tool(name: str, install_hint: str) -> str:
    """Path of `name`. Missing: the test fails under CI (CI must install the tool) and is skipped elsewhere."""
    path = shutil.which(name)
    if path:
        return path
    message = f"{name} not found ({install_hint})"
    if os.environ.get("CI"):
        pytest.fail(message + "; CI must install it")
    pytest.skip(message)


def _run(*args: str, state_dir, port: int = 19999) -> subprocess.CompletedProcess:
    env = dict(os.environ, CHATGUARD_KAFKA_STATE_DIR=str(state_dir), CHATGUARD_KAFKA_PORT=str(port))
    env.pop("CHATGUARD_KAFKA_CONTROLLER_PORT", None)
    return subprocess.run(["bash", SCRIPT, *args], env=env, capture_output=True, text=True, timeout=30)


def test_script_syntax():
    result = subprocess.run(["bash", "-n", SCRIPT], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_generated_server_properties(tmp_path):
    result = _run("config", state_dir=tmp_path, port=19999)
    assert result.returncode == 0, result.stderr
    path = result.stdout.strip()
    assert path == str(tmp_path / "server.properties")
    lines = [line for line in open(path).read().splitlines() if line and not line.startswith("#")]
    props = dict(line.split("=", 1) for line in lines)
    assert props["process.roles"] == "broker,controller"
    assert props["node.id"] == "1"
    assert props["listeners"] == "PLAINTEXT://127.0.0.1:19999,CONTROLLER://127.0.0.1:20999"
    assert props["advertised.listeners"] == "PLAINTEXT://127.0.0.1:19999"
    assert props["controller.quorum.voters"] == "1@127.0.0.1:20999"
    assert props["controller.listener.names"] == "CONTROLLER"
    assert props["inter.broker.listener.name"] == "PLAINTEXT"
    assert props["log.dirs"] == str(tmp_path / "data")
    for key in ("offsets.topic.replication.factor", "transaction.state.log.replication.factor",
                "transaction.state.log.min.isr"):
        assert props[key] == "1", key
    assert props["group.initial.rebalance.delay.ms"] == "0"
    assert (tmp_path / "log4j2.properties").is_file()


def test_status_and_down_without_a_broker(tmp_path):
    status = _run("status", state_dir=tmp_path)
    assert (status.returncode, status.stdout.strip()) == (1, "stopped")
    down = _run("down", state_dir=tmp_path)
    assert down.returncode == 0, down.stderr


def test_prometheus_config():
    promtool = require_tool("promtool", "apt-get install prometheus")
    path = os.path.join(REPO, "deploy", "prometheus", "prometheus.yml")
    result = subprocess.run([promtool, "check", "config", path], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
