"""PL_REGON: 9 digits (high only with a REGON context word) and 14 digits (two checksums)."""

from __future__ import annotations

import pytest

from pipeline.recognizers.pl_regon import BARE_9_DIGIT_SCORE, PlRegonRecognizer
from tests.pipeline.recognizers.synthetic import bump, grouped, regon9, regon14
from tests.support.recognizers import found, table_tests

R9 = regon9("73210423")
R9B = regon9("14002567")
R14 = regon14("73210423", "0001")
R14B = regon14("30211859", "0042")


def _r14_with_bad_parent() -> str:
    body = bump(regon9("73210423")) + "0001"
    weights = (2, 4, 8, 5, 0, 9, 7, 3, 6, 1, 2, 4, 8)
    return body + str(sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11 % 10)


MATCHING = [
    # text, value, score
    (f"REGON: {R9}", R9, 1.0),
    (f"nr regon {R9B}.", R9B, 1.0),
    (f"REGON {grouped(R9, [3, 3])}", grouped(R9, [3, 3]), 1.0),
    (f"numer statystyczny firmy {R9B}", R9B, 1.0),
    (f"{R9} (REGON)", R9, 1.0),
    (f"regon:{R9}", R9, 1.0),
    (f"REGON {R14}", R14, 1.0),
    (f"oddział {R14B}", R14B, 1.0),
    (R14, R14, 1.0),
]

NOT_MATCHING = [
    f"REGON {bump(R9)}",
    f"REGON {bump(R14)}",
    f"REGON {_r14_with_bad_parent()}",  # 14-digit check right, parent REGON wrong
    "REGON 000000000",
    f"REGON {R9}1",  # 10 digits
    f"REGON {R14}1",  # 15 digits
    f"REGON {R9[:8]}",
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
def recognizer() -> PlRegonRecognizer:
    return PlRegonRecognizer()


test_finds, test_rejects, test_prefilter_accepts_every_match = table_tests(PlRegonRecognizer, MATCHING, NOT_MATCHING)


@pytest.mark.parametrize("text", [f"zamówienie {R9}", R9, f"tel {grouped(R9, [3, 3])}"])
def test_bare_nine_digits_stay_below_threshold(recognizer, text):
    (result,) = found(recognizer, text)
    assert result[2] == BARE_9_DIGIT_SCORE < 0.3
