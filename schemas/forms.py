"""Secure forms: the fields a bot may ask for, and how a submitted form shows on the topics.

A bot that needs a contest winner's address or a phone to call back does not ask for it in the
chat: it asks for a one-time form (``POST /forms``, ``vault.forms``). The values go straight into
the vault; ``chat.raw`` and the clean topics get one event naming the fields submitted and their
``vault_ref``s. Field names come from ``FIELDS`` only, so no free text rides along with them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from schemas import validation as v
from schemas.errors import SchemaError

VAULT_REF = re.compile(r"v_[0-9a-f]{32}")


@dataclass(frozen=True, slots=True)
class FieldKind:
    entity_type: str  # the vault's entity type: a reveal shows it, a prefill matches on it
    label: str
    input_type: str  # the HTML input type: the visitor's keyboard and autofill
    autocomplete: str
    max_length: int


FIELDS: dict[str, FieldKind] = {
    "name": FieldKind("PERSON", "Full name", "text", "name", 200),
    "email": FieldKind("EMAIL_ADDRESS", "E-mail address", "email", "email", 254),
    "phone": FieldKind("PHONE_NUMBER", "Phone number", "tel", "tel", 40),
    "address": FieldKind("STREET_ADDRESS", "Postal address", "text", "street-address", 300),
    "pesel": FieldKind("PL_PESEL", "PESEL", "text", "off", 11),
    "contest_code": FieldKind("CONTEST_CODE", "Contest code", "text", "off", 64),
}
MAX_FIELDS = len(FIELDS)


def field_names(value: Any, where: str = "fields") -> tuple[str, ...]:
    """A request's list of wanted fields: known names, each once, at least one."""
    if not isinstance(value, list) or not value:
        raise SchemaError(where, f"a non-empty array of field names ({', '.join(FIELDS)})")
    names = []
    for i, name in enumerate(value):
        if not isinstance(name, str) or name not in FIELDS:
            raise SchemaError(f"{where}[{i}]", f"one of {', '.join(FIELDS)}")
        if name in names:
            raise SchemaError(f"{where}[{i}]", "listed twice")
        names.append(name)
    return tuple(names)


@dataclass(frozen=True, slots=True)
class SubmittedField:
    """One field of a submitted form: which, of what type, and where the vault keeps its value."""

    field: str
    entity_type: str
    vault_ref: str

    @classmethod
    def of(cls, field: str, vault_ref: str) -> SubmittedField:
        return cls(field, FIELDS[field].entity_type, vault_ref)

    @classmethod
    def from_dict(cls, data: Any, index: int) -> SubmittedField:
        where = f"form[{index}]"
        obj = v.require_object(data, where)
        v.reject_unknown(obj, frozenset({"field", "entity_type", "vault_ref"}), prefix=f"{where}.")
        field, entity_type, ref = obj.get("field"), obj.get("entity_type"), obj.get("vault_ref")
        if not isinstance(field, str) or field not in FIELDS:
            raise SchemaError(f"{where}.field", f"one of {', '.join(FIELDS)}")
        if entity_type != FIELDS[field].entity_type:
            raise SchemaError(f"{where}.entity_type", f"{FIELDS[field].entity_type} for {field}")
        if not isinstance(ref, str) or not VAULT_REF.fullmatch(ref):
            raise SchemaError(f"{where}.vault_ref", "a vault ref (v_ and 32 hex digits)")
        return cls(field, entity_type, ref)


def submitted_fields(data: Any) -> tuple[SubmittedField, ...]:
    """An event's ``form`` member: absent or null means no form."""
    if data is None:
        return ()
    if not isinstance(data, list) or len(data) > MAX_FIELDS:
        raise SchemaError("form", f"an array of at most {MAX_FIELDS} submitted fields, or null")
    parsed = tuple(SubmittedField.from_dict(item, i) for i, item in enumerate(data))
    if len({f.field for f in parsed}) != len(parsed):
        raise SchemaError("form", "a field listed twice")
    return parsed


def summary(fields: tuple[SubmittedField, ...]) -> str:
    """The text of a form's event: field names only, so detection finds nothing in it."""
    return "Secure form submitted: " + ", ".join(f.field for f in fields)
