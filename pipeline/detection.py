"""PII detection tuned for chat: normalise, run prefiltered pattern recognizers, run spaCy NER.

Plain Presidio runs the full spaCy pipeline and every recognizer on every message (~8 ms per
message). Here: Presidio's own default pattern recognizers (``pipeline.presidio_recognizers``)
plus chatguard's (Polish identifiers, international addresses and phones, chat phrasing) are
called directly, each only when a cheap prefilter says it can match; spaCy's NER (the ner pipe,
batched with ``nlp.pipe``) runs on every message where one of its findings could be kept
(``pipeline.ner.worth_running``); which of its entities become findings is ``pipeline.ner``'s
rules. Whatever plain Presidio would find is a
candidate here unless one of those documented rules removes it.
"""

from __future__ import annotations

import bisect
import re
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Protocol

from presidio_analyzer import EntityRecognizer

from pipeline.deadline import Budget, DeadlineExceeded
from pipeline.errors import ConfigError, StepError
from pipeline.language import detect_language
from pipeline.names import english_vocabulary
from pipeline.ner import NerRules, worth_running
from pipeline.normalise import Normalised, join_digit_runs, normalise
from pipeline.presidio_recognizers import (
    ONLY_UNCOVERED,
    PRESIDIO_MIN_SCORE,
    boost_by_context,
    is_reference_number,
    prefilter_for,
    presidio_recognizers,
    use_bundled_public_suffix_list,
)
from pipeline.recognizer_runs import Entry, analyze, analyze_uncovered
from pipeline.spacy_model import keep_only, load_spacy, tokenizable

if TYPE_CHECKING:
    from spacy.language import Language

__all__ = ["ChatDetector", "Detector", "Span", "load_spacy", "supported_entities", "use_bundled_public_suffix_list"]


@dataclass(frozen=True, slots=True)
class Span:
    """A detected value's place in the original text. Holds no copy of the value."""

    entity_type: str
    start: int
    end: int
    score: float


DetectResult = list[Span] | StepError  # a StepError holds that one message back


class Detector(Protocol):
    """Finds PII spans in each of a batch of texts, in order."""

    def detect(self, texts: Sequence[str]) -> list[DetectResult]: ...


_WARM_UP = "Hi, Anna Kowalska here: anna@example.com, +48 601 234 567, ul. Polna 1/4, 00-950 Warszawa, thanks!"
# Normalising may lengthen a text (NFKC: "⒛" is "20.", U+FDFA 18 characters): one that grows
# past this many characters is held back instead of costing several texts' detection.
MAX_VIEW_LENGTH = 2 * 65_536


NER_GROUP_CHARS = 16_384


# Entities written as digit runs: these recognizers also read the digits-joined view.
NUMBER_ENTITIES = frozenset(
    {"PHONE_NUMBER", "CREDIT_CARD", "IBAN_CODE", "PL_PESEL", "PL_NIP", "PL_REGON", "PL_ID_CARD", "UK_NHS", "US_SSN"}
)


class ChatDetector:
    """The detector both the worker and the CLI use (see the module docstring)."""

    def __init__(
        self, model: str, entities: Iterable[str], score_threshold: float, deadline_s: float | None = None
    ) -> None:
        from presidio_analyzer import pattern_recognizer
        from presidio_analyzer.predefined_recognizers import PhoneRecognizer

        from pipeline.recognizers import chatguard_recognizers
        from pipeline.recognizers._base import ChatguardRecognizer

        use_bundled_public_suffix_list()
        # Presidio skips a pattern whose regex times out and reports nothing for it (fails
        # open). A budget shorter than that timeout means such a skip is never published: the
        # message has used up its budget by then, and is held back.
        if deadline_s is not None and deadline_s >= pattern_recognizer.REGEX_TIMEOUT_SECONDS:
            raise ConfigError(
                f"CHATGUARD_DETECT_DEADLINE_S: must be below Presidio's REGEX_TIMEOUT_SECONDS "
                f"({pattern_recognizer.REGEX_TIMEOUT_SECONDS})"
            )
        self.deadline_s = deadline_s
        # Called with the first and last index of the messages being worked on (the detection
        # process's watchdog reads it to tell which message stalled).
        self.progress: Callable[[int, int], None] = _no_progress
        self.model = model
        # Every recognizer, once, each with every type it finds: ``configure`` picks what a policy needs.
        self._all: list[Entry] = []
        for recognizer in [*presidio_recognizers(), *chatguard_recognizers()]:
            # chatguard's recognizers weigh their own context; Presidio's get AnalyzerEngine's boost.
            context = () if isinstance(recognizer, ChatguardRecognizer) else tuple(recognizer.context or ())
            phone = isinstance(recognizer, PhoneRecognizer)
            uncovered = ONLY_UNCOVERED.get(type(recognizer).__name__) if context else None
            self._all.append(
                Entry(
                    recognizer,
                    prefilter_for(recognizer),
                    list(recognizer.supported_entities),
                    context,
                    is_reference_number if phone else None,
                    re.compile(uncovered) if uncovered else None,
                )
            )
        # Presidio's phone and e-mail recognizers run last, on what is still uncovered.
        self._all.sort(key=lambda entry: entry.only_uncovered is not None)
        self.supported = supported_entities(entry.recognizer for entry in self._all)
        self._nlp: Language | None = None
        self._ner_rules = NerRules()
        self.configure(entities, score_threshold)
        self.ner_share = NerShare()
        self._warm_up()

    def configure(self, entities: Iterable[str], score_threshold: float) -> None:
        """Look for these entity types from this score on (a policy version, set between batches).
        An entity type no recognizer finds raises ConfigError and changes nothing. spaCy's model
        loads the first time PERSON or STREET_ADDRESS is wanted, and stays loaded."""
        wanted = frozenset(entities)
        unknown = wanted - self.supported
        if unknown:
            raise ConfigError(f"detection.entities: no recognizer for {', '.join(sorted(unknown))}")
        recognizers = [
            replace(e, wanted=[t for t in e.wanted if t in wanted]) for e in self._all if wanted & set(e.wanted)
        ]
        wants_ner = bool(wanted & {"PERSON", "STREET_ADDRESS"})
        loading = wants_ner and self._nlp is None
        if loading:
            nlp = load_spacy(self.model)
            self._ner_rules = NerRules(english_vocabulary(nlp))
            keep_only(nlp, ("ner",))
            self._nlp = nlp
        self.entities, self.score_threshold = wanted, score_threshold
        self._recognizers, self._wants_ner = recognizers, wants_ner
        if loading and hasattr(self, "ner_share"):  # a policy switched NER on after start
            self._warm_up()

    def _warm_up(self) -> None:
        """Word lists and models load on first use: here, not on the first message's budget."""
        share, self.ner_share = self.ner_share, NerShare()  # not counted
        self.detect([_WARM_UP])
        self.ner_share = share

    @property
    def steps(self) -> list[tuple[str, Callable[[str], object]]]:
        """Each step run on a message's text, by name (for the linear-growth test)."""
        out: list[tuple[str, Callable[[str], object]]] = [
            ("normalise", normalise),
            ("join_digit_runs", lambda text: join_digit_runs(normalise(text))),
            ("detect_language", detect_language),
        ]
        for entry in self._recognizers:
            name = type(entry.recognizer).__name__

            def run(text: str, entry: Entry = entry) -> object:
                if entry.prefilter is not None and not entry.prefilter.search(text):
                    return []
                if entry.only_uncovered is not None:
                    return analyze_uncovered(entry, text, entry.only_uncovered, [], Budget(None))
                return analyze(entry, text)

            out.append((name, run))
        if self._nlp is not None and self._wants_ner:
            nlp = self._nlp
            out.append(("ner", lambda text: self._ner_rules.findings(text, nlp(tokenizable(text)).ents, [], True)))
        return out

    def _patterns(
        self, view: Normalised, budget: Budget, digits_only: bool = False
    ) -> list[tuple[str, int, int, float]]:
        """Run the recognizers over one view of a text; spans come back in original offsets."""
        text = view.text
        found = []
        covered: list[tuple[int, int]] = []  # view offsets of what was found so far
        for entry in self._recognizers:
            if digits_only and not set(entry.wanted) & NUMBER_ENTITIES:
                continue
            prefilter = entry.prefilter
            if prefilter is not None and not prefilter.search(text):
                continue
            if entry.only_uncovered is not None:
                results = analyze_uncovered(entry, text, entry.only_uncovered, covered, budget)
            else:
                results = analyze(entry, text)
            budget.check()
            boost_by_context(text, results, entry.context)
            if entry.guard is not None:
                results = [r for r in results if not entry.guard(text, r.start, r.end)]
            # Presidio's "weak" patterns (a US licence is any letter and digits) count only with context.
            floor = max(self.score_threshold, PRESIDIO_MIN_SCORE) if entry.context else self.score_threshold
            for r in results:
                if r.score >= floor and r.end > r.start:
                    found.append((r.entity_type, *view.to_original(r.start, r.end), r.score))
                    covered.append((r.start, r.end))
        return found

    def detect(self, texts: Sequence[str]) -> list[DetectResult]:
        """Spans per text, or a StepError for a text that used up its budget."""
        budgets = [Budget(self.deadline_s) for _ in texts]
        views: list[Normalised | None] = []
        found: list[list[tuple[str, int, int, float]] | StepError] = []
        for i, text in enumerate(texts):
            self.progress(i, i)
            try:
                with budgets[i] as budget:
                    view = normalise(text)
                    if len(view.text) > MAX_VIEW_LENGTH:
                        raise DeadlineExceeded("the normalised text is too long to detect in budget")
                    budget.check()
                    spans = self._patterns(view, budget)
                    joined = join_digit_runs(view)
                    budget.check()
                    if joined is not None:
                        spans.extend(self._patterns(joined, budget, digits_only=True))
                views.append(view)
                found.append(spans)
            except DeadlineExceeded as exc:
                views.append(None)
                found.append(StepError("detect", exc))
        if self._nlp is not None and self._wants_ner:
            self._ner(views, found, budgets)
        return [spans if isinstance(spans, StepError) else _distinct(spans) for spans in found]

    def _ner(
        self,
        views: Sequence[Normalised | None],
        found: list[list[tuple[str, int, int, float]] | StepError],
        budgets: Sequence[Budget],
    ) -> None:
        nlp = self._nlp
        assert nlp is not None  # detect() calls this only with a model loaded
        live = {i: view for i, view in enumerate(views) if view is not None}
        english = {i: detect_language(view.text) == "en" for i, view in live.items()}
        addresses: dict[int, list[tuple[int, int]]] = {}
        for i, view in live.items():
            held = found[i]
            assert not isinstance(held, StepError)  # a message with a view has spans, not an error
            addresses[i] = [_to_view(view, s, e) for t, s, e, _ in held if t == "STREET_ADDRESS"]
        needs_ner = [i for i, view in live.items() if worth_running(view.text, english[i], bool(addresses[i]))]
        self.ner_share.add(len(needs_ner), len(views))
        for group in _groups(needs_ner, [len(live[i].text) for i in needs_ner]):
            self.progress(group[0], group[-1])
            started = time.perf_counter()
            docs = nlp.pipe([tokenizable(live[i].text) for i in group], batch_size=256)
            for i, doc in zip(group, docs, strict=True):  # one doc per text
                view = live[i]
                spans = found[i]
                assert not isinstance(spans, StepError)
                spans.extend(
                    (entity, *view.to_original(start, end), score)
                    for entity, start, end, score in self._ner_rules.findings(
                        view.text, doc.ents, addresses[i], english[i]
                    )
                    if entity in self.entities
                )
            # A group's time is charged to its members by length (NER's cost is about linear in it).
            seconds = time.perf_counter() - started
            total = sum(len(live[i].text) for i in group) or 1
            for i in group:
                budgets[i].spent += seconds * len(live[i].text) / total
                try:
                    budgets[i].check()
                except DeadlineExceeded as exc:
                    found[i] = StepError("detect", exc)


def supported_entities(recognizers: Iterable[EntityRecognizer] | None = None) -> frozenset[str]:
    """The entity types a policy may name: each recognizer's (default: all of them), and PERSON (NER)."""
    if recognizers is None:
        from pipeline.recognizers import chatguard_recognizers

        recognizers = [*presidio_recognizers(), *chatguard_recognizers()]
    return frozenset({"PERSON", *(e for r in recognizers for e in r.supported_entities)})


def _groups(indices: Sequence[int], lengths: Sequence[int]) -> list[list[int]]:
    """``indices`` in runs of at most NER_GROUP_CHARS characters; a longer text alone."""
    groups: list[list[int]] = []
    size = 0
    for i, length in zip(indices, lengths, strict=True):
        if groups and size + length <= NER_GROUP_CHARS and len(groups[-1]) < 256:
            groups[-1].append(i)
            size += length
        else:
            groups.append([i])
            size = length
    return groups


def _no_progress(first: int, last: int) -> None:
    pass


@dataclass(slots=True)
class NerShare:
    """How many messages went through NER, of how many (printed by ``make bench``)."""

    through_ner: int = 0
    messages: int = 0

    def add(self, through_ner: int, messages: int) -> None:
        self.through_ner += through_ner
        self.messages += messages


def _to_view(view: Normalised, start: int, end: int) -> tuple[int, int]:
    """Original offsets back to the view's (the first and last view characters inside them).
    Both maps are non-decreasing, so two binary searches do it (long texts have many spans)."""
    if view.starts is None or view.ends is None:
        return start, end
    first = bisect.bisect_right(view.ends, start)  # the first character ending after ``start``
    last = bisect.bisect_left(view.starts, end)  # one past the last character starting before ``end``
    return (first, last) if first < last else (start, start)


def _distinct(spans: list[tuple[str, int, int, float]]) -> list[Span]:
    """One span per (entity, start, end), with the best score: two recognizers (Presidio's
    e-mail one and ours) or two views of a text may report the same value."""
    best: dict[tuple[str, int, int], float] = {}
    for entity, start, end, score in spans:
        key = (entity, start, end)
        if score > best.get(key, -1.0):
            best[key] = score
    return [Span(*key, score) for key, score in best.items()]
