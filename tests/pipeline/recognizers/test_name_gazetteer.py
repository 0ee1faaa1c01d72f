"""PERSON from a listed first name (any Polish case) followed by a surname."""

from __future__ import annotations

import pytest

from pipeline.recognizers.name_gazetteer import SCORE_CAPITALISED, SCORE_LOWER, NameGazetteerRecognizer, _polish_forms
from tests.support.recognizers import table_tests

MATCHING = [
    ("Wygrałem! Bartosz Kowalski, PESEL 123", "Bartosz Kowalski", SCORE_CAPITALISED),
    ("Rozmawiałam z Marią Krawczyk z działu", "Marią Krawczyk", SCORE_CAPITALISED),
    ("Proszę przekazać do Jakuba Wiśniewskiego", "Jakuba Wiśniewskiego", SCORE_CAPITALISED),
    ("rozmawiałem z Pawłem Nowakiem", "Pawłem Nowakiem", SCORE_CAPITALISED),
    ("list od Marka Lisa", "Marka Lisa", SCORE_CAPITALISED),
    ("thanks so much best samuel robinson", "samuel robinson", SCORE_LOWER),
    ("adres: 98-850 bydgoszcz, dorota zawadzka, tel.", "dorota zawadzka", SCORE_LOWER),
    ("Maria Jankowska, PESEL", "Maria Jankowska", SCORE_CAPITALISED),
    ("Contest winner: Emily Clarke", "Emily Clarke", SCORE_CAPITALISED),
]

NOT_MATCHING = [
    "anna will call you",
    "I love Anna cakes",
    "Maja the bee",
    "order from Amazon Prime",
    "Thanks Anna!",
    "kod ZYW-4821-KX",
    "What time do you open tomorrow?",
    "ANNA KOWALSKA",  # all caps: no case to tell a surname by
]


test_finds, test_rejects, test_prefilter_accepts_every_match = table_tests(
    NameGazetteerRecognizer, MATCHING, NOT_MATCHING, position="any"
)


@pytest.mark.parametrize(
    "name, form",
    [
        ("maria", "marią"),
        ("zofia", "zofii"),
        ("anna", "annę"),
        ("jakub", "jakuba"),
        ("marek", "marka"),
        ("paweł", "pawłem"),
    ],
)
def test_polish_case_forms(name, form):
    assert form in _polish_forms(name)
