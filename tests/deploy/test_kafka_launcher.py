"""deploy/kafka/kafka.sh without starting Java: syntax, generated config, stop/status on an empty state dir.
The real broker is exercised by the integration tests."""

from __future__ import annotations

import os
import subprocess

import pytest

from tests.support.tools import require_tool

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(REPO, "deploy", "kafka", "kafka.sh")


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


# -- secured mode (CHATGUARD_KAFKA_SASL_USERS_FILE) ---------------------------------------------


def _props(path) -> dict[str, str]:
    lines = [line for line in open(path).read().splitlines() if line and not line.startswith("#")]
    return dict(line.split("=", 1) for line in lines)


def _secured(tmp_path, users: str, **extra: str) -> subprocess.CompletedProcess:
    users_file = tmp_path / "users"
    users_file.write_text(users)
    env = dict(
        os.environ,
        CHATGUARD_KAFKA_STATE_DIR=str(tmp_path / "state"),
        CHATGUARD_KAFKA_PORT="19999",
        CHATGUARD_KAFKA_SASL_USERS_FILE=str(users_file),
        **extra,
    )
    env.pop("CHATGUARD_KAFKA_CONTROLLER_PORT", None)
    if "CHATGUARD_KAFKA_SASL_ADMIN" not in extra:
        env.pop("CHATGUARD_KAFKA_SASL_ADMIN", None)
    return subprocess.run(["bash", SCRIPT, "config"], env=env, capture_output=True, text=True, timeout=30)


def test_default_mode_has_no_sasl_and_no_authorizer(tmp_path):
    result = _run("config", state_dir=tmp_path)
    assert result.returncode == 0, result.stderr
    props = _props(result.stdout.strip())
    assert not [k for k in props if "sasl" in k or k.startswith(("authorizer", "super.users", "allow.everyone"))]
    assert "SASL" not in props["listener.security.protocol.map"]


def test_secured_mode_config(tmp_path):
    result = _secured(tmp_path, "# users\nadmin:s3cret-admin\n\nchatguard-worker:w0rk~er#pw=x:y\r\nanalytics:a\n")
    assert result.returncode == 0, result.stderr
    path = result.stdout.strip()
    assert os.stat(path).st_mode & 0o077 == 0, "server.properties holds passwords: owner-only"
    props = _props(path)
    assert props["listeners"] == "SASL_PLAINTEXT://127.0.0.1:19999,CONTROLLER://127.0.0.1:20999"
    assert props["advertised.listeners"] == "SASL_PLAINTEXT://127.0.0.1:19999"
    assert props["listener.security.protocol.map"] == "SASL_PLAINTEXT:SASL_PLAINTEXT,CONTROLLER:SASL_PLAINTEXT"
    assert props["inter.broker.listener.name"] == "SASL_PLAINTEXT"
    assert props["controller.listener.names"] == "CONTROLLER"
    assert props["sasl.enabled.mechanisms"] == "PLAIN"
    assert props["sasl.mechanism.inter.broker.protocol"] == "PLAIN"
    assert props["sasl.mechanism.controller.protocol"] == "PLAIN"
    assert props["authorizer.class.name"] == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    assert props["allow.everyone.if.no.acl.found"] == "false"
    assert props["super.users"] == "User:admin"
    login = 'org.apache.kafka.common.security.plain.PlainLoginModule required username="admin" password="s3cret-admin"'
    assert props["listener.name.sasl_plaintext.plain.sasl.jaas.config"] == (
        f'{login} user_admin="s3cret-admin" user_chatguard-worker="w0rk~er#pw=x:y" user_analytics="a";'
    )
    # Only the admin (the broker itself) may log in on the controller listener.
    assert props["listener.name.controller.plain.sasl.jaas.config"] == f'{login} user_admin="s3cret-admin";'
    # The rest of the file is the default mode's.
    assert props["controller.quorum.voters"] == "1@127.0.0.1:20999"
    assert props["auto.create.topics.enable"] == "false"


def test_secured_mode_admin_is_configurable(tmp_path):
    result = _secured(tmp_path, "root:pw1\nother:pw2\n", CHATGUARD_KAFKA_SASL_ADMIN="root")
    assert result.returncode == 0, result.stderr
    props = _props(result.stdout.strip())
    assert props["super.users"] == "User:root"
    assert 'username="root" password="pw1"' in props["listener.name.controller.plain.sasl.jaas.config"]


@pytest.mark.parametrize(
    ("users", "message"),
    [
        ("admin:Xyzzy-with space\n", "printable ASCII"),
        ('admin:Xyzzy"quote\n', "printable ASCII"),
        ("admin:Xyzzy\\backslash\n", "printable ASCII"),
        ("admin:Xyzzyä\n", "printable ASCII"),
        ("admin:\n", "printable ASCII"),
        ("ad min:Xyzzy\n", "username"),
        ("adminXyzzy\n", "username:password"),
        ("admin:Xyzzy1\nadmin:Xyzzy2\n", "listed twice"),
        ("someone:Xyzzy\n", "user admin is not in"),
        ("", "user admin is not in"),
    ],
)
def test_secured_mode_refuses_bad_users_files(tmp_path, users, message):
    result = _secured(tmp_path, users)
    assert result.returncode != 0
    assert message in result.stderr
    assert "Xyzzy" not in result.stderr, "a users file line (password) leaked into the error"
    assert not (tmp_path / "state" / "server.properties").exists()


def test_secured_mode_needs_a_readable_users_file(tmp_path):
    env = dict(os.environ, CHATGUARD_KAFKA_STATE_DIR=str(tmp_path / "state"), CHATGUARD_KAFKA_PORT="19999",
               CHATGUARD_KAFKA_SASL_USERS_FILE=str(tmp_path / "missing"))
    result = subprocess.run(["bash", SCRIPT, "config"], env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode != 0
    assert "cannot read" in result.stderr


# -- MirrorMaker 2 and Connect from the same jars -----------------------------------------------


@pytest.mark.parametrize(
    "args",
    [["mirror"], ["mirror", "/nonexistent/mm2.properties"], ["mirror", "a", "b"], ["connect-standalone", "worker.properties"]],
)
def test_tools_refuse_bad_arguments_before_starting_java(tmp_path, args):
    result = _run(*args, state_dir=tmp_path)
    assert result.returncode == 1 and "usage:" in result.stderr, result.stderr


def test_the_jar_cache_follows_pom_xml():
    """A cache fetched from an older pom.xml (before MirrorMaker was in it) is fetched again."""
    text = open(SCRIPT).read()
    assert 'POM_STAMP=$(cksum <"$HERE/pom.xml")' in text
    assert '$(<"$DIST/.complete") == "$POM_STAMP"' in text
    pom = open(os.path.join(REPO, "deploy", "kafka", "pom.xml")).read()
    for artifact in ("kafka_2.13", "connect-mirror", "connect-mirror-client", "connect-runtime"):
        assert f"<artifactId>{artifact}</artifactId>\n      <version>${{kafka.version}}</version>" in pom, artifact
