"""One rule for every secret (runtime/secrets.py), and settings whose repr never shows one."""

from __future__ import annotations

import pytest

from connectors.settings import IngestSettings
from pipeline.errors import ConfigError
from pipeline.settings import Settings
from runtime.kafka import KafkaSettings
from runtime.secrets import MIN_SECRET_LENGTH, check_secret

GOOD = "Zq9-" * 8
CHANNEL_SECRETS = (
    "CHATGUARD_SLACK_SIGNING_SECRET",
    "CHATGUARD_MESSENGER_APP_SECRET",
    "CHATGUARD_MESSENGER_VERIFY_TOKEN",
    "CHATGUARD_TELEGRAM_SECRET_TOKEN",
    "CHATGUARD_INGEST_HMAC_SECRET",
)
WEAK = [
    "x",
    "a" * (MIN_SECRET_LENGTH - 1),
    " " * 32,
    "\t \n" * 8,
    "a" * 40,  # long, but one character
    "\u200b" * 20,  # zero-width spaces: invisible
    "0123456789abcdef\u200b",  # a format character inside
]


@pytest.mark.parametrize("value", WEAK)
def test_weak_secrets_are_refused_naming_the_variable(value):
    with pytest.raises(ValueError, match=r"^CHATGUARD_X: must be at least 16 visible characters") as info:
        check_secret("CHATGUARD_X", value)
    assert len(value.strip()) < 2 or value not in str(info.value)  # never quotes the value


@pytest.mark.parametrize("value", ["0123456789abcdef", "correct horse battery staple", "  f56b1657dc0a4e6b  "])
def test_a_secret_that_follows_the_rule_is_taken_as_is(value):
    assert check_secret("CHATGUARD_X", value) == value


@pytest.mark.parametrize("name", CHANNEL_SECRETS)
@pytest.mark.parametrize("value", WEAK)
def test_the_ingest_service_refuses_a_weak_channel_secret(name, value):
    with pytest.raises(ValueError, match=f"^{name}: "):
        IngestSettings.from_env({name: value})


@pytest.mark.parametrize("value", WEAK)
def test_the_worker_refuses_a_weak_pseudonym_key_by_the_same_rule(value):
    with pytest.raises(ConfigError, match="^CHATGUARD_PSEUDONYM_KEY: must be at least 16 visible characters"):
        Settings.from_env({"CHATGUARD_PSEUDONYM_KEY": value})


def test_unset_channel_secrets_still_mean_disabled():
    settings = IngestSettings.from_env({})
    assert settings.slack_signing_secret is None and settings.telegram_secret_token is None


def test_no_settings_repr_shows_a_secret():
    secrets = {name: f"{name.lower()}-{GOOD}" for name in CHANNEL_SECRETS}
    env = {
        **secrets,
        "CHATGUARD_WIDGET_SITE_KEYS": "site-key-abcdef",
        "CHATGUARD_KAFKA_SECURITY_PROTOCOL": "SASL_SSL",
        "CHATGUARD_KAFKA_SASL_USERNAME": "chatguard-ingest",
        "CHATGUARD_KAFKA_SASL_PASSWORD": "kafka-password-" + GOOD,
        "CHATGUARD_PSEUDONYM_KEY": "pseudonym-key-" + GOOD,
    }
    ingest, worker, kafka = IngestSettings.from_env(env), Settings.from_env(env), KafkaSettings.from_env(env)
    for shown in (repr(ingest), str(ingest), repr(worker), str(worker), repr(kafka)):
        for value in (*secrets.values(), "site-key-abcdef", env["CHATGUARD_KAFKA_SASL_PASSWORD"], GOOD):
            assert value not in shown
    # Still useful for debugging: what is set, and everything that is not secret.
    assert "sasl_password='***'" in repr(kafka) and "sasl_username='chatguard-ingest'" in repr(kafka)
    assert "slack_signing_secret='***'" in repr(ingest) and "port=8080" in repr(ingest)
    assert "sasl_password=None" in repr(KafkaSettings())
    assert "pseudonym_key='***'" in repr(worker) and "batch_size=256" in repr(worker)
    # The values themselves are intact.
    assert ingest.slack_signing_secret == secrets["CHATGUARD_SLACK_SIGNING_SECRET"].encode()
    assert worker.pseudonym_key == env["CHATGUARD_PSEUDONYM_KEY"].encode()
