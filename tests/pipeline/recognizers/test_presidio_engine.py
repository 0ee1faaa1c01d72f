"""The recognizers also work inside a stock Presidio AnalyzerEngine (spaCy NLP artifacts given).

Scores must be the recognizers' own: they flag results as context-scored, so Presidio's
lemma context enhancer does not boost them a second time.
"""

from __future__ import annotations

import pytest

from pipeline.recognizers import chatguard_recognizers
from pipeline.recognizers.pl_phone import SCORE_BARE, SCORE_CONTEXT


@pytest.fixture(scope="module")
def analyzer():
    from presidio_analyzer import AnalyzerEngine, RecognizerRegistry
    from presidio_analyzer.nlp_engine import SpacyNlpEngine

    from pipeline.detection import load_spacy
    from pipeline.settings import DEFAULT_MODEL

    nlp_engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": DEFAULT_MODEL}])
    nlp_engine.nlp = {"en": load_spacy(DEFAULT_MODEL)}
    registry = RecognizerRegistry(recognizers=chatguard_recognizers("en"), supported_languages=["en"])
    return AnalyzerEngine(registry=registry, nlp_engine=nlp_engine, supported_languages=["en"])


def _found(analyzer, text):
    return sorted((r.entity_type, text[r.start : r.end], r.score) for r in analyzer.analyze(text, language="en"))


def test_phone_scores_are_not_boosted_twice(analyzer):
    assert _found(analyzer, "my phone: 601 234 567") == [("PHONE_NUMBER", "601 234 567", SCORE_CONTEXT)]
    assert _found(analyzer, "601 234 567") == [("PHONE_NUMBER", "601 234 567", SCORE_BARE)]


def test_several_entities(analyzer):
    text = "My name is Anna Kowalska, I live at ul. Długa 5/4, 00-950 Warszawa, dowód ABA300000"
    assert {(e, v) for e, v, _ in _found(analyzer, text)} == {
        ("PERSON", "Anna Kowalska"),
        ("STREET_ADDRESS", "ul. Długa 5/4, 00-950 Warszawa"),
        ("PL_ID_CARD", "ABA300000"),
    }
