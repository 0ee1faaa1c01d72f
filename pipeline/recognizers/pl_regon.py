"""PL_REGON: the Polish business statistical number.

Two forms:

* 9 digits (weights 8,9,2,3,4,5,6,7 on the first eight, mod 11, 10 -> 0);
* 14 digits, for local units: the parent's 9-digit REGON, a 4-digit unit number and a
  check digit (weights 2,4,8,5,0,9,7,3,6,1,2,4,8, mod 11, 10 -> 0). Both check digits
  must be right: the first nine digits of a real 14-digit REGON are a valid REGON.

Scoring, and why: a 9-digit number is what a Polish phone number, an order number or a
parcel number looks like too, and one random 9-digit number in ten passes the REGON
checksum. So the 9-digit form scores high (1.0) only with BOTH a valid checksum AND a
REGON context word ("REGON", "nr regon", "numer statystyczny"...) within 30 characters
before or 20 after; with a valid checksum and no context word it scores 0.2, below the
default threshold (0.3): a bare 9-digit number is left to the phone recognizer, which
scores it as a possible phone number. A failed checksum always drops the match.
The 14-digit form has two independent check digits (about 1 in 100 random numbers pass)
and few look-alikes in chat: a valid one scores 1.0 with or without context.
Accepted spellings: contiguous, and the 9-digit form grouped 3-3-3 ("123 456 785",
"123-456-785").
"""

from __future__ import annotations

import re

from presidio_analyzer import Pattern

from pipeline.recognizers._base import ChatguardRecognizer, digits_of

WEIGHTS_9 = (8, 9, 2, 3, 4, 5, 6, 7)
WEIGHTS_14 = (2, 4, 8, 5, 0, 9, 7, 3, 6, 1, 2, 4, 8)

#: Score of a checksum-valid 9-digit REGON with no context word (below the 0.3 threshold).
BARE_9_DIGIT_SCORE = 0.2


def regon_check_digit(body: str) -> int:
    weights = WEIGHTS_9 if len(body) == 8 else WEIGHTS_14
    return sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11 % 10


def is_valid_regon(text: str) -> bool:
    digits = digits_of(text)
    if len(digits) not in (9, 14) or len(set(digits)) == 1:
        return False
    if regon_check_digit(digits[:8]) != int(digits[8]):
        return False
    return len(digits) == 9 or regon_check_digit(digits[:13]) == int(digits[13])


class PlRegonRecognizer(ChatguardRecognizer):
    """REGON (9 or 14 digits), checksum verified; the 9-digit form needs a context word to score high."""

    ENTITY = "PL_REGON"
    COUNTRY_CODE = "pl"
    PATTERNS = [
        Pattern("REGON-14", r"(?<![\d\-])\d{14}(?![\d]|[ \-]\d)", 0.5),
        Pattern(
            "REGON-9", r"(?<![\d\-])(?<!\d )(?:\d{9}|\d{3}([ \-])\d{3}\1\d{3})(?![\d]|[ \-]\d)", BARE_9_DIGIT_SCORE
        ),
    ]
    CONTEXT = [
        "regon",
        "numer regon",
        "nr regon",
        "statystyczn",
        "identyfikacji statystycznej",
        "rgon",
        "reogn",
        "regn",  # typed in a hurry
        "business registry number",
        "statistical number",
    ]
    PREFILTER = re.compile(r"\d(?:[ \-]?\d){8}")

    def validate_result(self, pattern_text: str) -> bool | None:
        return is_valid_regon(pattern_text)

    def score_match(self, text, start, end, score, valid, match):
        if len(digits_of(text[start:end])) == 14:
            return score
        return 1.0 if self.has_context(text, start, end) else BARE_9_DIGIT_SCORE
