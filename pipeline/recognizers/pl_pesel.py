"""PL_PESEL: the Polish national identification number.

11 digits: YYMMDD (month offset by century: 1800s +80, 1900s +0, 2000s +20, 2100s +40,
2200s +60), a 4-digit serial and a check digit (weights 1,3,7,9,1,3,7,9,1,3; check =
(10 - sum % 10) % 10). Written contiguous ("85031212345") or grouped as people type it:
"850312 12345", "850312-12345", "85 03 12 123 45" (separators only between the date
parts, after the date and before the last two digits).

A match counts only if the check digit is right AND the encoded birth date is a real,
past calendar date: together they reject about 97% of random 11-digit numbers.
"""

from __future__ import annotations

import re
from datetime import date

from presidio_analyzer import Pattern

from pipeline.recognizers._base import ChatguardRecognizer, digits_of

WEIGHTS = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
# Month offset -> century.
CENTURIES = {80: 1800, 0: 1900, 20: 2000, 40: 2100, 60: 2200}

_SEP = r"[ \-]?"


def pesel_check_digit(first10: str) -> int:
    return (10 - sum(int(d) * w for d, w in zip(first10, WEIGHTS, strict=True)) % 10) % 10


def pesel_birth_date(digits: str) -> date | None:
    """The birth date a PESEL encodes, or None if it encodes no real date."""
    yy, mm, dd = int(digits[0:2]), int(digits[2:4]), int(digits[4:6])
    offset = (mm // 20) * 20
    century = CENTURIES.get(offset)
    if century is None:
        return None
    try:
        return date(century + yy, mm - offset, dd)
    except ValueError:
        return None


def is_valid_pesel(text: str) -> bool:
    digits = digits_of(text)
    if len(digits) != 11:
        return False
    born = pesel_birth_date(digits)
    if born is None or born > date.today():
        return False
    return pesel_check_digit(digits[:10]) == int(digits[10])


class PlPeselRecognizer(ChatguardRecognizer):
    """PESEL, checksum and birth date verified (invalid ones are dropped, valid ones score 1.0)."""

    ENTITY = "PL_PESEL"
    COUNTRY_CODE = "pl"
    PATTERNS = [
        Pattern(
            "PESEL (contiguous or grouped)",
            rf"(?<!\d)(?<!\d[ \-])\d\d{_SEP}\d\d{_SEP}\d\d{_SEP}\d{{3}}{_SEP}\d\d(?![ \-]?\d)",
            0.4,
        ),
        # Eleven digits in one piece are a whole token even with another number a space away
        # ("Jan Kowalski 44051401359 601234567").
        Pattern("PESEL (one piece, beside other numbers)", r"(?<![\d\-.])\d{11}(?![\d\-]|[.,]\d)", 0.4),
    ]
    CONTEXT = [
        "pesel",
        "numer pesel",
        "nr pesel",
        "national id",
        "identification number",
        "numer identyfikacyjny",
        "ewidencyjny",
    ]
    # 11 digits, single optional separators anywhere: a superset of the pattern.
    PREFILTER = re.compile(r"\d(?:[ \-]?\d){10}")

    def validate_result(self, pattern_text: str) -> bool | None:
        return is_valid_pesel(pattern_text)
