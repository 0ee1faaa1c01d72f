"""PL_ID_CARD: three letters + six digits, check digit first."""

from __future__ import annotations

from pipeline.recognizers.pl_id_card import PlIdCardRecognizer
from tests.pipeline.recognizers.synthetic import bump, id_card
from tests.support.recognizers import table_tests

A = id_card("ABA", "00000")  # the format's textbook specimen, ABA300000
B = id_card("AXC", "12345")
C = id_card("DEF", "98765")
D = id_card("ZZK", "40210")


def test_specimen():
    assert A == "ABA300000"


MATCHING = [
    (f"dowód {A}", A),
    (f"nr dowodu: {B}.", B),
    (f"seria i numer {C[:3]} {C[3:]}", f"{C[:3]} {C[3:]}"),
    (f"id card {D}", D),
    (f"dowod {B.lower()}", B.lower()),
    (f"({C})", C),
    (D, D),
    (f"mój dowód to {A} a żony {B}", A),
]

NOT_MATCHING = [
    f"dowód {bump(A, 3)}",  # check digit wrong
    f"dowód {bump(B, 8)}",  # a digit changed
    f"dowód X{A}",  # four letters
    f"dowód {A}1",  # seven digits
    f"dowód {A[1:]}",  # two letters
    "dowód ĄBC300000",
    "kod ZYW-4821-KX",
    "PROMO2026",
    "o 10:30",
    "cena 12,99 zł",
    "2026-11-29",
    "iPhone 15 Pro",
    "00-950 Warszawa",
]


test_finds, test_rejects, test_prefilter_accepts_every_match = table_tests(
    PlIdCardRecognizer, MATCHING, NOT_MATCHING, score=1.0, position="first"
)
