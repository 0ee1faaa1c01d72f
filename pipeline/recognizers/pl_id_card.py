"""PL_ID_CARD: the number of a Polish identity card (dowód osobisty).

Three letters (the series) and six digits, e.g. "ABA300000", sometimes with a space
("ABA 300000"). The first digit is the check digit: weights 7,3,1,9,7,3,1,7,3 over all nine
characters (letters A=10 ... Z=35) give a sum divisible by 10. Lower-case series are
accepted too (chat), on the same checksum.
"""

from __future__ import annotations

import re

from presidio_analyzer import Pattern

from pipeline.recognizers._base import ChatguardRecognizer

WEIGHTS = (7, 3, 1, 9, 7, 3, 1, 7, 3)


def id_card_value(char: str) -> int:
    return int(char, 36)  # "0".."9" -> 0..9, "A".."Z" (either case) -> 10..35


def is_valid_id_card(text: str) -> bool:
    compact = text.replace(" ", "")
    if len(compact) != 9 or not compact[:3].isascii() or not compact[:3].isalpha() or not compact[3:].isdigit():
        return False
    return sum(id_card_value(c) * w for c, w in zip(compact, WEIGHTS, strict=True)) % 10 == 0


class PlIdCardRecognizer(ChatguardRecognizer):
    """Polish ID card number, checksum verified (invalid ones are dropped, valid ones score 1.0)."""

    ENTITY = "PL_ID_CARD"
    COUNTRY_CODE = "pl"
    PATTERNS = [
        Pattern("ID card", r"(?<![^\W_])[A-Z]{3} ?\d{6}(?![^\W_])", 0.4),
    ]
    CONTEXT = [
        "dowód",
        "dowod",
        "dowodu",
        "dowód osobisty",
        "seria",
        "numer dowodu",
        "nr dowodu",
        "id card",
        "identity card",
        "document number",
        "numer dokumentu",
        "nr dokumentu",
    ]
    # Every match holds six consecutive digits.
    PREFILTER = re.compile(r"\d{6}")

    def validate_result(self, pattern_text: str) -> bool | None:
        return is_valid_id_card(pattern_text)
