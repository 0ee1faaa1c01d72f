"""Per-destination redaction policies, loaded from TOML and validated before any event is read.

The file's shape is the PolicyDocument contract (schemas/policy.py), which the console also
publishes to ``chat.policy``; ``PolicySet`` is what the engine runs of either.
"""

from __future__ import annotations

import hashlib
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any

import orjson

from pipeline.errors import ConfigError
from schemas.errors import SchemaError
from schemas.policy import OPERATORS as _OPERATORS
from schemas.policy import Operator, PolicyDocument

__all__ = ["OPERATORS", "Operator", "Policy", "PolicySet", "load_document", "load_policies", "parse_policies"]

OPERATORS: frozenset[str] = frozenset(_OPERATORS)


@dataclass(frozen=True, slots=True)
class Policy:
    name: str  # the destination it serves: analytics, storage, nlp
    version: str  # the policy document's version: stamped on every event as policy_version
    operator: Operator
    mask_char: str = "*"
    # Entity type -> operator, where one type needs other treatment than the default.
    overrides: Mapping[str, Operator] = field(default_factory=lambda: MappingProxyType({}))

    def operator_for(self, entity_type: str) -> Operator:
        return self.overrides.get(entity_type, self.operator)


@dataclass(frozen=True, slots=True)
class PolicySet:
    entities: tuple[str, ...]
    score_threshold: float
    policies: Mapping[str, Policy]
    version: str = ""

    @classmethod
    def from_document(cls, document: PolicyDocument) -> PolicySet:
        policies = {
            name: Policy(name, document.version, p.operator, p.mask_char, p.overrides)
            for name, p in document.policies.items()
        }
        return cls(document.entities, document.score_threshold, MappingProxyType(policies), document.version)


def load_policies(path: Path | None = None) -> PolicySet:
    """Read a policy file (default: the one shipped with chatguard) and validate it."""
    return PolicySet.from_document(load_document(path))


def load_document(path: Path | None = None, *, derive_version: bool = True) -> PolicyDocument:
    """A policy file (default: the one shipped with chatguard) as a validated PolicyDocument.

    A file without a top-level ``version`` (written before policies were versioned) gets
    ``file-`` and 12 hex digits of its content's SHA-256, unless ``derive_version`` is false."""
    where = str(path) if path else "policies.toml (built in)"
    try:
        raw = path.read_bytes() if path else resources.files("pipeline").joinpath("policies.toml").read_bytes()
        data = tomllib.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{where}: cannot read policies ({exc})") from None
    return parse_document(data, where, derive_version=derive_version)


def parse_policies(data: Mapping[str, Any], where: str = "policies") -> PolicySet:
    return PolicySet.from_document(parse_document(data, where))


def parse_document(data: Mapping[str, Any], where: str = "policies", *, derive_version: bool = True) -> PolicyDocument:
    derived = derive_version and isinstance(data, Mapping) and "version" not in data
    try:
        document = PolicyDocument.from_dict({**data, "version": "file"} if derived else data)
    except SchemaError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    if derived:
        content = {k: v for k, v in document.to_dict().items() if k != "version"}
        digest = hashlib.sha256(orjson.dumps(content, option=orjson.OPT_SORT_KEYS)).hexdigest()
        document = replace(document, version=f"file-{digest[:12]}")
    return document
