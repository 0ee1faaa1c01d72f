"""Running one pattern recognizer over a text: whole, or only in windows around the candidates no
earlier finding covers, cut into overlapping pieces so the deadline is checked between them."""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from presidio_analyzer import EntityRecognizer, RecognizerResult

from pipeline.deadline import Budget


@dataclass(frozen=True, slots=True)
class Entry:
    recognizer: EntityRecognizer
    prefilter: re.Pattern[str] | None
    wanted: list[str]
    context: tuple[str, ...]  # Presidio's context words (empty: the recognizer weighs its own)
    guard: Callable[[str, int, int], bool] | None  # True drops a match
    # Candidates: the recognizer runs only around those no earlier finding covers.
    only_uncovered: re.Pattern[str] | None


WINDOW = 32  # characters of context kept on each side of an uncovered candidate


# A longer run of candidates is read in overlapping windows of this size, the budget checked
# between them: libphonenumber's matcher takes ~0.2 ms a character on runs such as "1 - 1 - "
# (64 KB: 15 s), so a message must be stoppable inside that one recognizer.
MAX_WINDOW = 1_024
OVERLAP = 64  # longer than any phone number with its separators


def analyze_uncovered(
    entry: Entry, text: str, candidates: re.Pattern[str], covered: Sequence[tuple[int, int]], budget: Budget
) -> list[RecognizerResult]:
    """Run the recognizer on windows around the candidates no finding covers yet (none: not
    at all); results come back in ``text``'s offsets."""
    ordered = sorted(covered)
    starts = [s for s, _ in ordered]
    reach = list(itertools.accumulate((e for _, e in ordered), max))  # the furthest end so far
    windows: list[list[int]] = []
    for m in candidates.finditer(text):
        before = bisect.bisect_right(starts, m.start())
        if before and reach[before - 1] >= m.end():
            continue  # inside a finding: one that starts before it reaches past its end
        start, end = max(0, m.start() - WINDOW), min(len(text), m.end() + WINDOW)
        if windows and start <= windows[-1][1] and end - windows[-1][0] <= MAX_WINDOW:
            windows[-1][1] = end
        else:
            windows.append([start, end])
    results = []
    for start, end in split(windows):
        budget.check()
        for r in analyze(entry, text[start:end]):
            r.start, r.end = r.start + start, r.end + start
            results.append(r)
    return results


def analyze(entry: Entry, text: str) -> list[RecognizerResult]:
    """``entry``'s recognizer over ``text``, without NLP artifacts: every recognizer run here is
    pattern-based and reads none."""
    return entry.recognizer.analyze(text, entry.wanted, None)  # type: ignore[arg-type]  # presidio types nlp_artifacts as NlpArtifacts, yet its pattern recognizers take None


def split(windows: Iterable[Sequence[int]]) -> Iterable[tuple[int, int]]:
    """Windows longer than MAX_WINDOW as overlapping pieces: a value cut at one piece's end is
    whole in the next one."""
    for start, end in windows:
        while end - start > MAX_WINDOW:
            yield start, start + MAX_WINDOW
            start += MAX_WINDOW - OVERLAP
        yield start, end
