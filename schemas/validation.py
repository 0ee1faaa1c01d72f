"""Field checks shared by the event contracts. Each raises SchemaError naming the field."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from schemas.errors import SchemaError

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
MAX_ID_LENGTH = 256
MAX_TEXT_LENGTH = 65_536
MAX_METADATA_KEYS = 32
MAX_METADATA_VALUE_LENGTH = 1_024

_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,39}")
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})\Z")


def require_object(value: Any, field: str = "event") -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise SchemaError(field, f"must be a JSON object, got {_json_type(value)}")
    return value


def reject_unknown(data: Mapping[str, Any], allowed: frozenset[str], prefix: str = "") -> None:
    for key in data:
        if key not in allowed:
            # A key is sender-controlled text: name it only when it looks like a field name.
            shown = key if _FIELD_NAME.fullmatch(key) else "<unprintable key>"
            raise SchemaError(f"{prefix}{shown}", "unknown field")


def identifier(data: Mapping[str, Any], field: str) -> str:
    value = data.get(field)
    if value is None:
        raise SchemaError(field, "required")
    if not isinstance(value, str):
        raise SchemaError(field, f"must be a string, got {_json_type(value)}")
    if not value.strip():
        raise SchemaError(field, "must not be empty")
    if len(value) > MAX_ID_LENGTH:
        raise SchemaError(field, f"longer than {MAX_ID_LENGTH} characters")
    if _CONTROL.search(value):  # no platform issues them; PostgreSQL cannot even store a NUL
        raise SchemaError(field, "must not hold control characters")
    return value


def text(data: Mapping[str, Any], field: str) -> str:
    value = data.get(field)
    if value is None:
        raise SchemaError(field, "required")
    if not isinstance(value, str):
        raise SchemaError(field, f"must be a string, got {_json_type(value)}")
    if len(value) > MAX_TEXT_LENGTH:
        raise SchemaError(field, f"longer than {MAX_TEXT_LENGTH} characters")
    return value


def one_of(data: Mapping[str, Any], field: str, allowed: frozenset[str]) -> str:
    value = data.get(field)
    if value is None:
        raise SchemaError(field, "required")
    if not isinstance(value, str) or value not in allowed:
        raise SchemaError(field, f"must be one of {', '.join(sorted(allowed))}")
    return value


def matching(data: Mapping[str, Any], field: str, pattern: re.Pattern[str], what: str) -> str:
    value = data.get(field)
    if value is None:
        raise SchemaError(field, "required")
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise SchemaError(field, f"must be {what}")
    return value


def timestamp(data: Mapping[str, Any], field: str) -> str:
    """An RFC 3339 date-time with an offset, kept as the sender wrote it."""
    value = data.get(field)
    if value is None:
        raise SchemaError(field, "required")
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise SchemaError(field, "must be an RFC 3339 date-time with offset, e.g. 2026-11-29T10:00:00Z")
    try:
        datetime.fromisoformat(value.upper())  # RFC 3339 allows a lower-case "z"; fromisoformat does not
    except ValueError:
        raise SchemaError(field, "not a valid calendar date-time") from None
    return value


def version(data: Mapping[str, Any], field: str, expected: int) -> int:
    value = data.get(field, expected)
    if value != expected or isinstance(value, bool):
        raise SchemaError(field, f"unsupported version, this reader knows {expected}")
    return expected


def metadata(data: Mapping[str, Any], field: str) -> dict[str, str | int | float | bool | None]:
    """Optional flat object of scalars: nested structures are where profile data hides."""
    value = data.get(field)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SchemaError(field, f"must be a JSON object, got {_json_type(value)}")
    if len(value) > MAX_METADATA_KEYS:
        raise SchemaError(field, f"more than {MAX_METADATA_KEYS} keys")
    # Keys are not echoed in errors: they are sender-controlled text.
    for key, item in value.items():
        if len(key) > 64:
            raise SchemaError(field, "a key is longer than 64 characters")
        if isinstance(item, (dict, list)):
            raise SchemaError(field, "values must be strings, numbers, booleans or null")
        if isinstance(item, str) and len(item) > MAX_METADATA_VALUE_LENGTH:
            raise SchemaError(field, f"a value is longer than {MAX_METADATA_VALUE_LENGTH} characters")
    return dict(value)


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__
