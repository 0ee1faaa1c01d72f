"""Shared machinery for chatguard's recognizers: a fast, nlp-free PatternRecognizer.

Every recognizer in this package subclasses :class:`ChatguardRecognizer`, which is a
presidio ``PatternRecognizer`` whose ``analyze`` is replaced by a leaner loop:

* the class-level ``PREFILTER`` is checked first; when it does not match, ``analyze``
  returns ``[]`` without running a pattern (the fast engine also checks it, before the
  call; the repeat costs about a microsecond and keeps ``analyze`` safe on its own);
* patterns are compiled once per class with the standard library's ``re`` (not the
  ``regex`` module presidio uses: it is slower on short texts and has per-call timeout
  bookkeeping). The patterns are written to stay linear on long inputs instead;
* a pattern may hold a named group ``value``: the result then covers that group only
  (presidio's own loop can only report whole matches);
* ``validate_result`` keeps presidio's contract: ``False`` rejects the match, ``True``
  boosts it to 1.0, ``None`` keeps the pattern's score;
* ``score_match`` is a hook for everything else (context words, format strength) and
  may return ``None`` to drop a match;
* context is checked here, in a window of characters around the match, because the fast
  path calls ``analyze`` with ``nlp_artifacts=None`` and presidio's lemma-based context
  enhancement never runs. Results are flagged as already context-enhanced, so that an
  ``AnalyzerEngine`` this recognizer is registered with does not boost them a second time.

Nothing here reads ``nlp_artifacts``: the recognizers work for any language the engine
passes text in.

For subclass authors: set ``ENTITY``, ``PATTERNS``, ``CONTEXT``, ``PREFILTER`` (build fast
ones with :func:`ci` and :func:`word_start_prefilter`), optionally ``PATTERN_GUARDS``
(per-pattern prefilters, by pattern name) and ``FLAGS``; override ``matches`` (which regex
matches to look at: overlapping ones, say), ``spans`` (candidate spans of one match),
``validate_result`` and ``score_match``; use ``has_context`` for the context window. Passing ``patterns=`` to the constructor switches the prefilters off for
that instance (they were written for the class's own patterns).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from typing import ClassVar

from presidio_analyzer import AnalysisExplanation, EntityRecognizer, Pattern, PatternRecognizer, RecognizerResult

#: Letters, any script, as a character class body usable in both ``re`` and ``regex``.
LETTER = r"[^\W\d_]"

_ALREADY_ENHANCED = RecognizerResult.IS_SCORE_ENHANCED_BY_CONTEXT_KEY


def ci(literal: str) -> str:
    r"""``literal`` as a regex matching it in any case, without the IGNORECASE flag.

    For PREFILTERs: Python's ``re`` skips an alternative at once when the text's character
    is not in the alternative's first character class, but not under IGNORECASE. With
    explicit ``[nN]`` classes and a leading ``(?<!\w)``, a prefilter over a short message
    costs a few microseconds instead of tens.
    """
    out = []
    for char in literal:
        if char == " ":
            out.append(r"[ \t]+")
        elif char.lower() != char.upper() and len(char.upper()) == 1:
            lower = char.lower()
            out.append(f"[{lower}{char.upper()}{_IGNORECASE_EXTRAS.get(lower, '')}]")
        else:
            out.append(re.escape(char))
    return "".join(out)


# Characters that re.IGNORECASE also matches for a letter (found by testing every code point
# against a-z and the Polish letters): a case-explicit prefilter must accept them too.
_IGNORECASE_EXTRAS = {"i": "\u0130\u0131", "k": "\u212a", "s": "\u017f"}


def word_start_prefilter(alternatives: Iterable[str], anywhere: Iterable[str] = ()) -> re.Pattern[str]:
    """A fast PREFILTER: any of ``alternatives`` (regexes, each starting with a character
    class from :func:`ci`) at the start of a word, or any of ``anywhere`` at any position.
    Compiled without IGNORECASE (see :func:`ci`). Alternatives sharing their first
    character class are grouped under it, so each word start costs one check per class."""
    groups: dict[str, list[str]] = {}
    for alternative in alternatives:
        head = _LEADING_CLASS.match(alternative)
        first = head.group() if head else ""
        groups.setdefault(first, []).append(alternative[len(first) :])
    branches = [first + "(?:" + "|".join(rests) + ")" for first, rests in groups.items()]
    parts = [r"(?<!\w)(?:" + "|".join(branches) + ")"]
    parts.extend(anywhere)
    return re.compile("|".join(parts))


_LEADING_CLASS = re.compile(r"\[[^\]\\]+\]")


def context_regex(words: Iterable[str]) -> re.Pattern[str] | None:
    """One regex for a list of context words, matched case-insensitively at a word start.

    Words of three characters or fewer must match as whole words ("tel", "nr", "kom");
    longer ones match as prefixes, so that a stem covers Polish inflections ("telefon"
    also finds "telefonu", "telefonem"). Multi-word entries match with any whitespace.
    """
    parts = []
    for word in sorted({w.lower() for w in words}, key=len, reverse=True):
        body = r"\s+".join(re.escape(w) for w in word.split())
        tail = r"(?!\w)" if len(word) <= 3 else ""
        parts.append(body + tail)
    if not parts:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(parts) + ")", re.IGNORECASE)


class ChatguardRecognizer(PatternRecognizer):
    """Base class: see the module docstring. Subclasses set the class attributes below."""

    ENTITY: ClassVar[str]
    PATTERNS: ClassVar[list[Pattern]]
    CONTEXT: ClassVar[list[str]] = []
    #: A cheap regex that must ``search()`` the text for the recognizer to be worth running.
    #: Never stricter than ``PATTERNS``: every text a pattern can match, it matches too.
    #: Not a ClassVar: an instance built with its own ``patterns=`` switches it off for itself.
    PREFILTER: re.Pattern[str] | None = None
    #: Optional per-pattern prefilters, by pattern name: a pattern is only run when its
    #: guard ``search()``es the text (same rule as PREFILTER: never stricter than the pattern).
    PATTERN_GUARDS: dict[str, re.Pattern[str]] = {}
    #: Flags for compiling ``PATTERNS`` (standard-library ``re``).
    FLAGS: ClassVar[int] = re.IGNORECASE
    #: Characters looked at for context words before and after a match.
    CONTEXT_BEFORE: ClassVar[int] = 30
    CONTEXT_AFTER: ClassVar[int] = 20

    _compiled_cache: ClassVar[dict[tuple[str, int], re.Pattern[str]]] = {}

    # Set by presidio's constructors, which leave them unannotated: declared here for the type
    # checker (annotations only, no class attributes).
    name: str
    patterns: list[Pattern]

    def __init__(
        self,
        supported_language: str = "en",
        patterns: list[Pattern] | None = None,
        context: list[str] | None = None,
        supported_entity: str | None = None,
        name: str | None = None,
    ) -> None:
        if patterns is not None:
            # The class's prefilters were written for its own patterns: with others, run always.
            self.PREFILTER = None
            self.PATTERN_GUARDS = {}
        patterns = list(patterns if patterns is not None else self.PATTERNS)
        context = list(context if context is not None else self.CONTEXT)
        super().__init__(
            supported_entity=supported_entity or self.ENTITY,
            # presidio's own default, spelled out: it annotates ``name: str = None``.
            name=type(self).__name__ if name is None else name,
            supported_language=supported_language,
            patterns=patterns,
            context=context,
        )
        self._entity = self.supported_entities[0]
        self._compiled = [(p, self._compile(p.regex), self.PATTERN_GUARDS.get(p.name)) for p in self.patterns]
        self._context_re = context_regex(self.context)

    @classmethod
    def _compile(cls, pattern: str) -> re.Pattern[str]:
        key = (pattern, cls.FLAGS)
        compiled = ChatguardRecognizer._compiled_cache.get(key)
        if compiled is None:
            compiled = ChatguardRecognizer._compiled_cache[key] = re.compile(pattern, cls.FLAGS)
        return compiled

    # -- the fast loop ---------------------------------------------------------------------

    def analyze(
        self,
        text: str,
        entities: Sequence[str] | None = None,
        nlp_artifacts: object = None,
        regex_flags: int | None = None,
    ) -> list[RecognizerResult]:
        """Find this recognizer's entity in ``text``. ``nlp_artifacts`` and ``regex_flags`` are ignored."""
        if entities and self._entity not in entities:
            return []
        prefilter = self.PREFILTER
        if prefilter is not None and prefilter.search(text) is None:
            return []
        results: list[RecognizerResult] = []
        for pattern, compiled, guard in self._compiled:
            if guard is not None and guard.search(text) is None:
                continue
            for match in self.matches(compiled, text):
                for start, end, score in self.spans(text, match, pattern):
                    if end <= start:
                        continue
                    value = text[start:end]
                    valid = self.validate_result(value)
                    if valid is False or self.invalidate_result(value):
                        continue
                    if valid:
                        score = EntityRecognizer.MAX_SCORE
                    final = self.score_match(text, start, end, score, valid, match)
                    if final is None or final <= EntityRecognizer.MIN_SCORE:
                        continue
                    results.append(self._result(start, end, min(final, 1.0), pattern, valid))
        if len(results) > 1:
            results = EntityRecognizer.remove_duplicates(results)
        return results

    # -- hooks -----------------------------------------------------------------------------

    def matches(self, compiled: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
        """The matches of one compiled pattern in ``text``. Default: ``finditer``'s, which never overlap."""
        return compiled.finditer(text)

    def spans(self, text: str, match: re.Match[str], pattern: Pattern) -> Iterator[tuple[int, int, float]]:
        """Candidate (start, end, score) for one regex match: the ``value`` group, else the match."""
        if "value" in match.re.groupindex:
            start, end = match.span("value")
        else:
            start, end = match.span()
        yield start, end, pattern.score

    def validate_result(self, pattern_text: str) -> bool | None:
        """Checksum hook: False rejects, True boosts to 1.0, None keeps the pattern's score."""
        return None

    def score_match(
        self, text: str, start: int, end: int, score: float, valid: bool | None, match: re.Match[str]
    ) -> float | None:
        """Final score for a validated match; ``None`` drops it. Default: unchanged."""
        return score

    # -- helpers ---------------------------------------------------------------------------

    def has_context(self, text: str, start: int, end: int) -> bool:
        """Whether a context word appears within the window around ``text[start:end]``."""
        if self._context_re is None:
            return False
        before = text[max(0, start - self.CONTEXT_BEFORE) : start]
        if self._context_re.search(before):
            return True
        after = text[end : end + self.CONTEXT_AFTER]
        return bool(after and self._context_re.search(after))

    def _result(self, start: int, end: int, score: float, pattern: Pattern, valid: bool | None) -> RecognizerResult:
        explanation = AnalysisExplanation(
            recognizer=self.name,
            original_score=pattern.score,
            pattern_name=pattern.name,
            pattern=pattern.regex,
            validation_result=valid,  # type: ignore[arg-type]  # presidio annotates it ``bool = None``; None is "not validated"
            textual_explanation=f"Detected by `{self.name}` using pattern `{pattern.name}`",
        )
        explanation.score = score
        return RecognizerResult(
            entity_type=self._entity,
            start=start,
            end=end,
            score=score,
            analysis_explanation=explanation,
            recognition_metadata={
                RecognizerResult.RECOGNIZER_NAME_KEY: self.name,
                RecognizerResult.RECOGNIZER_IDENTIFIER_KEY: self.id,
                _ALREADY_ENHANCED: True,
            },
        )


def digits_of(text: str) -> str:
    """The ASCII digits of ``text``, in order."""
    return "".join(c for c in text if "0" <= c <= "9")
