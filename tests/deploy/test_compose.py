"""deploy/compose.yaml is valid Compose and wires the services together (validated offline, no Docker engine):
the three hosting modes' profiles, the vault on, MirrorMaker only in hybrid."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest

from schemas.acls import Operation
from tests.support.mirrormaker import CLEAN, MIRROR_OPERATIONS, MM2_PROPERTIES, env_references, mm2_properties
from tests.support.tools import require_tool

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COMPOSE = os.path.join("deploy", "compose.yaml")
MODES = ("cloud", "onprem", "hybrid")
# Every mode: the pipeline, the vault, the monitoring. hybrid adds MirrorMaker and the cloud cluster.
SERVICES = {"kafka", "topics", "worker", "ingest", "vault-db", "vault-init", "vault-api", "forms", "prometheus", "grafana"}
HYBRID_ONLY = {"mirror-acls", "kafka-cloud", "mirrormaker"}
KAFKA_PASSWORDS = {
    "CHATGUARD_KAFKA_ADMIN_PASSWORD": "admin-pw-5f2c9a",
    "CHATGUARD_KAFKA_WORKER_PASSWORD": "worker-pw-8d1e7b",
    "CHATGUARD_KAFKA_INGEST_PASSWORD": "ingest-pw-3a6f0c",
    "CHATGUARD_KAFKA_VAULT_PASSWORD": "vault-pw-1b7e4d",
    "CHATGUARD_KAFKA_MIRROR_PASSWORD": "mirror-pw-9c2a5f",
}
# The other secrets compose refuses to start without.
SECRETS = {
    **KAFKA_PASSWORDS,
    "CHATGUARD_CLOUD_KAFKA_PASSWORD": "cloud-pw-4e8d1a",
    "CHATGUARD_VAULT_DB_PASSWORD": "vaultdb-pw-7f3b2c",
    "CHATGUARD_VAULT_API_TOKEN": "vault-api-token-2d9e6b1a",
    "CHATGUARD_FORMS_BOT_TOKEN": "forms-bot-token-6a1c8e3f",
}
MASTER_KEY_IN_CONTAINER = "/run/chatguard-vault/master.key"


def _compose(*args: str, key: str | None = "0123456789abcdef0123456789abcdef", without: str | None = None) -> subprocess.CompletedProcess:
    binary = require_tool("docker-compose", "apt-get install docker-compose")
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("CHATGUARD_PSEUDONYM_KEY", "CHATGUARD_VAULT_MASTER_KEY_SOURCE", "CHATGUARD_FORMS_PUBLIC_URL") and k not in SECRETS
    }
    if key is not None:
        env["CHATGUARD_PSEUDONYM_KEY"] = key
    env.update({k: v for k, v in SECRETS.items() if k != without})
    return subprocess.run(
        [binary, "-f", COMPOSE, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )


def test_compose_config_is_valid_and_has_all_services():
    result = _compose("config")
    assert result.returncode == 0, result.stderr
    services = _compose("config", "--services")
    assert services.returncode == 0, services.stderr
    assert set(services.stdout.split()) == SERVICES | HYBRID_ONLY
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
    admin, worker, ingest, vault, mirror = KAFKA_PASSWORDS.values()
    users = {"admin": admin, "chatguard-worker": worker, "chatguard-ingest": ingest, "chatguard-vault": vault, "chatguard-mirror": mirror}
    for listener in ("INTERNAL", "HOST"):
        jaas = kafka[f"KAFKA_LISTENER_NAME_{listener}_PLAIN_SASL_JAAS_CONFIG"]
        assert jaas.startswith("org.apache.kafka.common.security.plain.PlainLoginModule required ") and jaas.endswith(";")
        assert dict(re.findall(r'user_([\w.-]+)="([^"]*)"', jaas)) == users
    controller = kafka["KAFKA_LISTENER_NAME_CONTROLLER_PLAIN_SASL_JAAS_CONFIG"]
    assert f'user_admin="{admin}"' in controller and "user_chatguard" not in controller
    assert kafka["KAFKA_AUTHORIZER_CLASS_NAME"] == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    assert kafka["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"
    assert kafka["KAFKA_SUPER_USERS"] == "User:admin"
    # The healthcheck authenticates too (a PLAINTEXT probe would never succeed).
    assert "--command-config" in " ".join(_config()["services"]["kafka"]["healthcheck"]["test"])


def test_each_chatguard_service_logs_in_as_its_own_user():
    services = _config()["services"]
    admin, worker, ingest, vault, _mirror = KAFKA_PASSWORDS.values()
    expected = {
        "topics": ("admin", admin),
        "worker": ("chatguard-worker", worker),
        "ingest": ("chatguard-ingest", ingest),
        # Publishes erasure notices to chat.erasure: the vault role.
        "vault-api": ("chatguard-vault", vault),
        # Writes a submitted form's event to chat.raw: the ingest role, as every channel.
        "forms": ("chatguard-ingest", ingest),
    }
    for name, (user, password) in expected.items():
        env = services[name]["environment"]
        assert env["CHATGUARD_KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT", name
        assert env["CHATGUARD_KAFKA_SASL_MECHANISM"] == "PLAIN", name
        assert (env["CHATGUARD_KAFKA_SASL_USERNAME"], env["CHATGUARD_KAFKA_SASL_PASSWORD"]) == (user, password), name
    # The admin creates the topics and the ACLs of exactly these users before the others start.
    command = " ".join(services["topics"]["command"])
    assert "chatguard topics apply" in command
    for grant in ("ingest=chatguard-ingest", "worker=chatguard-worker", "vault=chatguard-vault"):
        assert f"--principal {grant}" in command, grant
    for name in ("worker", "ingest", "vault-api", "forms"):
        assert services[name]["depends_on"]["topics"]["condition"] == "service_completed_successfully", name


@pytest.mark.parametrize("variable", list(SECRETS))
def test_compose_refuses_to_run_without_a_secret(variable):
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


# -- hosting modes, the vault, MirrorMaker ---------------------------------------------------------


def _active(services: dict, mode: str) -> set[str]:
    """The services `--profile MODE` starts (Compose: no profiles = always, else one must match).
    The Debian docker-compose (1.29) prints every service whatever the profile, so it is computed here."""
    return {name for name, service in services.items() if not service.get("profiles") or mode in service["profiles"]}


def test_each_mode_starts_its_services_and_everything_they_wait_for():
    services = _config()["services"]
    assert all(service.get("profiles") for service in services.values()), "a service outside every mode"
    assert _active(services, "cloud") == _active(services, "onprem") == SERVICES
    assert _active(services, "hybrid") == SERVICES | HYBRID_ONLY
    assert _active(services, "none") == set()
    for mode in MODES:
        active = _active(services, mode)
        for name in active:
            missing = set(services[name].get("depends_on", {})) - active
            assert not missing, f"{mode}: {name} waits for {missing}, which the profile does not start"


def test_the_vault_is_on_with_its_key_file_and_postgresql():
    services = _config()["services"]
    for name in ("vault-init", "worker", "vault-api", "forms"):
        env = services[name]["environment"]
        assert env["CHATGUARD_VAULT"] == "on", name
        assert env["CHATGUARD_VAULT_MASTER_KEY_FILE"] == MASTER_KEY_IN_CONTAINER, name
        url = env["CHATGUARD_VAULT_DATABASE_URL"]
        assert url == f"postgresql+psycopg://chatguard:{SECRETS['CHATGUARD_VAULT_DB_PASSWORD']}@vault-db:5432/chatguard", name
        mounts = {v.split(":")[1]: v for v in services[name]["volumes"]}
        assert mounts[os.path.dirname(MASTER_KEY_IN_CONTAINER)].startswith("vault-key:"), name
        if name != "vault-init":
            assert mounts[os.path.dirname(MASTER_KEY_IN_CONTAINER)].endswith(":ro"), name
            assert services[name]["depends_on"]["vault-init"]["condition"] == "service_completed_successfully", name
    # The driver in the URL is the one chatguard installs.
    assert "psycopg[binary]" in Path(REPO, "pyproject.toml").read_text()
    db = services["vault-db"]
    assert db["environment"]["POSTGRES_PASSWORD"] == SECRETS["CHATGUARD_VAULT_DB_PASSWORD"]
    assert "ports" not in db, "the vault's database is for the vault's containers only"
    # Nobody runs without the vault.
    for name, service in services.items():
        assert service.get("environment", {}).get("CHATGUARD_VAULT", "on") == "on", name


def test_the_master_key_is_a_file_only_the_image_user_reads():
    config = _config()
    # A compose secret, from a git-ignored file by default; never an environment variable.
    assert config["secrets"]["vault-master-key"]["file"] == os.path.join(REPO, "deploy", "secrets", "vault-master.key")
    ignored = subprocess.run(["git", "check-ignore", "-q", "deploy/secrets/vault-master.key"], cwd=REPO)
    assert ignored.returncode == 0, "deploy/secrets/ must be git-ignored"
    init = config["services"]["vault-init"]
    assert [s["source"] for s in init["secrets"]] == ["vault-master-key"]
    uid = re.search(r"^USER (\d+)", Path(REPO, "deploy", "Dockerfile").read_text(), re.M).group(1)
    script = init["command"][-1]
    assert f"install -o {uid} -g {uid} -m 0400 /run/secrets/vault-master-key {MASTER_KEY_IN_CONTAINER}" in script
    assert "chatguard vault" in script  # opens the vault once: the schema is migrated before the others start
    assert init["user"] == "0:0"  # reads the bind-mounted secret whatever its owner on the host
    for name, service in config["services"].items():
        for variable, value in service.get("environment", {}).items():
            assert not re.fullmatch(r"[0-9a-fA-F]{64}", str(value)), f"{name}.{variable} looks like a key"


def test_vault_api_and_forms_ports():
    from vault.settings import FormsSettings, VaultApiSettings

    services = _config()["services"]
    api, forms = services["vault-api"], services["forms"]
    assert api["command"] == ["chatguard", "vault", "serve"]
    assert forms["command"] == ["chatguard", "vault", "forms"]
    assert api["environment"]["CHATGUARD_VAULT_API_PORT"] == str(VaultApiSettings().port) == "8091"
    assert forms["environment"]["CHATGUARD_FORMS_PORT"] == str(FormsSettings().port) == "8092"
    assert api["environment"]["CHATGUARD_VAULT_API_TOKEN"] == SECRETS["CHATGUARD_VAULT_API_TOKEN"]
    assert forms["environment"]["CHATGUARD_FORMS_BOT_TOKEN"] == SECRETS["CHATGUARD_FORMS_BOT_TOKEN"]
    for service, port in ((api, 8091), (forms, 8092)):
        assert [str(p) for p in service["ports"]] in ([f"127.0.0.1:{port}:{port}"], [f"127.0.0.1:{port}:{port}/tcp"])


def test_every_chatguard_variable_is_a_setting_the_code_reads():
    read = set()
    for package in ("schemas", "runtime", "connectors", "pipeline", "vault"):
        for path in Path(REPO, package).rglob("*.py"):
            read |= set(re.findall(r"CHATGUARD_[A-Z0-9_]+", path.read_text()))
    for name, service in _config()["services"].items():
        for variable in service.get("environment", {}):
            if variable.startswith("CHATGUARD_") and name not in ("kafka", "kafka-cloud", "mirror-acls"):
                assert variable in read, f"{name}: {variable} is read by no code"


def test_mirrormaker_runs_the_tested_file_with_every_variable_it_reads():
    services = _config()["services"]
    mm2 = services["mirrormaker"]
    assert mm2["command"] == ["/opt/kafka/bin/connect-mirror-maker.sh", "/etc/mirrormaker/mm2.properties"]
    assert f"{MM2_PROPERTIES}:/etc/mirrormaker/mm2.properties:ro" in mm2["volumes"]
    env = mm2["environment"]
    assert {k for k in env if k.startswith("MM2_")} == env_references(mm2_properties())
    assert env["MM2_CLIENT_BOOTSTRAP"] == "kafka:9092" and env["MM2_CLOUD_BOOTSTRAP"] == "kafka-cloud:9092"
    # Its own principal on the client's cluster; the cloud stand-in's admin on the cloud one.
    assert f'username="chatguard-mirror" password="{SECRETS["CHATGUARD_KAFKA_MIRROR_PASSWORD"]}"' in env["MM2_CLIENT_SASL_JAAS_CONFIG"]
    assert f'password="{SECRETS["CHATGUARD_CLOUD_KAFKA_PASSWORD"]}"' in env["MM2_CLOUD_SASL_JAAS_CONFIG"]
    assert mm2["depends_on"]["mirror-acls"]["condition"] == "service_completed_successfully"
    cloud = services["kafka-cloud"]["environment"]
    assert cloud["KAFKA_AUTO_CREATE_TOPICS_ENABLE"] == "false", "only what MirrorMaker creates may exist in the cloud"
    assert cloud["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false"


def test_mirrormaker_may_read_the_clean_topics_and_nothing_else():
    command = shlex.split(_config()["services"]["mirror-acls"]["command"][-1].split("&&")[-1])
    assert command[0] == "/opt/kafka/bin/kafka-acls.sh" and "--add" in command and "--remove" not in command

    def values(flag: str) -> list[str]:
        return [command[i + 1] for i, word in enumerate(command) if word == flag]

    assert values("--allow-principal") == ["User:chatguard-mirror"]
    assert set(values("--topic")) == CLEAN
    assert set(values("--operation")) == {op.label for op in MIRROR_OPERATIONS}
    assert Operation.WRITE.label not in values("--operation")
    assert not values("--group") and not values("--cluster") and "--deny-principal" not in command


def test_secrets_stay_out_of_the_image_build():
    ignored = Path(REPO, "deploy", "Dockerfile.dockerignore").read_text().split()
    assert "deploy/secrets" in ignored and ".run" in ignored
