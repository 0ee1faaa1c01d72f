"""Cue words that tell a phone number from an order, invoice or ticket number typed the same way.

A bare "601 234 567" is as often an order, parcel or invoice number as a phone number. The cue
nearest to the number decides: a phone word ("tel", "call", "numer") or an identifier word
("order", "faktura", "ticket", "numer zamówienia"). "nr" and "numer" alone are phone cues;
right after an identifier word ("faktura nr", "zamówienie numer") they number that identifier.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from pipeline.recognizers._base import context_regex

# Words that make a number next to them a phone number.
PHONE_WORDS = [
    "tel", "tel.", "telefon", "telefonicz", "phone", "mobile", "cell", "call", "calling",
    "ring", "text me", "sms", "whatsapp", "signal", "viber", "telegram", "contact", "reach me",
    "zadzwoń", "zadzwon", "dzwoń", "dzwon", "zadzwonić", "oddzwoń", "oddzwon", "numer", "nr",
    "kom", "kom.", "komórk", "komork", "kontakt", "esemes", "napisz sms",
]
# Words that make a bare number an identifier rather than a phone number.
IDENTIFIER_WORDS = [
    "order", "zamówieni", "zamowieni", "zam", "zam.", "faktur", "invoice", "paczk", "przesyłk",
    "przesylk", "parcel", "shipment", "tracking", "śledzeni", "sledzeni", "list przewozowy",
    "konta", "konto", "account", "rachunk", "transakcj", "transaction", "ticket", "zgłoszeni",
    "zgloszeni", "reklamacj", "referenc", "ref", "ref.", "kod", "code", "sku", "ean", "paragon",
    "receipt", "nip", "regon", "pesel", "id", "id klienta", "customer id", "customer number",
    "client id", "member id", "pin", "order number", "order no", "tracking number",
    "account number", "invoice number", "ticket number", "reference number",
]
# "numer"/"nr" before what it numbers.
IDENTIFIER_WORDS += [
    f"{prefix} {stem}"
    for prefix in ("numer", "nr", "nr.")
    for stem in (
        "zamówieni", "zamowieni", "zam", "zam.", "paczk", "przesyłk", "przesylk", "faktur",
        "konta", "rachunk", "transakcj", "zgłoszeni", "zgloszeni", "reklamacj", "klienta",
        "referencyjn", "śledzeni", "sledzeni", "listu", "sprawy", "umowy", "dowodu",
    )
]

# Phone cues that only say "a number follows": after an identifier word they number it.
_NUMBERING_WORDS = frozenset({"nr", "nr.", "numer", "number", "no", "no."})
# What may stand between an identifier word and its "nr": the rest of the word, then spaces,
# a colon or a dot ("faktura nr", "Zamówienie: numer", "order. no").
_CONTINUATION = re.compile(r"\w*[\s.:]*")


class PhoneCues:
    """The nearest cue to a number: True a phone word, False an identifier word, None neither."""

    def __init__(self, phone_words: Iterable[str], identifier_words: Iterable[str] = IDENTIFIER_WORDS) -> None:
        kinds = ((context_regex(phone_words), True), (context_regex(identifier_words), False))
        self._regexes = [(regex, kind) for regex, kind in kinds if regex is not None]

    def nearest(self, text: str, start: int, end: int, before: int = 30, after: int = 20) -> bool | None:
        """Before the number, the cue ending last is the closest; after it (only when there is
        none before), the one starting first. Overlapping cues go to the longer one: "numer
        klienta" (an identifier) beats "numer" (a phone cue), "kontakt" (a phone cue) beats
        "konta" (an identifier). A bare "nr" right after an identifier word numbers that
        identifier: "faktura nr 601234567" is an invoice number."""
        window = text[max(0, start - before) : start]
        cues = [(m, kind) for regex, kind in self._regexes for m in regex.finditer(window)]
        if cues:
            last, kind = _last(cues)
            if kind and last.group().lower() in _NUMBERING_WORDS:
                earlier = [c for c in cues if c[0].end() <= last.start()]
                if earlier:
                    previous, previous_kind = _last(earlier)
                    if not previous_kind and _CONTINUATION.fullmatch(window, previous.end(), last.start()):
                        return False
            return kind
        window = text[end : end + after]
        best_key, best = None, None
        for regex, kind in self._regexes:
            m = regex.search(window)
            if m:
                key = (-m.start(), m.end() - m.start())
                if best_key is None or key > best_key:
                    best_key, best = key, kind
        return best


def _last(cues: list[tuple[re.Match[str], bool]]) -> tuple[re.Match[str], bool]:
    """The cue ending last; of two ending together, the longer."""
    return max(cues, key=lambda c: (c[0].end(), c[0].end() - c[0].start()))
