"""PolicyDocument v1: the detection policy as one versioned document.

Which entity types are looked for, from which score, and how each destination replaces a finding:
the shape of ``pipeline/policies.toml`` exactly, plus a top-level ``version`` that every clean
event carries as ``policy_version``. The console publishes approved documents to the compacted
``chat.policy`` topic under ``POLICY_KEY`` (the latest record is the active policy); workers switch
to a new one between two batches. JSON on the wire, TOML in files, the same fields in both::

    version = "2026-12-02.1"
    [detection]
    entities = ["PERSON", "EMAIL_ADDRESS"]
    score_threshold = 0.3          # optional, 0.3
    [policies.storage]
    operator = "mask"
    mask_char = "*"                # optional, "*"
    [policies.nlp]
    operator = "numbered"
    overrides = { EMAIL_ADDRESS = "mask" }   # optional: one entity type, another operator
    [policies.analytics]
    operator = "pseudonym"

``weakenings(old, new)`` names each change that lowers protection: those take effect only after
an Administrator approves them (the console's two-person rule; ``chatguard policy publish`` asks
for ``--allow-weakening``). Errors name the field, never quote a value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal, cast

import orjson

from schemas import validation as v
from schemas.errors import SchemaError
from schemas.topics import DESTINATIONS

POLICY_DOCUMENT_VERSION = 1
# Key of every record on chat.policy: one key, so compaction keeps the latest document.
POLICY_KEY = b"current"
MAX_DOCUMENT_BYTES = 64 * 1024
MAX_ENTITIES = 100
DEFAULT_SCORE_THRESHOLD = 0.3
DEFAULT_MASK_CHAR = "*"

Operator = Literal["placeholder", "mask", "numbered", "pseudonym"]

# The operators of pipeline/anonymise.py, strongest first. Ranked by what a reader of a clean
# topic learns about a value beyond its entity type (every finding names its type anyway):
#   placeholder  <PERSON>: nothing more.
#   mask         **********: the value's length. A local hint that narrows a guess a little but
#                links nothing: two masked values of the same length need not be the same value.
#   numbered     <PERSON_1>: which mentions within one conversation are the same value. Linking,
#                confined to a conversation (whose messages are linked already by its id).
#   pseudonym    <PERSON_3f9a...>: the same value across every conversation and sender until the
#                key is rotated (frequency and cross-conversation linking), and whoever holds
#                CHATGUARD_PSEUDONYM_KEY can confirm a guessed value by computing its HMAC.
# Linking is ranked worse than revealing a length: linking is what rebuilds a profile of a person
# from pseudonymous records (singling out, linkability, inference: the Article 29 Working Party's
# criteria, Opinion 05/2014), a length alone does not. Moving down this list weakens protection.
OPERATORS: tuple[Operator, ...] = ("placeholder", "mask", "numbered", "pseudonym")
OPERATOR_STRENGTH: Mapping[str, int] = MappingProxyType(
    {op: len(OPERATORS) - rank for rank, op in enumerate(OPERATORS)}
)

VERSION_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+-]{0,63}")
_ENTITY = re.compile(r"[A-Z][A-Z0-9_]{0,63}")
_POLICY_KEYS = frozenset({"version", "operator", "mask_char", "overrides"})
_TOP_KEYS = frozenset({"schema_version", "version", "detection", "policies"})


def weaker(new: str, old: str) -> bool:
    """Whether operator ``new`` protects less than ``old`` (see OPERATORS)."""
    return OPERATOR_STRENGTH[new] < OPERATOR_STRENGTH[old]


@dataclass(frozen=True, slots=True)
class DestinationPolicy:
    """How one destination (its clean topic) replaces every finding."""

    operator: Operator
    mask_char: str = DEFAULT_MASK_CHAR
    # Entity type -> operator, where one type needs other treatment than the default.
    overrides: Mapping[str, Operator] = field(default_factory=lambda: MappingProxyType({}))
    # Older policy files label each destination; kept as written, never stamped on events.
    version: str | None = None

    def operator_for(self, entity_type: str) -> Operator:
        return self.overrides.get(entity_type, self.operator)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "operator": self.operator,
            "mask_char": self.mask_char,
            "overrides": dict(self.overrides),
        }
        if self.version is not None:
            out["version"] = self.version
        return out


@dataclass(frozen=True, slots=True)
class PolicyDocument:
    version: str  # stamped on every clean event as policy_version
    entities: tuple[str, ...]
    score_threshold: float
    policies: Mapping[str, DestinationPolicy]  # one per destination (schemas.topics.DESTINATIONS)
    schema_version: int = POLICY_DOCUMENT_VERSION

    @classmethod
    def from_dict(cls, data: Any) -> PolicyDocument:
        """Validate a decoded document (JSON or TOML); raises SchemaError naming the first bad field."""
        obj = v.require_object(data, "policy")
        v.reject_unknown(obj, _TOP_KEYS)
        schema_version = v.version(obj, "schema_version", POLICY_DOCUMENT_VERSION)
        version = _version(obj.get("version"), "version")
        detection = _table(obj.get("detection"), "detection")
        v.reject_unknown(detection, frozenset({"entities", "score_threshold"}), prefix="detection.")
        entities = _entities(detection.get("entities"))
        threshold = _threshold(detection.get("score_threshold", DEFAULT_SCORE_THRESHOLD))
        tables = _table(obj.get("policies"), "policies")
        v.reject_unknown(tables, frozenset(DESTINATIONS), prefix="policies.")
        missing = [d for d in DESTINATIONS if d not in tables]
        if missing:
            raise SchemaError("policies", f"no policy for destination {', '.join(missing)} (each needs one)")
        policies = {name: _destination(name, tables[name]) for name in DESTINATIONS}
        return cls(version, entities, threshold, MappingProxyType(policies), schema_version)

    def to_dict(self) -> dict[str, Any]:
        """The document as JSON-ready data; ``from_dict`` of it gives this document back."""
        return {
            "schema_version": self.schema_version,
            "version": self.version,
            "detection": {"entities": list(self.entities), "score_threshold": self.score_threshold},
            "policies": {name: policy.to_dict() for name, policy in self.policies.items()},
        }

    def encode(self) -> bytes:
        return orjson.dumps(self.to_dict())

    @classmethod
    def decode(cls, data: bytes | str) -> PolicyDocument:
        if len(data) > MAX_DOCUMENT_BYTES:
            raise SchemaError("policy", f"larger than {MAX_DOCUMENT_BYTES} bytes")
        try:
            obj = orjson.loads(data)
        except orjson.JSONDecodeError as exc:
            # orjson's message quotes no input, only the position.
            raise SchemaError("policy", f"not valid JSON ({exc.args[0] if exc.args else 'parse error'})") from None
        return cls.from_dict(obj)


def weakenings(old: PolicyDocument, new: PolicyDocument) -> list[str]:
    """Every change from ``old`` to ``new`` that protects less, one sentence each (empty: none).

    Weakening: an entity type no longer detected; a higher score threshold; a destination's
    default operator, or the operator one entity type gets, replaced by a weaker one (OPERATORS);
    a destination without a policy. Not weakening: new entity types, a lower threshold, stronger
    operators, another mask character, another version label."""
    found = [
        f"detection.entities: {entity} is no longer detected" for entity in old.entities if entity not in new.entities
    ]
    if new.score_threshold > old.score_threshold:
        found.append(
            f"detection.score_threshold: raised from {old.score_threshold:g} to {new.score_threshold:g} "
            "(findings scored in between are no longer redacted)"
        )
    for name, before in old.policies.items():
        after = new.policies.get(name)
        if after is None:
            found.append(f"policies.{name}: removed")
            continue
        if weaker(after.operator, before.operator):
            found.append(f"policies.{name}.operator: {before.operator} -> {after.operator}, a weaker operator")
        for entity in sorted(set(before.overrides) | set(after.overrides)):
            was, now = before.operator_for(entity), after.operator_for(entity)
            if not weaker(now, was):
                continue
            if entity in after.overrides:
                found.append(f"policies.{name}.overrides.{entity}: {was} -> {now}, a weaker operator")
            else:
                found.append(
                    f"policies.{name}.overrides.{entity}: removed, so {entity} gets the default {now}, weaker than {was}"
                )
    return found


def _version(value: Any, at: str) -> str:
    if value is None:
        raise SchemaError(at, "required: the document's version id, e.g. 2026-12-02.1")
    if not isinstance(value, str) or not VERSION_PATTERN.fullmatch(value):
        raise SchemaError(
            at, "must be 1-64 characters of A-Z, a-z, 0-9, '.', '_', ':', '+', '-', starting alphanumeric"
        )
    return value


def _table(value: Any, at: str) -> Mapping[str, Any]:
    if value is None:
        raise SchemaError(at, f"required: the [{at}] table")
    if not isinstance(value, dict):
        raise SchemaError(at, "must be a table (a JSON object)")
    return value


def _entities(value: Any) -> tuple[str, ...]:
    at = "detection.entities"
    if not isinstance(value, list) or not value:
        raise SchemaError(at, "required: a non-empty list of entity type names")
    if len(value) > MAX_ENTITIES:
        raise SchemaError(at, f"more than {MAX_ENTITIES} entity types")
    seen: list[str] = []
    for i, entity in enumerate(value):
        if not isinstance(entity, str) or not _ENTITY.fullmatch(entity):
            raise SchemaError(f"{at}[{i}]", "must be an entity type name like PERSON (A-Z, 0-9, _)")
        if entity in seen:
            raise SchemaError(f"{at}[{i}]", f"{entity} is listed twice")
        seen.append(entity)
    return tuple(seen)


def _threshold(value: Any) -> float:
    at = "detection.score_threshold"
    if (
        not isinstance(value, (int, float))
        or isinstance(value, bool)
        or not math.isfinite(value)
        or not 0 <= value <= 1
    ):
        raise SchemaError(at, "must be a number between 0 and 1")
    return float(value)


def _operator(value: Any, at: str) -> Operator:
    if value is None:
        raise SchemaError(at, f"required: one of {', '.join(OPERATORS)}")
    if value not in OPERATOR_STRENGTH:
        raise SchemaError(at, f"must be one of {', '.join(OPERATORS)}")
    return cast(Operator, value)


def _destination(name: str, table: Any) -> DestinationPolicy:
    at = f"policies.{name}"
    if not isinstance(table, dict):
        raise SchemaError(at, "must be a table (a JSON object)")
    v.reject_unknown(table, _POLICY_KEYS, prefix=f"{at}.")
    operator = _operator(table.get("operator"), f"{at}.operator")
    mask_char = table.get("mask_char", DEFAULT_MASK_CHAR)
    if not isinstance(mask_char, str) or len(mask_char) != 1 or not mask_char.isprintable():
        raise SchemaError(f"{at}.mask_char", "must be one printable character")
    overrides = table.get("overrides", {})
    if not isinstance(overrides, dict):
        raise SchemaError(f"{at}.overrides", "must be a table of entity type = operator")
    if len(overrides) > MAX_ENTITIES:
        raise SchemaError(f"{at}.overrides", f"more than {MAX_ENTITIES} entity types")
    parsed: dict[str, Operator] = {}
    for entity, op in overrides.items():
        if not _ENTITY.fullmatch(entity):
            raise SchemaError(f"{at}.overrides", "keys must be entity type names like PERSON (A-Z, 0-9, _)")
        parsed[entity] = _operator(op, f"{at}.overrides.{entity}")
    version = table.get("version")
    if version is not None:
        version = _version(version, f"{at}.version")
    return DestinationPolicy(operator, mask_char, MappingProxyType(parsed), version)
