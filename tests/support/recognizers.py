"""Shared checks for recognizer tests: what a recognizer finds, and the table tests every
recognizer's test module runs over its own MATCHING / NOT_MATCHING tables."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Sequence
from typing import Literal
from unittest.mock import ANY

import pytest

from pipeline.recognizers._base import ChatguardRecognizer

Found = tuple[str, str, float]
#: A MATCHING row: (text, value) or (text, value, score).
MatchingRow = tuple[str, str] | tuple[str, str, float]
Position = Literal["only", "first", "any"]
TableTest = Callable[..., None]


def found(recognizer: ChatguardRecognizer, text: str) -> list[Found]:
    """(entity, matched text, score) for each result, in text order."""
    results = recognizer.analyze(text, entities=recognizer.supported_entities, nlp_artifacts=None)
    return sorted(((r.entity_type, text[r.start : r.end], r.score) for r in results), key=lambda x: text.find(x[1]))


def spans_of(recognizer: ChatguardRecognizer, text: str, min_score: float = 0.0) -> list[str]:
    return [value for _, value, score in found(recognizer, text) if score > min_score]


_EVERYTHING = re.compile("")


def unfiltered(cls: type[ChatguardRecognizer]) -> ChatguardRecognizer:
    """An instance of recognizer class ``cls`` with its PREFILTER and pattern guards switched off
    (a PREFILTER that matches every text, so that an ``analyze`` calling it directly works too)."""
    subclass: type[ChatguardRecognizer] = type(
        f"Unfiltered{cls.__name__}", (cls,), {"PREFILTER": _EVERYTHING, "PATTERN_GUARDS": {}}
    )
    return subclass()


def check_prefilter(cls: type[ChatguardRecognizer], text: str) -> None:
    """PREFILTER accepts ``text``, and the prefilters change nothing about what is found in it."""
    recognizer = cls()
    assert recognizer.PREFILTER is not None
    assert recognizer.PREFILTER.search(text), f"PREFILTER rejects a matching text: {text!r}"
    assert found(recognizer, text) == found(unfiltered(cls), text)


def assert_finds(
    recognizer: ChatguardRecognizer,
    text: str,
    value: str,
    score: float | None = None,
    *,
    position: Position = "only",
    min_score: float | None = None,
) -> None:
    """``recognizer`` finds ``value`` in ``text``: as its only result, its first (in text order)
    or any; with ``score`` (approximately) when given, at least ``min_score`` when given."""
    results = found(recognizer, text)
    expected = (recognizer.supported_entities[0], value, ANY if score is None else pytest.approx(score))
    if position == "only":
        assert results == [expected]
    elif position == "first":
        assert results[:1] == [expected]
    else:
        assert expected in results
    if min_score is not None:
        assert all(s >= min_score for e, v, s in results if (e, v) == expected[:2])


def assert_rejects(recognizer: ChatguardRecognizer, text: str) -> None:
    assert found(recognizer, text) == []


def table_tests(
    cls: type[ChatguardRecognizer],
    matching: Sequence[MatchingRow],
    not_matching: Sequence[str],
    *,
    score: float | None = None,
    position: Position = "only",
    min_score: float | None = None,
) -> tuple[TableTest, TableTest, TableTest]:
    """The three table tests of a recognizer's module, to assign to ``test_finds``,
    ``test_rejects`` and ``test_prefilter_accepts_every_match``:

    * each MATCHING row's value is found (see :func:`assert_finds`; ``score`` is expected for
      rows that carry none);
    * nothing is found in a NOT_MATCHING text;
    * the PREFILTER accepts every MATCHING text and changes nothing found in it.
    """
    rows = [(row[0], row[1], row[2] if len(row) > 2 else score) for row in matching]

    @functools.cache
    def recognizer() -> ChatguardRecognizer:
        return cls()

    @pytest.mark.parametrize("text, value, score", rows)
    def test_finds(text: str, value: str, score: float | None) -> None:
        assert_finds(recognizer(), text, value, score, position=position, min_score=min_score)

    @pytest.mark.parametrize("text", not_matching)
    def test_rejects(text: str) -> None:
        assert_rejects(recognizer(), text)

    @pytest.mark.parametrize("text", [row[0] for row in matching])
    def test_prefilter_accepts_every_match(text: str) -> None:
        check_prefilter(cls, text)

    return test_finds, test_rejects, test_prefilter_accepts_every_match
