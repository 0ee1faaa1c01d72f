"""Per-destination redaction policies, loaded from TOML and validated before any event is read."""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

from pipeline.errors import ConfigError
from schemas.topics import DESTINATIONS

Operator = Literal["mask", "placeholder", "numbered", "pseudonym"]
OPERATORS: frozenset[str] = frozenset({"mask", "placeholder", "numbered", "pseudonym"})


@dataclass(frozen=True, slots=True)
class Policy:
    name: str  # the destination it serves: analytics, storage, nlp
    version: str
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


def load_policies(path: Path | None = None) -> PolicySet:
    """Read a policy file (default: the one shipped with chatguard) and validate it."""
    where = str(path) if path else "policies.toml (built in)"
    try:
        raw = path.read_bytes() if path else resources.files("pipeline").joinpath("policies.toml").read_bytes()
        data = tomllib.loads(raw.decode("utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{where}: cannot read policies ({exc})") from None
    return parse_policies(data, where)


def parse_policies(data: Mapping[str, Any], where: str = "policies") -> PolicySet:
    _only(data, {"detection", "policies"}, where)
    detection = _table(data, "detection", where)
    _only(detection, {"entities", "score_threshold"}, f"{where}: detection")
    entities = detection.get("entities")
    if not isinstance(entities, list) or not entities or not all(isinstance(e, str) and e for e in entities):
        raise ConfigError(f"{where}: detection.entities must be a non-empty list of entity type names")
    threshold = detection.get("score_threshold", 0.3)
    if not isinstance(threshold, (int, float)) or isinstance(threshold, bool) or not 0 <= threshold <= 1:
        raise ConfigError(f"{where}: detection.score_threshold must be a number between 0 and 1")

    tables = _table(data, "policies", where)
    missing = [d for d in DESTINATIONS if d not in tables]
    if missing:
        raise ConfigError(f"{where}: no policy for destination {', '.join(missing)}")
    _only(tables, set(DESTINATIONS), f"{where}: policies")
    policies = {name: _policy(name, tables[name], where) for name in DESTINATIONS}
    return PolicySet(tuple(entities), float(threshold), MappingProxyType(policies))


def _policy(name: str, table: Any, where: str) -> Policy:
    at = f"{where}: policies.{name}"
    if not isinstance(table, dict):
        raise ConfigError(f"{at} must be a table")
    _only(table, {"version", "operator", "mask_char", "overrides"}, at)
    version = table.get("version")
    if not isinstance(version, str) or not version:
        raise ConfigError(f"{at}.version must be a non-empty string")
    operator = _operator(table.get("operator"), f"{at}.operator")
    mask_char = table.get("mask_char", "*")
    if not isinstance(mask_char, str) or len(mask_char) != 1:
        raise ConfigError(f"{at}.mask_char must be one character")
    overrides = table.get("overrides", {})
    if not isinstance(overrides, dict):
        raise ConfigError(f"{at}.overrides must be a table of entity type = operator")
    parsed = {entity: _operator(op, f"{at}.overrides.{entity}") for entity, op in overrides.items()}
    return Policy(name, version, operator, mask_char, MappingProxyType(parsed))


def _operator(value: Any, at: str) -> Operator:
    if value not in OPERATORS:
        raise ConfigError(f"{at} must be one of {', '.join(sorted(OPERATORS))}")
    return value


def _table(data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: [{key}] table is required")
    return value


def _only(table: Mapping[str, Any], allowed: set[str], at: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigError(f"{at}: unknown key {', '.join(unknown)}")
