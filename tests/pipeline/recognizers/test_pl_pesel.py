"""PL_PESEL: contiguous and grouped; checksum and birth date verified."""

from __future__ import annotations

import pytest

from pipeline.recognizers.pl_pesel import PlPeselRecognizer
from tests.pipeline.recognizers.synthetic import bump, grouped, pesel, pesel_with_check
from tests.support.recognizers import found, table_tests

P1985 = pesel(1985, 3, 12, "1234")
P1999 = pesel(1999, 12, 31, "0021")
P2004 = pesel(2004, 2, 29, "5678")  # leap day, month 22
P2015 = pesel(2015, 7, 1, "0008")
P1899 = pesel(1899, 12, 31, "0010")  # month 92

MATCHING = [
    # text, the value found
    (f"PESEL: {P1985}", P1985),
    (f"mój pesel to {P1999}, dzięki", P1999),
    (f"pesel dziecka {P2004}", P2004),
    (f"Jan Kowalski {P1985} 601234567", P1985),  # another number a space away
    (f"PESEL {P1999} 3 razy wpisałam źle", P1999),
    (f"{P2015}", P2015),
    (f"born in the 1800s: {P1899}", P1899),
    (f"PESEL {grouped(P1985, [2, 2, 2, 3])} ok", grouped(P1985, [2, 2, 2, 3])),
    (f"pesel {grouped(P1999, [6])}", grouped(P1999, [6])),
    (f"pesel {grouped(P1999, [6], '-')}.", grouped(P1999, [6], "-")),
    (f"(pesel:{P2015})", P2015),
    (f"my national id {P2004} and my sister's {P2015}", P2004),
]

NOT_MATCHING = [
    f"PESEL {bump(P1985)}",  # check digit wrong
    f"PESEL {bump(P1999, 5)}",  # a date digit changed: checksum breaks
    f"PESEL {pesel_with_check('8513121234')}",  # month 13
    f"PESEL {pesel_with_check('8502301234')}",  # 30 February
    f"PESEL {pesel_with_check('9952011234')}",  # month 52: 2100s, in the future
    f"PESEL {pesel(2099, 1, 1)}",  # valid format, but a future birth date
    f"PESEL {P1985}7",  # 12 digits
    f"9{P1985}9",  # inside a longer number
    f"PESEL {P1985[:10]}",  # 10 digits
    "zamówienie nr 12345678901",
    "Call me at +48 601 234 567",
    "kod ZYW-4821-KX",
    "PROMO2026",
    "o 10:30",
    "cena 12,99 zł",
    "2026-11-29",
    "iPhone 15 Pro",
    "00-950 Warszawa",
]


@pytest.fixture(scope="module")
def recognizer() -> PlPeselRecognizer:
    return PlPeselRecognizer()


test_finds, test_rejects, test_prefilter_accepts_every_match = table_tests(
    PlPeselRecognizer, MATCHING, NOT_MATCHING, score=1.0, position="first"
)


def test_finds_two():
    text = f"{P1985} i {P2004}"
    assert [v for _, v, _ in found(PlPeselRecognizer(), text)] == [P1985, P2004]


def test_validate_result_contract(recognizer):
    assert recognizer.validate_result(P1985) is True
    assert recognizer.validate_result(bump(P1985)) is False
