"""deploy/compose.yaml is valid Compose and wires the services together (validated offline, no Docker engine)."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.support.tools import require_tool

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COMPOSE = os.path.join("deploy", "compose.yaml")
SERVICES = {"kafka", "topics", "worker", "ingest", "prometheus", "grafana"}
KAFKA_PASSWORDS = {
    "CHATGUARD_KAFKA_ADMIN_PASSWORD": "admin-pw-5f2c9a",
    "CHATGUARD_KAFKA_WORKER_PASSWORD": "worker-pw-8d1e7b",
    "CHATGUARD_KAFKA_INGEST_PASSWORD": "ingest-pw-3a6f0c",
}


def _compose(*args: str, key: str | None = "0123456789abcdef0123456789abcdef", without: str | None = None) -> subprocess.CompletedProcess:
    binary = require_tool("docker-compose", "apt-get install docker-compose")
    env = {k: v for k, v in os.environ.items() if k != "CHATGUARD_PSEUDONYM_KEY" and k not in KAFKA_PASSWORDS}
    if key is not None:
        env["CHATGUARD_PSEUDONYM_KEY"] = key
    env.update({k: v for k, v in KAFKA_PASSWORDS.items() if k != without})
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


def _config() -> dict:
    import yaml

    result = _compose("config")
    assert result.returncode == 0, result.stderr
    return yaml.safe_load(result.stdout)


def test_kafka_requires_sasl_on_every_listener_and_authorizes_with_acls():
    kafka = _config()["services"]["kafka"]["environment"]
    protocols = dict(item.split(":") for item in kafka["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
    listeners = {item.split("://")[0] for item in kafka["KAFKA_LISTENERS"].split(",")}
    assert listeners <= set(protocols)
    assert {protocols[name] for name in listeners} == {"SASL_PLAINTEXT"}, "a listener without authentication"
    assert "CONTROLLER://localhost:" in kafka["KAFKA_LISTENERS"], "the controller listens on loopback only"
    assert kafka["KAFKA_SASL_ENABLED_MECHANISMS"] == "PLAIN"
    assert kafka["KAFKA_SASL_MECHANISM_INTER_BROKER_PROTOCOL"] == kafka["KAFKA_SASL_MECHANISM_CONTROLLER_PROTOCOL"] == "PLAIN"
    admin, worker, ingest = KAFKA_PASSWORDS.values()
    for listener in ("INTERNAL", "HOST"):
        jaas = kafka[f"KAFKA_LISTENER_NAME_{listener}_PLAIN_SASL_JAAS_CONFIG"]
        assert jaas.startswith("org.apache.kafka.common.security.plain.PlainLoginModule required ") and jaas.endswith(";")
        for user, password in (("admin", admin), ("chatguard-worker", worker), ("chatguard-ingest", ingest)):
            assert f'user_{user}="{password}"' in jaas
    controller = kafka["KAFKA_LISTENER_NAME_CONTROLLER_PLAIN_SASL_JAAS_CONFIG"]
    assert f'user_admin="{admin}"' in controller and "user_chatguard" not in controller
    assert kafka["KAFKA_AUTHORIZER_CLASS_NAME"] == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    assert kafka["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"
    assert kafka["KAFKA_SUPER_USERS"] == "User:admin"
    # The healthcheck authenticates too (a PLAINTEXT probe would never succeed).
    assert "--command-config" in " ".join(_config()["services"]["kafka"]["healthcheck"]["test"])


def test_each_chatguard_service_logs_in_as_its_own_user():
    services = _config()["services"]
    admin, worker, ingest = KAFKA_PASSWORDS.values()
    expected = {"topics": ("admin", admin), "worker": ("chatguard-worker", worker), "ingest": ("chatguard-ingest", ingest)}
    for name, (user, password) in expected.items():
        env = services[name]["environment"]
        assert env["CHATGUARD_KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT", name
        assert env["CHATGUARD_KAFKA_SASL_MECHANISM"] == "PLAIN", name
        assert (env["CHATGUARD_KAFKA_SASL_USERNAME"], env["CHATGUARD_KAFKA_SASL_PASSWORD"]) == (user, password), name
    # The admin creates the topics and the ACLs of exactly these users before the others start.
    command = " ".join(services["topics"]["command"])
    assert "chatguard topics apply" in command
    assert "--principal ingest=chatguard-ingest" in command and "--principal worker=chatguard-worker" in command
    for name in ("worker", "ingest"):
        assert services[name]["depends_on"]["topics"]["condition"] == "service_completed_successfully", name


@pytest.mark.parametrize("variable", list(KAFKA_PASSWORDS))
def test_compose_refuses_to_run_without_a_kafka_password(variable):
    result = _compose("config", without=variable)
    assert result.returncode != 0
    assert variable in result.stderr


def test_ingest_metrics_are_scraped_on_their_own_port_which_is_not_published():
    import yaml

    services = _config()["services"]
    ingest = services["ingest"]
    port = ingest["environment"]["CHATGUARD_INGEST_METRICS_PORT"]
    assert port != ingest["environment"]["CHATGUARD_INGEST_PORT"]
    assert not any(f":{port}" in str(p) for p in ingest["ports"]), "ingest metrics published on the host"
    scrape = yaml.safe_load(open(os.path.join(REPO, "deploy", "prometheus", "prometheus.yml")))
    (job,) = [j for j in scrape["scrape_configs"] if j["job_name"] == "chatguard-ingest"]
    assert job["static_configs"][0]["targets"] == [f"ingest:{port}"]
