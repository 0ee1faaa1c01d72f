"""Session-wide fixtures: a real Kafka broker, generated secrets, topic and consumer helpers."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.brokers import broker_env, kafka_brokers
from tests.support.kafka import create_topics
from tests.support.ports import free_port
from tests.support.vaults import vault_env


@pytest.fixture(scope="session")
def kafka_bootstrap(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A real broker for the whole session.

    CHATGUARD_TEST_KAFKA_BOOTSTRAP points the tests at a broker you run yourself; otherwise
    one is started here (deploy/kafka/kafka.sh) on a free port and stopped afterwards. If it
    cannot start, the tests that need it fail: they never skip.
    """
    given = os.environ.get("CHATGUARD_TEST_KAFKA_BOOTSTRAP")
    if given:
        create_topics(given)
        yield given
        return
    with kafka_brokers([broker_env(tmp_path_factory.mktemp("kafka"))]) as (bootstrap,):
        create_topics(bootstrap)
        yield bootstrap


@pytest.fixture(scope="session")
def pseudonym_key() -> str:
    return secrets.token_hex(32)


@pytest.fixture
def chatguard_env(kafka_bootstrap: str, pseudonym_key: str, tmp_path: Path) -> dict[str, str]:
    """Environment for a chatguard process talking to the test broker, with a vault of its own."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHATGUARD_")}
    env.update(
        CHATGUARD_KAFKA_BOOTSTRAP=kafka_bootstrap,
        CHATGUARD_PSEUDONYM_KEY=pseudonym_key,
        CHATGUARD_METRICS_PORT=str(free_port()),
        CHATGUARD_CONSUMER_GROUP=f"chatguard-test-{secrets.token_hex(4)}",
        CHATGUARD_LOG_LEVEL="WARNING",
        **vault_env(tmp_path / "vault"),
    )
    return env


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A real PostgreSQL for the session (the vault's and the console's tests share it). If it
    cannot start, the tests that need it fail."""
    from tests.support.postgres import postgres_server

    with postgres_server() as url:
        yield url
