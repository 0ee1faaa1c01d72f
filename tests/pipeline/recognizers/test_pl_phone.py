"""PHONE_NUMBER (Polish): prefixes, groupings, and the cue-based score of bare numbers."""

from __future__ import annotations

import pytest

from pipeline.recognizers.pl_phone import (
    SCORE_BARE,
    SCORE_CONTEXT,
    SCORE_NEGATIVE,
    SCORE_PREFIXED,
    PlPhoneRecognizer,
)
from tests.pipeline.recognizers.synthetic import iban, in_fours, nrb, pesel
from tests.support.recognizers import found, table_tests

MATCHING = [
    # text, value, score
    ("tel 601 234 567", "601 234 567", SCORE_CONTEXT),
    ("Call me at +48 601-234-567", "+48 601-234-567", SCORE_PREFIXED),
    ("0048601234567", "0048601234567", SCORE_PREFIXED),
    ("(+48) 512 345 678 po 17", "(+48) 512 345 678", SCORE_PREFIXED),
    ("+48601234567", "+48601234567", SCORE_PREFIXED),
    ("+48 12 421 67 89 (Kraków)", "+48 12 421 67 89", SCORE_PREFIXED),
    ("zadzwoń: 60 123 45 67", "60 123 45 67", SCORE_CONTEXT),
    ("mój numer 512345678", "512345678", SCORE_CONTEXT),
    ("whatsapp 781 234 567!", "781 234 567", SCORE_CONTEXT),
    ("kom. 601 23 45 67", "601 23 45 67", SCORE_CONTEXT),
    ("biuro (22) 123-45-67", "(22) 123-45-67", SCORE_BARE),
    ("phone: 22 1234567", "22 1234567", SCORE_CONTEXT),
    ("601234567", "601234567", SCORE_BARE),
    ("601 234 567 to mój numer", "601 234 567", SCORE_CONTEXT),
    ("my order is 12345, call me at 601 234 567", "601 234 567", SCORE_CONTEXT),
    ("numer zamówienia 601234567", "601234567", SCORE_NEGATIVE),
    ("order #601234567", "601234567", SCORE_NEGATIVE),
    ("nr paczki 612 345 678", "612 345 678", SCORE_NEGATIVE),
    ("+48 601234567 (numer zamówienia)", "+48 601234567", SCORE_PREFIXED),
    ("numer klienta 601234567", "601234567", SCORE_NEGATIVE),
    ("kontakt 601234567", "601234567", SCORE_CONTEXT),
    ("call customer service at 601 234 567", "601 234 567", SCORE_CONTEXT),
    ("601234567 - numer zamówienia", "601234567", SCORE_NEGATIVE),
    # An identifier word, then "nr"/"numer": the number belongs to the identifier.
    ("faktura nr 601234567", "601234567", SCORE_NEGATIVE),
    ("Zamówienie nr 601 234 567", "601 234 567", SCORE_NEGATIVE),
    ("zamówienie: numer 601234567", "601234567", SCORE_NEGATIVE),
    ("Zamówienie 601 234 567", "601 234 567", SCORE_NEGATIVE),
    ("Invoice 601 234 567", "601 234 567", SCORE_NEGATIVE),
    ("Order #601234567", "601234567", SCORE_NEGATIVE),
    # ... but a phone word before "nr" keeps it a phone number.
    ("kontakt nr 601234567", "601234567", SCORE_CONTEXT),
    ("zamówienie ok, tel nr 601234567", "601234567", SCORE_CONTEXT),
    ("faktura przyszła, mój nr 601234567", "601234567", SCORE_CONTEXT),
    ("call me on 601 234 567", "601 234 567", SCORE_CONTEXT),
    ("my number is 601234567", "601234567", SCORE_BARE),
]

NOT_MATCHING = [
    "tel 012345678",  # no number starts with 0
    "tel 123456789",  # the placeholder
    "tel 111 111 111",
    "tel 19 123 45 67",  # 19 is no area code
    "tel 6012345678",  # 10 digits
    "tel 601 234 5678",
    "1 234 567 890",
    f"PESEL {pesel(1985, 3, 12)}",
    f"konto {in_fours(iban('PL', nrb('124000001234567890123456')[2:]))}",
    f"konto {nrb('124000001234567890123456')}",
    "card 4111 1111 1111 1111",
    "kod ZYW-4821-KX",
    "PROMO2026",
    "o 10:30",
    "cena 12,99 zł",
    "2026-11-29",
    "iPhone 15 Pro",
    "00-950 Warszawa",
]


@pytest.fixture(scope="module")
def recognizer() -> PlPhoneRecognizer:
    return PlPhoneRecognizer()


test_finds, test_rejects, test_prefilter_accepts_every_match = table_tests(PlPhoneRecognizer, MATCHING, NOT_MATCHING)


def test_scores_relative_to_the_default_threshold():
    assert SCORE_NEGATIVE < 0.3 < SCORE_BARE < SCORE_CONTEXT == SCORE_PREFIXED


def test_context_window_is_limited(recognizer):
    far = "tel. " + "x" * 40 + " 601234567"
    assert found(recognizer, far) == [("PHONE_NUMBER", "601234567", SCORE_BARE)]


def test_bare_country_code_with_separator(recognizer):
    assert found(recognizer, "48 601 234 567") == [("PHONE_NUMBER", "48 601 234 567", SCORE_PREFIXED)]
    # Radom's area code 48 is a landline, not a country code
    assert found(recognizer, "48 123 45 67") == [("PHONE_NUMBER", "48 123 45 67", SCORE_BARE)]
