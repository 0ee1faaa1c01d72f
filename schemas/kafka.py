"""How every chatguard process reaches Kafka: one settings object for connectors and pipeline."""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass
from typing import Any, Mapping

from schemas.secrets import masked_repr

SECURITY_PROTOCOLS = frozenset({"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"})
SASL_MECHANISMS = frozenset({"PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"})


@dataclass(frozen=True, slots=True)
class KafkaSettings:
    bootstrap: str = "127.0.0.1:9092"
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str | None = None
    sasl_username: str | None = None
    sasl_password: str | None = None
    ssl_cafile: str | None = None
    # For topics chatguard creates. 1 suits the local one-node broker; use 3 on a cluster.
    replication_factor: int = 1

    def __repr__(self) -> str:
        return masked_repr(self, frozenset({"sasl_password"}))  # never the password

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> KafkaSettings:
        env = os.environ if environ is None else environ
        protocol = env.get("CHATGUARD_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT").upper()
        if protocol not in SECURITY_PROTOCOLS:
            raise ValueError(f"CHATGUARD_KAFKA_SECURITY_PROTOCOL: must be one of {', '.join(sorted(SECURITY_PROTOCOLS))}")
        mechanism = env.get("CHATGUARD_KAFKA_SASL_MECHANISM") or None
        if protocol.startswith("SASL_"):
            mechanism = (mechanism or "PLAIN").upper()
            if mechanism not in SASL_MECHANISMS:
                raise ValueError(f"CHATGUARD_KAFKA_SASL_MECHANISM: must be one of {', '.join(sorted(SASL_MECHANISMS))}")
        return cls(
            bootstrap=env.get("CHATGUARD_KAFKA_BOOTSTRAP", "127.0.0.1:9092"),
            security_protocol=protocol,
            sasl_mechanism=mechanism,
            sasl_username=env.get("CHATGUARD_KAFKA_SASL_USERNAME") or None,
            sasl_password=env.get("CHATGUARD_KAFKA_SASL_PASSWORD") or None,
            ssl_cafile=env.get("CHATGUARD_KAFKA_SSL_CAFILE") or None,
            replication_factor=_positive_int(env, "CHATGUARD_KAFKA_REPLICATION_FACTOR", 1),
        )

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


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if not raw:
        return default
    if not (raw.isascii() and raw.isdigit()) or int(raw) < 1:
        raise ValueError(f"{name}: must be a positive integer")
    return int(raw)
