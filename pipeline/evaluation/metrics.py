"""Scoring a redactor's output against labels: recall, leaks, over-redaction, throughput, targets.

Metrics (per direct-identifier type unless said otherwise; context types such as GPE or
DATE_TIME are not scored, and a message labelled with context types only counts as PII-free):

- recall: a true entity is *found* when the detected spans, of any type, together cover every
  character of it except whitespace and invisible format characters.
  Any type, because a phone number masked as something else has still not leaked.
- leak rate: the share of true values still readable in the redacted text, i.e. whose
  ``normalise_for_leak(value)`` is a substring of the redacted text normalised the same way
  (for digit-heavy values both sides keep alphanumerics only, so "601 234 567" leaks as
  "601-234-567" too). A value shorter than 4 characters once normalised ("Ewa", "Jan") would
  match inside unrelated words, so for those the substring check is skipped and the value
  counts as leaked when it is not found (not fully covered, as for recall).
  A partly masked value is not a leak under this definition; recall is the strict measure.
- precision (overall): detected spans overlapping at least one true entity / all detected spans.
- PII-free unchanged: share of messages without direct identifiers whose redacted text equals the input.
- throughput: messages / second around the single redactor call (after an optional warm-up).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from pipeline.evaluation.labelled import DIRECT_IDENTIFIERS, Entity, LabelledMessage
from pipeline.evaluation.leaks import is_digit_heavy, is_invisible, normalise_for_leak

Span = tuple[int, int, str]  # start, end, entity type; original-text coordinates
RedactorResult = tuple[str | None, list[Span]]  # (redacted text or None if withheld, spans)
Redactor = Callable[[list[str]], list[RedactorResult]]
SHORT_VALUE = 4  # normalised values shorter than this are judged by coverage, not substring
ALL_DIRECT = "all direct identifiers"


@dataclass(frozen=True, slots=True)
class Targets:
    """What a release must meet on one labelled set (chatguard, storage policy)."""

    name: str
    leak: Mapping[str, float]  # maximum leak rate per entity type
    pii_free_unchanged: float  # minimum share of PII-free messages left as they were
    all_direct_leak: float | None = None  # maximum leak rate over all direct identifiers together
    # Every type's leak (and all together) at most the baseline's (plain Presidio) on the same set.
    floor: bool = False
    # A listed type without labelled values fails (no evidence); else it is not checked.
    require_every_type: bool = True


# The chat set's gates (tests/data/chat_pii_labelled.jsonl).
CHAT_TARGETS = Targets(
    name="chat",
    leak={
        "EMAIL_ADDRESS": 0.005,
        "PHONE_NUMBER": 0.005,
        "CREDIT_CARD": 0.005,
        "IBAN_CODE": 0.005,
        "PL_PESEL": 0.005,
        "IP_ADDRESS": 0.005,
        "PERSON": 0.03,
        "STREET_ADDRESS": 0.05,
    },
    pii_free_unchanged=0.98,
)
# Sets nobody on the project wrote (presidio-evaluator's generator, presidio-research's synth set).
PUBLIC_TARGETS = Targets(
    name="public",
    leak={
        "EMAIL_ADDRESS": 0.02,
        "CREDIT_CARD": 0.02,
        "IBAN_CODE": 0.02,
        "US_SSN": 0.02,
        "IP_ADDRESS": 0.02,
        "PHONE_NUMBER": 0.05,
    },
    pii_free_unchanged=0.98,
    all_direct_leak=0.12,
    floor=True,
    require_every_type=False,
)
TARGETS = {t.name: t for t in (CHAT_TARGETS, PUBLIC_TARGETS)}
LEAK_TARGETS = CHAT_TARGETS.leak
PII_FREE_UNCHANGED_TARGET = CHAT_TARGETS.pii_free_unchanged


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

    @property
    def all_direct(self) -> TypeStats:
        return TypeStats(
            ALL_DIRECT,
            sum(s.n for s in self.per_type.values()),
            sum(s.found for s in self.per_type.values()),
            sum(s.leaked for s in self.per_type.values()),
        )

    def targets(self, targets: Targets = CHAT_TARGETS, baseline: Report | None = None) -> list[TargetCheck]:
        """Each target, checked; with ``targets.floor``, also each type against ``baseline``."""
        checks = []
        for etype, limit in targets.leak.items():
            rate = self.per_type[etype].leak_rate if etype in self.per_type else None
            if rate is None and not targets.require_every_type:
                continue
            checks.append(TargetCheck(f"{etype} leak", rate, limit, False, rate is not None and rate <= limit + 1e-12))
        if targets.all_direct_leak is not None:
            rate = self.all_direct.leak_rate
            checks.append(
                TargetCheck(
                    f"{ALL_DIRECT} leak",
                    rate,
                    targets.all_direct_leak,
                    False,
                    rate is not None and rate <= targets.all_direct_leak + 1e-12,
                )
            )
        if targets.floor and baseline is not None:
            for etype, base in [*baseline.per_type.items(), (ALL_DIRECT, baseline.all_direct)]:
                ours = self.all_direct if etype == ALL_DIRECT else self.per_type.get(etype)
                if base.leak_rate is None or ours is None or ours.leak_rate is None:
                    continue
                checks.append(
                    TargetCheck(
                        f"{etype} leak vs baseline", ours.leak_rate, base.leak_rate, False, ours.leaked <= base.leaked
                    )
                )
        rate = self.pii_free_unchanged_rate
        checks.append(
            TargetCheck(
                "PII-free unchanged",
                rate,
                targets.pii_free_unchanged,
                True,
                rate is not None and rate >= targets.pii_free_unchanged - 1e-12,
            )
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
    return all(covered[i] for i in range(entity.start, entity.end) if not (text[i].isspace() or is_invisible(text[i])))


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
    for message, (redacted, spans) in zip(messages, results, strict=True):
        text = message.text
        if redacted is None:
            withheld += 1
        covered = _covered(spans, len(text))
        for entity in message.identifiers:
            etype = entity.type
            n[etype] = n.get(etype, 0) + 1
            was_found = _found(text, entity, covered)
            found[etype] = found.get(etype, 0) + was_found
            if _leaked(message.value(entity), redacted, was_found):
                leaked[etype] = leaked.get(etype, 0) + 1
                leaked_lines.setdefault(etype, []).append(message.line)
        for start, end, _ in spans:
            detected += 1
            on_pii += any(start < e.end and e.start < end for e in message.identifiers)
        if not message.identifiers:
            pii_free += 1
            if redacted == text:
                unchanged += 1
            else:
                changed_lines.append(message.line)
    order = [t for t in DIRECT_IDENTIFIERS if t in n]
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
