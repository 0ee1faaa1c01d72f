"""PHONE_NUMBER by shape: +CC, NANP and UK national numbers, no numbering-plan check."""

from __future__ import annotations

import pytest

from pipeline.recognizers.phone_international import SCORE_IDENTIFIER, InternationalPhoneRecognizer
from tests.support.recognizers import found, table_tests

MATCHING = [
    ("phone: +447700900241", "+447700900241"),
    ("call +44 7700 900997 after six", "+44 7700 900997"),
    ("+1 (212) 555-0199", "+1 (212) 555-0199"),
    ("+48 601 234 567", "+48 601 234 567"),
    ("+49 30 901820", "+49 30 901820"),
    ("Call me at (555) 123-4567", "(555) 123-4567"),
    ("my cell 555.123.4567", "555.123.4567"),
    ("call 1-503-555-0105 now", "1-503-555-0105"),
    ("please call 020 7946 0206 before 10", "020 7946 0206"),
    ("07700 900241", "07700 900241"),
]

NOT_MATCHING = [
    "order 2026095495",
    "tracking 3984-1902",
    "price 3.99",
    "ZAM/2026/09/5495",
    "at 10:30 on 05.11.2026",
    "+1 2",
    "code ZYW-4821-KX",
    "call me at 5pm",
    "invoice 0123",
]


test_finds, test_rejects, test_prefilter_accepts_every_match = table_tests(
    InternationalPhoneRecognizer, MATCHING, NOT_MATCHING, position="any"
)


def test_uk_national_numbers_score_higher_with_a_phone_word():
    [(_, _, with_cue)] = found(InternationalPhoneRecognizer(), "phone 020 7946 0206")
    [(_, _, bare)] = found(InternationalPhoneRecognizer(), "see 020 7946 0206")
    assert with_cue > bare >= 0.3


@pytest.mark.parametrize(
    "text, value, score",
    [
        # An identifier word as the nearest cue: below the default 0.3 threshold.
        ("Order #555-123-4567", "555-123-4567", SCORE_IDENTIFIER),
        ("Invoice (555) 123-4567", "(555) 123-4567", SCORE_IDENTIFIER),
        ("zamówienie 555.123.4567", "555.123.4567", SCORE_IDENTIFIER),
        ("faktura nr 020 7946 0206", "020 7946 0206", SCORE_IDENTIFIER),
        ("Ticket 020 7946 0206", "020 7946 0206", SCORE_IDENTIFIER),
        # A phone word nearer than the identifier, or a country code: still a phone number.
        ("order 12345, call me at 555-123-4567", "555-123-4567", 0.6),
        ("call me on 555-123-4567", "555-123-4567", 0.6),
        ("my number is 020 7946 0206", "020 7946 0206", 0.6),
        ("Order +44 7700 900997", "+44 7700 900997", 0.7),
    ],
)
def test_identifier_words_lower_the_score(text, value, score):
    assert found(InternationalPhoneRecognizer(), text) == [("PHONE_NUMBER", value, score)]
    assert SCORE_IDENTIFIER < 0.3
