"""Redaction quality on labelled chat messages: recall, leaks, over-redaction, throughput.

Pure functions over a *redactor*; nothing here loads a model until ``chatguard_redactor`` or
``presidio_redactor`` is called. Used by ``chatguard eval`` and the quality-gate test.

A redactor is ``Callable[[list[str]], list[RedactorResult]]``: given texts, it returns for each
``(redacted_text, spans)`` where spans are ``(start, end, entity_type)`` in the ORIGINAL text.
``redacted_text`` is ``None`` when the redactor published nothing for that text (chatguard holds
an event back when a step fails): that is no leak, but not an unchanged message either.

Metrics (per true entity type unless said otherwise):

- recall: a true entity is *found* when the detected spans, of any type, together cover every
  character of it except whitespace and invisible format characters (zero-width, soft hyphen).
  Any type, because a phone number masked as something else has still not leaked.
- leak rate: the share of true values still readable in the redacted text, i.e. whose
  ``normalise_for_leak(value)`` is a substring of the redacted text normalised the same way
  (for digit-heavy values both sides keep alphanumerics only, so "601 234 567" leaks as
  "601-234-567" too). A value shorter than 4 characters once normalised ("Ewa", "Jan") would
  match inside unrelated words, so for those the substring check is skipped and the value
  counts as leaked when it is not found (not fully covered, as for recall).
  A partly masked value is not a leak under this definition; recall is the strict measure.
- precision (overall): detected spans overlapping at least one true entity / all detected spans.
- PII-free unchanged: share of messages without entities whose redacted text equals the input.
- throughput: messages / second around the single redactor call (after an optional warm-up).
"""

from __future__ import annotations

import json
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

ENTITY_TYPES: tuple[str, ...] = (
    "PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "IP_ADDRESS",
    "PL_PESEL", "PL_NIP", "PL_REGON", "PL_ID_CARD", "STREET_ADDRESS", "URL_PII",
)
LANGUAGES = frozenset({"en", "pl"})

# Targets a release must meet (chatguard, storage policy). Leak rates are maxima, the PII-free
# unchanged share a minimum.
LEAK_TARGETS: Mapping[str, float] = {
    "EMAIL_ADDRESS": 0.005,
    "PHONE_NUMBER": 0.005,
    "CREDIT_CARD": 0.005,
    "IBAN_CODE": 0.005,
    "PL_PESEL": 0.005,
    "IP_ADDRESS": 0.005,
    "PERSON": 0.03,
    "STREET_ADDRESS": 0.05,
}
PII_FREE_UNCHANGED_TARGET = 0.98
SHORT_VALUE = 4  # normalised values shorter than this are judged by coverage, not substring

Span = tuple[int, int, str]  # start, end, entity type; original-text coordinates
RedactorResult = tuple[str | None, list[Span]]  # (redacted text or None if withheld, spans)
Redactor = Callable[[list[str]], list[RedactorResult]]


# ---------------------------------------------------------------------------------------------
# Labelled data
# ---------------------------------------------------------------------------------------------


class LabelledDataError(ValueError):
    """A labelled file is unreadable or a line is malformed; the message names the line."""


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
        if etype not in ENTITY_TYPES:
            raise LabelledDataError(f"{at}: unknown entity type {etype!r}")
        if not all(isinstance(x, int) and not isinstance(x, bool) for x in (start, end)):
            raise LabelledDataError(f"{at}: start and end must be integers")
        if not 0 <= start < end <= len(text):
            raise LabelledDataError(f"{at}: offsets {start}..{end} out of range for a text of {len(text)} characters")
        parsed.append(Entity(etype, start, end))
    return LabelledMessage(text, tuple(parsed), lang, number)


# ---------------------------------------------------------------------------------------------
# Normalisation for leak checks
# ---------------------------------------------------------------------------------------------

INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"
_DROP_INVISIBLE = dict.fromkeys(map(ord, INVISIBLE))
# Cyrillic and Greek letters that render like Latin ones, folded before case-folding so each
# case maps to its own look-alike (Greek capital NU looks like N, small nu like v).
_LOOKALIKES = str.maketrans({
    # Cyrillic
    "А": "A", "В": "B", "Е": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P", "С": "C", "Т": "T",
    "Х": "X", "У": "Y", "І": "I", "Ј": "J", "Ѕ": "S", "Ԛ": "Q", "Ԝ": "W",
    "а": "a", "е": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x", "і": "i", "ј": "j", "ѕ": "s",
    "ԁ": "d", "һ": "h", "ԛ": "q", "ԝ": "w", "ӏ": "l", "ɡ": "g",
    # Greek
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N", "Ο": "O",
    "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
    "α": "a", "ο": "o", "ι": "i", "κ": "k", "ν": "v", "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ε": "e",
})


def _fold(value: str) -> str:
    value = unicodedata.normalize("NFKC", value)
    value = value.translate(_DROP_INVISIBLE)
    return value.translate(_LOOKALIKES).casefold()


def is_digit_heavy(value: str) -> bool:
    """At least half of the value's letters and digits are digits (phone, card, IBAN, PESEL, ID card)."""
    alnum = [ch for ch in _fold(value) if ch.isalnum()]
    return bool(alnum) and 2 * sum(ch.isdigit() for ch in alnum) >= len(alnum)


def normalise_for_leak(value: str, alnum_only: bool | None = None) -> str:
    """NFKC, drop zero-width characters and soft hyphens, fold Cyrillic/Greek look-alikes to
    Latin, casefold; then keep only letters and digits when ``alnum_only`` (default: when the
    value is digit-heavy). To compare a value with a text, normalise the text with the value's
    ``alnum_only`` so both sides go through the same steps."""
    folded = _fold(value)
    if alnum_only is None:
        alnum_only = is_digit_heavy(value)
    return "".join(ch for ch in folded if ch.isalnum()) if alnum_only else folded


# ---------------------------------------------------------------------------------------------
# Metrics
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TypeStats:
    entity_type: str
    n: int
    found: int
    leaked: int

    @property
    def recall(self) -> float | None:
        return self.found / self.n if self.n else None

    @property
    def leak_rate(self) -> float | None:
        return self.leaked / self.n if self.n else None


@dataclass(frozen=True, slots=True)
class TargetCheck:
    name: str  # "EMAIL_ADDRESS leak" / "PII-free unchanged"
    value: float | None
    limit: float
    higher_is_better: bool
    passed: bool


@dataclass(frozen=True, slots=True)
class Report:
    messages: int
    per_type: Mapping[str, TypeStats]
    detected_spans: int
    spans_on_pii: int
    pii_free: int
    pii_free_unchanged: int
    withheld: int  # texts the redactor published nothing for
    seconds: float
    leaked_examples: Mapping[str, tuple[int, ...]] = field(default_factory=dict)  # type -> message lines
    pii_free_changed: tuple[int, ...] = ()  # lines of PII-free messages the redactor altered or withheld

    @property
    def precision(self) -> float | None:
        return self.spans_on_pii / self.detected_spans if self.detected_spans else None

    @property
    def pii_free_unchanged_rate(self) -> float | None:
        return self.pii_free_unchanged / self.pii_free if self.pii_free else None

    @property
    def throughput(self) -> float | None:
        return self.messages / self.seconds if self.seconds > 0 else None

    def targets(self) -> list[TargetCheck]:
        """Each release target, checked. A type with no labelled values fails: no evidence."""
        checks = []
        for etype, limit in LEAK_TARGETS.items():
            rate = self.per_type[etype].leak_rate if etype in self.per_type else None
            checks.append(TargetCheck(f"{etype} leak", rate, limit, False, rate is not None and rate <= limit + 1e-12))
        rate = self.pii_free_unchanged_rate
        checks.append(
            TargetCheck("PII-free unchanged", rate, PII_FREE_UNCHANGED_TARGET, True,
                        rate is not None and rate >= PII_FREE_UNCHANGED_TARGET - 1e-12)
        )
        return checks


def _covered(spans: Iterable[Span], text_length: int) -> bytearray:
    mask = bytearray(text_length)
    for start, end, _ in spans:
        start, end = max(0, start), min(text_length, end)
        if start < end:
            mask[start:end] = b"\x01" * (end - start)
    return mask


def _found(text: str, entity: Entity, covered: bytearray) -> bool:
    return all(covered[i] for i in range(entity.start, entity.end) if not (text[i].isspace() or text[i] in INVISIBLE))


def _leaked(value: str, redacted: str | None, found: bool) -> bool:
    if redacted is None:  # nothing published
        return False
    alnum_only = is_digit_heavy(value)
    needle = normalise_for_leak(value, alnum_only)
    if len(needle) < SHORT_VALUE:
        return not found
    return needle in normalise_for_leak(redacted, alnum_only)


def evaluate(messages: Sequence[LabelledMessage], redactor: Redactor, *, warmup: int = 0) -> Report:
    """Run ``redactor`` once over every message's text and score it against the labels.

    ``warmup``: first run the redactor, untimed, on that many texts (first-call costs)."""
    texts = [m.text for m in messages]
    if warmup:
        redactor(texts[:warmup])
    started = time.perf_counter()
    results = redactor(texts)
    seconds = time.perf_counter() - started
    if len(results) != len(texts):
        raise ValueError(f"redactor returned {len(results)} results for {len(texts)} texts")

    n: dict[str, int] = {}
    found: dict[str, int] = {}
    leaked: dict[str, int] = {}
    leaked_lines: dict[str, list[int]] = {}
    changed_lines: list[int] = []
    detected = on_pii = pii_free = unchanged = withheld = 0
    for message, (redacted, spans) in zip(messages, results):
        text = message.text
        if redacted is None:
            withheld += 1
        covered = _covered(spans, len(text))
        for entity in message.entities:
            etype = entity.type
            n[etype] = n.get(etype, 0) + 1
            was_found = _found(text, entity, covered)
            found[etype] = found.get(etype, 0) + was_found
            if _leaked(message.value(entity), redacted, was_found):
                leaked[etype] = leaked.get(etype, 0) + 1
                leaked_lines.setdefault(etype, []).append(message.line)
        for start, end, _ in spans:
            detected += 1
            on_pii += any(start < e.end and e.start < end for e in message.entities)
        if not message.entities:
            pii_free += 1
            if redacted == text:
                unchanged += 1
            else:
                changed_lines.append(message.line)
    order = [t for t in ENTITY_TYPES if t in n] + sorted(t for t in n if t not in ENTITY_TYPES)
    per_type = {t: TypeStats(t, n[t], found.get(t, 0), leaked.get(t, 0)) for t in order}
    return Report(
        messages=len(messages),
        per_type=per_type,
        detected_spans=detected,
        spans_on_pii=on_pii,
        pii_free=pii_free,
        pii_free_unchanged=unchanged,
        withheld=withheld,
        seconds=seconds,
        leaked_examples={t: tuple(v) for t, v in leaked_lines.items()},
        pii_free_changed=tuple(changed_lines),
    )


# ---------------------------------------------------------------------------------------------
# Redactors
# ---------------------------------------------------------------------------------------------


def chatguard_redactor(engine: Any, destination: str = "storage", batch_size: int = 256) -> Redactor:
    """chatguard's RedactionEngine (``pipeline.engine``) in batches; the text as ``destination`` gets it.

    A StepError (the event would be quarantined) yields ``(None, [])``: nothing published."""
    if destination not in engine.destinations:
        raise ValueError(f"unknown destination {destination!r}; one of {', '.join(engine.destinations)}")

    def redact(texts: list[str]) -> list[RedactorResult]:
        from pipeline.errors import StepError
        from schemas.raw import RawMessage

        out: list[RedactorResult] = []
        for offset in range(0, len(texts), batch_size):
            chunk = texts[offset : offset + batch_size]
            events = [
                RawMessage(
                    event_id=f"eval-{offset + i}",
                    channel="eval",
                    channel_kind="private",
                    conversation_id="eval",
                    sender_id="eval",
                    sent_at="2026-01-01T00:00:00Z",
                    text=text,
                )
                for i, text in enumerate(chunk)
            ]
            for result in engine.redact_batch(events):
                if isinstance(result, StepError):
                    out.append((None, []))
                else:
                    spans = [(s.start, s.end, s.entity_type) for s in result.spans]
                    out.append((result.by_destination[destination].text, spans))
        return out

    return redact


def presidio_redactor(model: str) -> Redactor:
    """Presidio as most users set it up: AnalyzerEngine + AnonymizerEngine defaults, one message
    at a time, over the same spaCy model (full pipeline) and offline public-suffix list.
    Overlapping findings are merged into one span, as chatguard's are."""
    import spacy
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import SpacyNlpEngine
    from presidio_anonymizer import AnonymizerEngine

    from pipeline.detection import _use_bundled_public_suffix_list

    _use_bundled_public_suffix_list()
    nlp_engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": model}])
    nlp_engine.nlp = {"en": spacy.load(model)}
    analyzer = AnalyzerEngine(nlp_engine=nlp_engine)
    anonymizer = AnonymizerEngine()

    def redact(texts: list[str]) -> list[RedactorResult]:
        out: list[RedactorResult] = []
        for text in texts:
            results = analyzer.analyze(text, language="en")
            redacted = anonymizer.anonymize(text, results).text
            out.append((redacted, merge_spans((r.start, r.end, r.entity_type) for r in results)))
        return out

    return redact


def merge_spans(spans: Iterable[Span]) -> list[Span]:
    """Union overlapping spans; the merged span keeps the type of its first member."""
    merged: list[Span] = []
    for start, end, etype in sorted(spans, key=lambda s: (s[0], -s[1])):
        if merged and start < merged[-1][1]:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], end), last[2])
        else:
            merged.append((start, end, etype))
    return merged


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def _pct(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{100 * value:.{digits}f} %"


def _target_text(check: TargetCheck) -> str:
    return ("≥ " if check.higher_is_better else "≤ ") + f"{100 * check.limit:g} %"


def format_report(reports: Mapping[str, Report], *, title: str | None = None) -> str:
    """Side-by-side table, one column group per redactor. The FIRST report is the one under
    test: its rows carry the targets and pass/FAIL marks."""
    if not reports:
        return "(no reports)"
    names = list(reports)
    first = reports[names[0]]
    checks = {c.name: c for c in first.targets()}
    types = list(dict.fromkeys([t for r in reports.values() for t in r.per_type] + list(LEAK_TARGETS)))
    types = [t for t in ENTITY_TYPES if t in types] + [t for t in types if t not in ENTITY_TYPES]

    label_w, n_w, group_w, target_w = 20, 6, 20, 9
    lines: list[str] = []
    if title:
        lines.append(title)
    head1 = " " * label_w + " " * n_w + " | " + f"{'target':>{target_w}}  gate  | " + " | ".join(f"{n[:group_w]:^{group_w}}" for n in names)
    head2 = f"{'entity type':<{label_w}}{'n':>{n_w}} | " + " " * target_w + "        | " + " | ".join(
        f"{'recall':>9}{'leak':>11}" for _ in names
    )
    rule = "-" * len(head1)
    lines += [head1, head2, rule]

    def gate_cells(check: TargetCheck | None) -> str:
        if check is None:
            return " " * target_w + "        | "
        return f"{_target_text(check):>{target_w}}  {'pass' if check.passed else 'FAIL':<4}  | "

    for etype in types:
        count = next((r.per_type[etype].n for r in reports.values() if etype in r.per_type), 0)
        cells = []
        for r in reports.values():
            stats = r.per_type.get(etype)
            cells.append(f"{_pct(stats.recall if stats else None):>9}{_pct(stats.leak_rate if stats else None, 2):>11}")
        lines.append(f"{etype:<{label_w}}{count:>{n_w}} | " + gate_cells(checks.get(f"{etype} leak")) + " | ".join(cells))
    lines.append(rule)

    def row(label: str, n: int | str, check: TargetCheck | None, values: list[str]) -> None:
        lines.append(f"{label:<{label_w}}{n!s:>{n_w}} | " + gate_cells(check) + " | ".join(f"{v:>{group_w}}" for v in values))

    row("precision", "", None, [f"{_pct(r.precision)} of {r.detected_spans}" for r in reports.values()])
    row("PII-free unchanged", first.pii_free, checks.get("PII-free unchanged"), [_pct(r.pii_free_unchanged_rate) for r in reports.values()])
    row("withheld (errors)", "", None, [str(r.withheld) for r in reports.values()])
    row("msgs/s", first.messages, None, ["-" if r.throughput is None else f"{r.throughput:.1f}" for r in reports.values()])
    failed = [c.name for c in checks.values() if not c.passed]
    lines.append(rule)
    lines.append(
        f"{names[0]}: " + ("all targets met" if not failed else f"{len(failed)} of {len(checks)} targets FAILED: {', '.join(failed)}")
    )
    lines.append(
        "recall: value fully covered (spans of any type); leak: normalised value still readable in the output; "
        "precision: detected spans touching a labelled value"
    )
    return "\n".join(lines)
