"""What a span's words, and the words just before and after it, say about it for the NER rules
(``pipeline.ner``): name-shaped or not, a country, a place or an employer named, a name that
NER mislabelled as an organisation or a place, a name in a message in another language."""

from __future__ import annotations

import re
from collections.abc import Sequence

from pipeline.names import ORG_WORDS, SURNAME_ENDING, TITLES, country_names, is_demonym, is_first_name, names_a_thing

PLACE_PREPOSITIONS = frozenset("in to from at near of into via across around visit visiting towards".split())
# Where a place is named, not a person: "moved here from X", "travelling to X", "lives in X".
_PLACE_CONTEXT = re.compile(
    r"(?i:\b(?:mov(?:e|ed|ing)|travel(?:l?ing|l?ed)?|fl(?:y|ew|ying)|return(?:ed|ing)?|go(?:ing)?|went|"
    r"ship(?:s|ped|ping)?|deliver(?:s|ed|ing|y)?|post(?:ed|ing|age)?|"
    r"com(?:e|ing)|live[sd]?|living|based|born|located|arrived|relocat(?:e|ed|ing)|['’]m|am|are)"
    r"(?:[ \t]+(?:here|there|back|over|originally|now|currently))?[ \t]+(?:from|to|in|at|near)[ \t]+$)"
)
# "France was super fun to visit": what the sentence says of the span is said of a place.
_VISITED = re.compile(r"[ \t]+(?:is|was|are|were)[ \t]+(?:[a-z]+[ \t]+){0,3}?to[ \t]+(?:visit|explore|travel)\b")
_AT_A_PLACE = re.compile(r"(?i:\b(?:in|at|near)[ \t]+$)")
_EMPLOYER_CONTEXT = re.compile(
    r"(?i:\b(?:work(?:s|ed|ing)?|employed|hired|intern(?:ed|ing)?|job)[ \t]+(?:for|at|by|with)[ \t]+$)"
)
PREVIOUS_WORD = re.compile(r"([^\W\d_]+\.?)[ \t]*$")
_NAME_SHAPE = re.compile(r"[^\W\d_]+(?:[\s'’.-]+[^\W\d_]+)*\.?")
# Polish surname endings, declined too ("Wiśniewski", "Wiśniewskiego", "Kowalczyk", "Ślązak").
_POLISH_SURNAME = re.compile(
    r"(?:sk|ck|dzk)(?:i|a|iego|iej|iemu|im|ą|ich)$|(?:wicz|czyk|czak|ak|ek|uk|yk)(?:a|owi|iem|em|u)?$", re.IGNORECASE
)
# Alone, only the unmistakable ones ("Jak", "Tak" end in -ak too).
POLISH_SURNAME_ALONE = re.compile(
    r"..(?:sk|ck|dzk)(?:i|a|iego|iej|iemu|im|ą)$|..(?:wicz|czyk|czak)(?:a|owi|em|u)?$", re.IGNORECASE
)
_CAPITALISED_TOKEN = re.compile(r"(?:[^\W\d_]\.?|[A-ZÀ-ÖØ-ÞĀ-ſ][^\W\d_]*(?:['’-][^\W\d_]+)*)")
SENTENCE_START = re.compile(r"(?:^|[.!?:]\s*|\n)\W*$")


def text_before(text: str, start: int, width: int = 60) -> str:
    """The text just before ``start``: context checks look no further, so a long message
    costs each entity the same (not a scan from the message's start)."""
    return text[max(0, start - width) : start]


def is_name_shaped(value: str) -> bool:
    return _NAME_SHAPE.fullmatch(value) is not None


def is_country(text: str, value: str, start: int) -> bool:
    """A country's name, unless it is also a first name not used as a place ("Jordan will
    call you back", not "flights to Jordan")."""
    if value.lower() not in country_names():
        return False
    return (
        not is_first_name(value)
        or after_preposition(text, start)
        or bool(_PLACE_CONTEXT.search(text_before(text, start)))
        or _VISITED.match(text, start + len(value)) is not None
    )


def named_a_place_or_employer(text: str, start: int, end: int) -> bool:
    """Where no known first name stands: one word after a place verb ("moved here from
    Klirou", "I'm in Den Haag") or a job verb ("I work for Thinknum"), or two or more after
    "in", "at" or "near" ("lives in Črni Vrh", "arrived at Spodnja Idrija"), name a place or a
    company. "to" and "from" also take people: "The parcel went to Adebayo Okonkwo"."""
    words = text[start:end].split()
    if starts_with_first_name(words):
        return False
    before = text_before(text, start)
    if len(words) > 1:
        return _AT_A_PLACE.search(before) is not None or _EMPLOYER_CONTEXT.search(before) is not None
    return bool(_PLACE_CONTEXT.search(before) or _EMPLOYER_CONTEXT.search(before))


def named_in_other_language(text: str, value: str, start: int) -> bool:
    """A name in a Polish message: after a title ("z panem Wójcikiem"), a surname by its
    Polish ending ("Wiśniewski nie odbiera"), or what a mislabelled name needs; one capitalised
    word opening a sentence is otherwise that language's "Jak", "Ile", "Czy"."""
    words = value.split()
    previous = PREVIOUS_WORD.search(text_before(text, start))
    if previous is not None and previous.group(1).lower() in TITLES and _CAPITALISED_TOKEN.fullmatch(words[0]):
        return True
    surname = _POLISH_SURNAME if len(words) > 1 else POLISH_SURNAME_ALONE
    if all(_CAPITALISED_TOKEN.fullmatch(w) for w in words) and surname.search(words[-1]):
        return True
    if not mislabelled_name(text, value, start, "ORG", english=False):
        return False
    return " " in value.strip() or not SENTENCE_START.search(text_before(text, start))


def one_capitalised_word(value: str) -> bool:
    word = value.removesuffix("'s").removesuffix("’s")
    return (
        bool(_CAPITALISED_TOKEN.fullmatch(word))
        and word.lower() not in ORG_WORDS
        and word.lower() not in country_names()
        and not is_demonym(word)
        and is_name_shaped(word)
    )


def mislabelled_name(text: str, value: str, start: int, label: str, english: bool = True) -> bool:
    tokens = value.split()
    if not 1 <= len(tokens) <= 4 or not is_name_shaped(value):
        return False
    if value.islower():  # "ok rosa, noted": lower-case English chat, a known first name first
        return (
            english
            and starts_with_first_name(tokens)
            and not after_preposition(text, start)
            and not is_country(text, value, start)
        )
    if not all(_CAPITALISED_TOKEN.fullmatch(t.removesuffix("'s").removesuffix("’s")) for t in tokens):
        return False
    if names_a_thing(text, value, start) or is_country(text, value, start):
        return False
    previous = PREVIOUS_WORD.search(text_before(text, start))
    if previous is not None and previous.group(1).lower() in TITLES:
        return True  # "Mr Pérez-Reverte": a title names a person
    if not (starts_with_first_name(tokens) or len(tokens) >= 2 and SURNAME_ENDING.search(tokens[-1])):
        return False
    return not (len(tokens) == 1 and label != "ORG" and after_preposition(text, start))


def starts_with_first_name(words: Sequence[str]) -> bool:
    """A known first name opens the span; a hyphenated pair of them alone ("Ellis-Ingram",
    "Valentine-Murray") is as often a double-barrelled surname or a firm's name."""
    return is_first_name(words[0]) and (len(words) > 1 or "-" not in words[0])


def after_preposition(text: str, start: int) -> bool:
    before = text[max(0, start - 20) : start].split()
    return bool(before) and before[-1].lower() in PLACE_PREPOSITIONS
