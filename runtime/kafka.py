"""How every chatguard process reaches Kafka: one settings object for connectors and pipeline."""

from __future__ import annotations

import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from runtime.settings import load, masked_repr, setting
from schemas.errors import ConfigError

SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")


def _upper(raw: str) -> str:
    return raw.strip().upper()


@dataclass(frozen=True, slots=True)
class KafkaSettings:
    bootstrap: str = setting("CHATGUARD_KAFKA_BOOTSTRAP", "127.0.0.1:9092", "bootstrap servers, comma-separated")
    security_protocol: str = setting(
        "CHATGUARD_KAFKA_SECURITY_PROTOCOL",
        "PLAINTEXT",
        "`PLAINTEXT`, `SSL`, `SASL_PLAINTEXT`, `SASL_SSL`",
        choices=SECURITY_PROTOCOLS,
        parse=_upper,
    )
    sasl_mechanism: str | None = setting(
        "CHATGUARD_KAFKA_SASL_MECHANISM",
        None,
        "`PLAIN`, `SCRAM-SHA-256`, `SCRAM-SHA-512`",
        choices=SASL_MECHANISMS,
        parse=_upper,
        shown_default="`PLAIN` when SASL",
    )
    sasl_username: str | None = setting("CHATGUARD_KAFKA_SASL_USERNAME", None, "SASL user name")
    sasl_password: str | None = setting(
        "CHATGUARD_KAFKA_SASL_PASSWORD", None, "SASL password", secret=True, strong=False
    )
    ssl_cafile: str | None = setting(
        "CHATGUARD_KAFKA_SSL_CAFILE", None, "CA bundle to verify the brokers", shown_default="system CAs"
    )
    replication_factor: int = setting(
        "CHATGUARD_KAFKA_REPLICATION_FACTOR", 1, "for topics chatguard creates; use 3 on a real cluster", low=1, high=32
    )

    def __post_init__(self) -> None:
        if self.security_protocol not in SECURITY_PROTOCOLS:
            raise ConfigError(f"CHATGUARD_KAFKA_SECURITY_PROTOCOL: must be one of {', '.join(SECURITY_PROTOCOLS)}")
        if self.security_protocol.startswith("SASL_") and self.sasl_mechanism is None:
            object.__setattr__(self, "sasl_mechanism", "PLAIN")
        if not self.security_protocol.startswith("SASL_"):
            object.__setattr__(self, "sasl_mechanism", None)

    def __repr__(self) -> str:
        return masked_repr(self)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> KafkaSettings:
        return load(cls, environ)

    def ssl_context(self) -> ssl.SSLContext | None:
        if not self.security_protocol.endswith("SSL"):
            return None
        return ssl.create_default_context(cafile=self.ssl_cafile)

    def aiokafka_kwargs(self) -> dict[str, Any]:
        """Connection arguments for aiokafka's producer, consumer and admin client."""
        kwargs: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap,
            "security_protocol": self.security_protocol,
        }
        if self.security_protocol.endswith("SSL"):
            kwargs["ssl_context"] = self.ssl_context()
        if self.sasl_mechanism:
            kwargs.update(
                sasl_mechanism=self.sasl_mechanism,
                sasl_plain_username=self.sasl_username,
                sasl_plain_password=self.sasl_password,
            )
        return kwargs

    def librdkafka_config(self) -> dict[str, str]:
        """The same connection as librdkafka (confluent-kafka) configuration, for its AdminClient."""
        config = {"bootstrap.servers": self.bootstrap, "security.protocol": self.security_protocol}
        if self.security_protocol.endswith("SSL") and self.ssl_cafile:
            config["ssl.ca.location"] = self.ssl_cafile  # else librdkafka's default CA store
        if self.sasl_mechanism:
            config["sasl.mechanism"] = self.sasl_mechanism
            # librdkafka rejects None: leave unset credentials out (the broker then refuses).
            if self.sasl_username is not None:
                config["sasl.username"] = self.sasl_username
            if self.sasl_password is not None:
                config["sasl.password"] = self.sasl_password
        return config
