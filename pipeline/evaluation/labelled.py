"""Labelled JSONL: one ``{"text", "entities": [{"type", "start", "end"}], "lang"}`` a line.

Entity types are the direct identifiers chatguard redacts (scored) and the context types that
public evaluation sets also label (places, organisations, dates...: read, not scored).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from schemas.errors import ChatguardError

# Scored: values that identify a person on their own. The order is the report's row order.
DIRECT_IDENTIFIERS: tuple[str, ...] = (
    "PERSON",
    "EMAIL_ADDRESS",
    "PHONE_NUMBER",
    "CREDIT_CARD",
    "IBAN_CODE",
    "IP_ADDRESS",
    "PL_PESEL",
    "PL_NIP",
    "PL_REGON",
    "PL_ID_CARD",
    "STREET_ADDRESS",
    "URL_PII",
    "US_SSN",
    "US_DRIVER_LICENSE",
)
# The chat set's types (tests/data/chat_pii_labelled.jsonl).
ENTITY_TYPES: tuple[str, ...] = DIRECT_IDENTIFIERS[:12]
# Labelled by public sets (presidio-research's synth_dataset_v2, presidio-evaluator's generator)
# but not personal data on their own: a city, a company, a date. Read and ignored.
CONTEXT_TYPES = frozenset(
    {"GPE", "LOCATION", "ORGANIZATION", "DATE_TIME", "TITLE", "AGE", "NRP", "ZIP_CODE", "DOMAIN_NAME", "URL"}
)
KNOWN_TYPES = frozenset(DIRECT_IDENTIFIERS) | CONTEXT_TYPES
LANGUAGES = frozenset({"en", "pl"})


class LabelledDataError(ChatguardError, ValueError):
    """A labelled file is unreadable or a line is malformed; the message names the line."""

    exit_code = 2  # bad input, as a bad argument


@dataclass(frozen=True, slots=True)
class Entity:
    type: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class LabelledMessage:
    text: str
    entities: tuple[Entity, ...]
    lang: str
    line: int = 0  # 1-based line in the file it came from; 0 when built in code

    def value(self, entity: Entity) -> str:
        return self.text[entity.start : entity.end]

    @property
    def identifiers(self) -> tuple[Entity, ...]:
        """The scored entities (direct identifiers)."""
        return tuple(e for e in self.entities if e.type in DIRECT_IDENTIFIERS)


_LINE_FIELDS = frozenset({"text", "entities", "lang"})
_ENTITY_FIELDS = frozenset({"type", "start", "end"})


def load_labelled(path: str | Path) -> list[LabelledMessage]:
    """Read a labelled JSONL file. Blank lines are skipped; any bad line raises LabelledDataError."""
    path = Path(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise LabelledDataError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise LabelledDataError(f"{path}: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    out = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append(parse_labelled_line(line, number))
        except LabelledDataError as exc:
            raise LabelledDataError(f"{path}:{number}: {exc}") from None
    return out


def parse_labelled_line(line: str, number: int = 0) -> LabelledMessage:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise LabelledDataError(f"invalid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(data, dict):
        raise LabelledDataError(f"must be a JSON object, got {type(data).__name__}")
    unknown = sorted(set(data) - _LINE_FIELDS)
    if unknown:
        raise LabelledDataError(f"unknown field {', '.join(map(repr, unknown))}")
    missing = sorted(_LINE_FIELDS - set(data))
    if missing:
        raise LabelledDataError(f"missing field {', '.join(map(repr, missing))}")
    text, lang, entities = data["text"], data["lang"], data["entities"]
    if not isinstance(text, str):
        raise LabelledDataError("'text' must be a string")
    if lang not in LANGUAGES:
        raise LabelledDataError(f"'lang' must be one of {', '.join(sorted(LANGUAGES))}")
    if not isinstance(entities, list):
        raise LabelledDataError("'entities' must be a list")
    parsed = []
    for i, ent in enumerate(entities):
        at = f"entities[{i}]"
        if not isinstance(ent, dict):
            raise LabelledDataError(f"{at} must be an object")
        unknown = sorted(set(ent) - _ENTITY_FIELDS)
        if unknown:
            raise LabelledDataError(f"{at}: unknown field {', '.join(map(repr, unknown))}")
        missing = sorted(_ENTITY_FIELDS - set(ent))
        if missing:
            raise LabelledDataError(f"{at}: missing field {', '.join(map(repr, missing))}")
        etype, start, end = ent["type"], ent["start"], ent["end"]
        if etype not in KNOWN_TYPES:
            raise LabelledDataError(f"{at}: unknown entity type {etype!r}")
        if not all(isinstance(x, int) and not isinstance(x, bool) for x in (start, end)):
            raise LabelledDataError(f"{at}: start and end must be integers")
        if not 0 <= start < end <= len(text):
            raise LabelledDataError(f"{at}: offsets {start}..{end} out of range for a text of {len(text)} characters")
        parsed.append(Entity(etype, start, end))
    return LabelledMessage(text, tuple(parsed), lang, number)
