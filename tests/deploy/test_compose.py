"""deploy/compose.yaml is valid Compose and wires the services together (validated offline, no Docker engine)."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COMPOSE = os.path.join("deploy", "compose.yaml")
SERVICES = {"kafka", "worker", "ingest", "prometheus", "grafana"}


def require_tool(name: str, install_hint: str) -> str:
    """Path of `name`. Missing: the test fails under CI (CI must install the tool) and is skipped elsewhere."""
    path = shutil.which(name)
    if path:
        return path
    message = f"{name} not found ({install_hint})"
    if os.environ.get("CI"):
        pytest.fail(message + "; CI must install it")
    pytest.skip(message)


def _compose(*args: str, key: str | None = "0123456789abcdef0123456789abcdef") -> subprocess.CompletedProcess:
    binary = require_tool("docker-compose", "apt-get install docker-compose")
    env = {k: v for k, v in os.environ.items() if k != "CHATGUARD_PSEUDONYM_KEY"}
    if key is not None:
        env["CHATGUARD_PSEUDONYM_KEY"] = key
    return subprocess.run(
        [binary, "-f", COMPOSE, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )


def test_compose_config_is_valid_and_has_all_services():
    result = _compose("config")
    assert result.returncode == 0, result.stderr
    services = _compose("config", "--services")
    assert services.returncode == 0, services.stderr
    assert SERVICES <= set(services.stdout.split())
    # Build context is resolved relative to the compose file: the repository root.
    assert f"context: {REPO}\n" in result.stdout
    assert "CHATGUARD_KAFKA_BOOTSTRAP: kafka:9092" in result.stdout
    assert "CHATGUARD_PSEUDONYM_KEY: 0123456789abcdef0123456789abcdef" in result.stdout
    assert "CHATGUARD_METRICS_ADDR: 0.0.0.0" in result.stdout


def test_compose_refuses_to_run_without_the_hmac_key():
    result = _compose("config", key=None)
    assert result.returncode != 0
    assert "CHATGUARD_PSEUDONYM_KEY" in result.stderr
