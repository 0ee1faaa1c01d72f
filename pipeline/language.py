"""Per-message language guess, English or Polish, cheap enough to run on every message.

Chat messages are short and informal, so a character- and stop-word-based guess is as good
as a model here: Polish diacritics or common Polish function words mean Polish; anything else
is treated as English (every pattern recognizer runs regardless; only NER depends on it).
"""

from __future__ import annotations

import re

_POLISH_LETTERS = re.compile(r"[ąćęłńóśźżĄĆĘŁŃÓŚŹŻ]")
_POLISH_WORDS = frozenset(
    """
    i w z na nie się to jest że do jak co ale po tak od za dla czy mam mnie mój moja moje
    jestem jesteś był była było proszę dzień dobry cześć witam dziękuję dzieki dziekuje jutro
    kiedy gdzie ile numer nazywam imię imie tej strony tu pod przez już jeszcze bardzo może
    sie prosze czesc moj juz moze zamowienie zamówienie adres mieszkam ulica wygrałem wygralem
    wygrałam wygralam nagroda kod dostawa paczka mój twój jaki jaka gdzie są sa mogę moge
    """.split()
)
_WORD = re.compile(r"[a-ząćęłńóśźż]+")


def detect_language(text: str) -> str:
    """'pl' or 'en'."""
    if _POLISH_LETTERS.search(text):
        return "pl"
    words = _WORD.findall(text.lower())
    if not words:
        return "en"
    polish = sum(1 for w in words if w in _POLISH_WORDS)
    # "i" alone is also English; require two Polish function words, or a third of the words.
    return "pl" if polish >= 2 and polish * 3 >= len(words) or polish >= 3 else "en"
