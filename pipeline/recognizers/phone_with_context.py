"""PHONE_NUMBER: a number of any country's shape that its words call a phone.

Numbering plans differ (Norway "941 67 988", Australia "(03) 6257 6885", Estonia "22 782310",
Belgium "0499 13 05 85"); validating each against its country's plan would need the country.
Instead: 6-15 digits in phone-like groups ("(03) 6257 6885", "046-8275895", "27-37-49-46",
"459.199.8177x603") count when a phone word stands right before ("call me at", "Phone:",
"Mobile:", "tel.", "messages to", "zadzwoń") or after ("office", "fax", "mobile", "-Office"), unless the
nearest cue is an order, invoice or ticket word ("Zamówienie nr 601 234 567", see
``_phone_cues``) and the number has no "+".
"""

from __future__ import annotations

import re

from presidio_analyzer import Pattern

from pipeline.recognizers._base import ChatguardRecognizer, digits_of
from pipeline.recognizers._phone_cues import PHONE_WORDS, PhoneCues

_BEFORE = re.compile(
    r"(?i:(?:phone|tel|telephone|mobile|cell|cellphone|fax|desk|office|call|reach|text|texts|sms|whatsapp|"
    r"messages?|receiving[ \t]+messages|"
    r"viber|signal|dial|ring|registered|answering|contact|number|no|nr|numer|telefon\w*|kom[óo]rk\w*|"
    r"zadzwo\w*|dzwo\w*|puhelin|telefono|tel[ée]fono|t[ée]l[ée]phone|handy)"
    r"\b[^\w\n]{0,3}(?:(?:me|us|him|her|at|on|is|to|via|under|:|#)\b\W{0,2}){0,3}$)"
)
_AFTER = re.compile(r"(?i:^[^\w\n]{0,3}(?:office|fax|mobile|cell|home|work|desk|tel|phone)\b)")
_CUES = PhoneCues(PHONE_WORDS)
_DATE = re.compile(r"\d{4}([-./])\d{1,2}\1\d{1,2}|\d{1,2}([-./])\d{1,2}\2\d{2,4}")


class ContextPhoneRecognizer(ChatguardRecognizer):
    """Phone-shaped numbers with a phone word next to them (score 0.6)."""

    ENTITY = "PHONE_NUMBER"
    PATTERNS = [
        Pattern(
            "phone with a phone word",
            r"(?<![\w+.\-/])\+?(?:\(\d{1,5}\)[ .\-]?)?\d{1,5}(?:[ .\-]\d{1,6}){0,5}(?:[ ]?(?:x|ext\.?)[ ]?\d{1,5})?(?!\w|-\d|[.,/]\d)",
            0.6,
        ),
    ]
    FLAGS = 0
    PREFILTER = re.compile(r"\d(?:[ .\-()]{0,2}\d){5}")

    def validate_result(self, pattern_text: str) -> bool | None:
        if _DATE.fullmatch(pattern_text):
            return False
        digits = digits_of(re.split(r"[ ]?(?:x|ext)", pattern_text)[0])
        return None if 6 <= len(digits) <= 15 and len(set(digits)) > 1 else False

    def score_match(self, text, start, end, score, valid, match) -> float | None:
        if text[start] != "+" and _CUES.nearest(text, start, end) is False:
            return None
        if _BEFORE.search(text[max(0, start - 40) : start]) or _AFTER.search(text[end : end + 12]):
            return score
        return None
