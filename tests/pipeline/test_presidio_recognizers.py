"""How Presidio's own recognizers run on the fast path (pipeline.presidio_recognizers): the
context boost without lemmas, reference numbers that are not phones, and prefilters that
never hide a finding (checked on the generated set, text nobody here wrote)."""

from __future__ import annotations

from pathlib import Path

import pytest
from presidio_analyzer import RecognizerResult

from pipeline.evaluation import load_labelled
from pipeline.normalise import normalise
from pipeline.presidio_recognizers import (
    LEFT_OUT,
    PRESIDIO_MIN_SCORE,
    boost_by_context,
    is_reference_number,
    prefilter_for,
    presidio_recognizers,
)

DATA = Path(__file__).resolve().parents[1] / "data"


def _boosted(text: str, value: str, score: float, context: list[str]) -> float:
    start = text.index(value)
    result = RecognizerResult("X", start, start + len(value), score)
    boost_by_context(text, [result], context)
    return result.score


@pytest.mark.parametrize(
    "text, value, context, expected",
    [
        ("My driver's license number is C854227472528", "C854227472528", ["driver", "license"], 0.4),
        ("my cards: 1234", "1234", ["card"], 0.4),  # plural
        ("licensed under 1234", "1234", ["license"], 0.4),  # a longer form of a long word
        ("use us 1234", "1234", ["us"], 0.4),  # a short word, whole
        ("user 1234", "1234", ["us"], 0.05),  # ... not as a prefix
        ("license a b c d e f 1234", "1234", ["license"], 0.05),  # more than five words before
        ("1234 license", "1234", ["license"], 0.05),  # after: Presidio looks before only
    ],
)
def test_context_boost(text, value, context, expected):
    assert _boosted(text, value, 0.05, context) == pytest.approx(expected)


def test_a_strong_score_is_raised_by_the_boost_and_capped():
    assert _boosted("card 4111", "4111", 0.5, ["card"]) == pytest.approx(0.85)
    assert _boosted("card 4111", "4111", 0.9, ["card"]) == pytest.approx(1.0)


@pytest.mark.parametrize(
    "text, value, reference",
    [
        ("dostawa 03.08.2026 pasuje", "03.08.2026", True),
        ("zamówienie #6340411 13.02.2026", "6340411 13", True),
        ("order A-6219805 11 x", "6219805 11", True),
        ("On 2024-06-09 00:36:40.207031, the", "40.207031", True),
        ("Zamówienie 601 234 567", "601 234 567", True),
        ("order number 601234567", "601234567", True),
        ("customer id 601234567", "601234567", True),
        ("call me on 601 234 567", "601 234 567", False),
        ("Please call the account manager at 020 7946 0958.", "020 7946 0958", False),
        ("Text the code to 07911 123456.", "07911 123456", False),
        ("my number is 601234567", "601234567", False),
        ("Order +44 20 7946 0958", "+44 20 7946 0958", False),
    ],
)
def test_reference_numbers_are_not_phones(text, value, reference):
    start = text.index(value)
    assert is_reference_number(text, start, start + len(value)) is reference


def test_the_default_recognizers_less_dates_urls_and_uuids():
    names = {type(r).__name__ for r in presidio_recognizers()}
    assert not names & LEFT_OUT
    assert {
        "CreditCardRecognizer",
        "EmailRecognizer",
        "PhoneRecognizer",
        "UsLicenseRecognizer",
        "IbanRecognizer",
    } <= names


@pytest.mark.slow
def test_prefilters_never_hide_a_kept_finding():
    """On every sentence of the generated set and the chat set: wherever a recognizer, run
    without its prefilter, keeps a finding (score >= 0.4 after the context boost), its
    prefilter matches the text (as recognizers read it: normalised)."""
    texts = [
        normalise(m.text).text
        for name in ("presidio_evaluator_generated.jsonl", "chat_pii_labelled.jsonl")
        for m in load_labelled(DATA / name)
    ]
    missed = []
    for recognizer in presidio_recognizers():
        prefilter = prefilter_for(recognizer)
        if prefilter is None:
            continue
        for text in texts:
            results = recognizer.analyze(text, recognizer.supported_entities, None)
            boost_by_context(text, results, recognizer.context or [])
            if any(r.score >= PRESIDIO_MIN_SCORE for r in results) and not prefilter.search(text):
                missed.append((type(recognizer).__name__, text))
    assert missed == []
