"""PHONE_NUMBER in international and common national formats, without a numbering-plan check.

Presidio's phone recognizer asks libphonenumbers whether a number is *valid*, which refuses
reserved and fictional ranges (UK 07700 900xxx, US 555-01xx) and any range it does not know
yet. For redaction a number that only looks like a phone number must still go, so this
recognizer goes by shape:

* ``+CC`` followed by 8-14 more digits (spaces, dots, dashes, brackets allowed): 0.7;
* NANP "(555) 123-4567" / "555-123-4567" / "555.123.4567": 0.6;
* UK-style national numbers starting with 0 ("020 7946 0206", "07700 900241"): 0.6 with
  a phone context word nearby, else 0.4.

Without a country code, an identifier word as the nearest cue ("Order #555-123-4567",
"faktura nr 020 7946 0206") drops the score to 0.2, below the default 0.3 threshold, as in
``pl_phone`` (cues: ``_phone_cues``). A +CC number stays a phone number whatever the words.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from presidio_analyzer import Pattern

from pipeline.recognizers._base import ChatguardRecognizer
from pipeline.recognizers._phone_cues import PhoneCues

_SEP = r"[\s.\-]?"
SCORE_WITH_CONTEXT = 0.6
SCORE_IDENTIFIER = 0.2


class InternationalPhoneRecognizer(ChatguardRecognizer):
    ENTITY = "PHONE_NUMBER"
    PATTERNS = [
        Pattern("e164", r"(?<![\w+])\+\d{1,3}" + r"(?:[\s.\-]?\(?\d{1,5}\)?){2,6}(?!\d)", 0.7),
        Pattern("nanp", r"(?<![\w+])(?:1[\s.\-])?(?:\(\d{3}\)\s?|\d{3}[\s.\-])\d{3}[\s.\-]\d{4}(?!\d)", 0.6),
        Pattern("national-0", r"(?<![\w+])\(?0\d{2,4}\)?" + _SEP + r"\d{3,4}" + _SEP + r"\d{3,4}(?!\d)", 0.4),
    ]
    CONTEXT = [
        "phone",
        "tel",
        "telephone",
        "mobile",
        "cell",
        "call",
        "text",
        "number",
        "whatsapp",
        "sms",
        "telefon",
        "komórka",
        "komorka",
        "numer",
        "nr",
        "zadzwoń",
        "zadzwon",
        "dzwonić",
    ]
    PREFILTER = re.compile(r"\+\d|\d{3}[\s.\-)]|\(\d{3}\)|(?<!\d)0\d{2,4}")

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._cues = PhoneCues(self.context)

    def spans(self, text: str, match: re.Match[str], pattern: Pattern) -> Iterator[tuple[int, int, float]]:
        start, end = match.span()
        digits = sum(ch.isdigit() for ch in match.group(0))
        if pattern.name == "e164":
            if 9 <= digits <= 15:
                yield start, end, pattern.score
            return
        if pattern.name == "national-0" and not 10 <= digits <= 11:
            return
        cue = self._cues.nearest(text, start, end, self.CONTEXT_BEFORE, self.CONTEXT_AFTER)
        if cue is False:
            yield start, end, SCORE_IDENTIFIER
        elif cue and pattern.name == "national-0":
            yield start, end, SCORE_WITH_CONTEXT
        else:
            yield start, end, pattern.score
