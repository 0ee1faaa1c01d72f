"""Per-message language guess, English or Polish, cheap enough to run on every message.

Chat messages are short and informal, so a character- and stop-word-based guess is as good as
a model here. Polish function words and words spelled with Polish-only letters (ą ę ł ń ś ź ż)
count for Polish, English function words for English; the larger count wins, English on a
tie. A name in another language's spelling ("Pavlović", "Aristóteles Ávalos") in an English
sentence does not make it Polish: ć and ó are not Polish-only. Every pattern recognizer runs
regardless; only which NER entities are believed depends on it (``pipeline.ner``).
"""

from __future__ import annotations

import re

_POLISH_ONLY_LETTERS = re.compile(r"[ąęłńśźżĄĘŁŃŚŹŻ]")
# Polish function words that are not also common English words ("i", "to", "a", "do", "no").
_POLISH_WORDS = frozenset(
    """
    w z na nie się sie jest że ze jak co ale po tak od za dla czy mam mnie mój moj moja moje
    jestem jesteś jestes był była było proszę prosze dzień dzien dobry cześć czesc witam dziękuję
    dziekuje dzieki dzięki jutro kiedy gdzie ile numer nazywam imię imie tej strony tu pod przez
    już juz jeszcze bardzo może moze zamowienie zamówienie adres mieszkam ulica wygrałem wygralem
    wygrałam wygralam nagroda kod dostawa paczka twój twoj jaki jaka są sa mogę moge oraz albo
    lub bo więc wiec żeby zeby który która które ten ta te też tez tylko już mój pozdrawiam
    serdecznie cena ani ale jeśli jesli kiedy bez przez
    """.split()
)
_ENGLISH_WORDS = frozenset(
    """
    i the a an and or but is are was were be been am to of in on at for with from by about as
    this that these those it its my your his her our their you he she we they me him us them
    what when where why how who which do does did have has had will would can could should
    not no yes please thanks thank hi hello hey there here if then so just all any some
    """.split()
)
_WORD = re.compile(r"[^\W\d_]+")


def detect_language(text: str) -> str:
    """'pl' or 'en'."""
    words = _WORD.findall(text.lower())
    if not words:
        return "en"
    polish = sum(1 for w in words if w in _POLISH_WORDS or _POLISH_ONLY_LETTERS.search(w))
    english = sum(1 for w in words if w in _ENGLISH_WORDS)
    return "pl" if polish > english else "en"
