"""spaCy NER for the fast detector: when to run it, and which entities become findings.

NER runs on every message where one of the rules below could keep something (see
``worth_running``), in any language (the English model also finds names in Polish or Finnish
text, as plain Presidio's does). What it finds becomes a finding by these rules:

* PERSON: kept when it looks like a name (letters, with spaces, hyphens, apostrophes or dots
  between); NER also tags codes ("ZYW-4821-KX", "PNCP-XSRA") and handles as PERSON, and only
  the name a span starts with counts ("Trifon M Nekrasov" of "Trifon M Nekrasov\\n67511").
  No name of any source below is kept where an organisation word follows ("Nemesvámos
  bridge"), nor, without a known first name, after a place or job verb ("moved here from
  Klirou", "I'm in Den Haag", "I work for Thinknum").
  Not kept: capitals alone ("ZAM", "R": codes and initials); a span after an article or with
  an organisation word in it or right after it ("The Princess Royal", "Russell Investments",
  "Davis Orchestra"); a place prefix ("San Bernardino"); a country ("France"; "Jordan" is a
  name unless it is where someone goes or what one visits); a nationality ("Greenlander");
  the subject of "is a ... agency/bank/company" ("Coden is a design agency based in Espoo").
  One English abstract or agent noun that is no known first name ("Wisdom", "Salesperson")
  counts only after a title or in a list with a name; surnames that are words ("Smith",
  "Baker") count. An all-lower-case span must start with a known first name ("kody z" is not a
  name, "paweł grabowski" is). In a message in another language, the English model tags
  ordinary capitalised words as people ("Czy krem", "Jak długo"): there a PERSON needs the
  evidence a mislabelled organisation needs (below).
* ORG / GPE / LOC / FAC / NORP / PRODUCT as a name: the small model often tags people it
  does not know as an organisation, a place or a product ("Please forward this to Cornelius
  Thornbury", "Tomomi Nishiyama lives at ..."), and plain Presidio masks those spans. Kept,
  as PERSON, when the span is name-shaped and capitalised, holds no organisation word, and
  follows a title ("Mr Pérez-Reverte"), starts with a known first name ("Lars-Erik
  Bjørnstad") or is two or more words ending in a surname ending of one of many languages
  ("Bibulat Sultygov"), or is lower case and starts with a known first name ("ok rosa,
  noted"; not "flying to milan"); a one-word place must also not follow a place preposition ("moved
  here from Florence"). One capitalised word in a list with a name is a name too ("Kónya,
  Becker and Vasquez").
* GPE / LOC / FAC (Presidio's LOCATION): a place named alone in a sentence ("do you deliver
  to Warsaw?") is not personal data and stays. It is kept, as STREET_ADDRESS, when it is part
  of an address: inside or right after an address a recognizer found (the city and country
  lines of an address block). A facility with a number alone is not kept: NER calls products
  so too ("Dell XPS 13 9340", "Jordan 1 Retro High"); streets are the address recognizers' job.
* In English, an entity whose only capitals open a sentence ("Thanks", "Hi there") and that
  holds no known first name is none of the above.
* Everything else (organisations, dates, nationalities, amounts) is not a direct identifier.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from pipeline.names import OPENERS, TITLES, is_demonym, is_first_name, names_a_thing
from pipeline.ner_addresses import Addresses
from pipeline.ner_evidence import (
    PLACE_PREPOSITIONS,
    POLISH_SURNAME_ALONE,
    PREVIOUS_WORD,
    SENTENCE_START,
    is_country,
    is_name_shaped,
    mislabelled_name,
    named_a_place_or_employer,
    named_in_other_language,
    one_capitalised_word,
    text_before,
)
from pipeline.ner_lists import listed_with_names, without_company_lists

__all__ = ["MAYBE_NAME_LABELS", "PLACE_LABELS", "Finding", "NerRules", "is_name_shaped", "worth_running"]

Finding = tuple[str, int, int, float]
PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
MAYBE_NAME_LABELS = frozenset({"ORG", "GPE", "LOC", "FAC", "NORP", "PRODUCT"})
# A company follows these ("I work for Factset", "a year at Balefire"), a surname rarely.
_COMPANY_PREPOSITIONS = PLACE_PREPOSITIONS | frozenset(
    "for with as join joined joining support supports use using".split()
)
# English derivational endings of abstract and agent nouns ("Wisdom", "Discipline",
# "Salesperson", "Cytotechnologist"); surnames that are words ("Smith", "Baker", "Brown",
# "Park") do not end so.
_ABSTRACT_NOUN = re.compile(
    r"(?:ness|ity|tion|sion|ism|ment|ship|dom|ence|ance|person|ist|ure|ine|ogy|ics)$", re.IGNORECASE
)
_CAPS_CODE = re.compile(r"[A-Z]+(?:-[A-Z]+)+")  # "PNCP-XSRA": a code, not a double-barrelled name
# "ZAM", "ATX", "R", "Order A", "Mark II", "Postcode SW": codes, initials and numerals.
_ACRONYMS = re.compile(r"(?:[A-Z]{1,4}|[^\W\d_]+ [A-Z]{1,2})")
_NAME_PREFIX = re.compile(r"[^\W\d_]+(?:(?:[ '’.-]|\.[ ]){1,2}[^\W\d_]+)*\.?")
_LEADING_TITLE = re.compile(
    r"(?i:(?:" + "|".join(sorted({re.escape(t.rstrip(".")) for t in TITLES}, key=len, reverse=True)) + r")\.?[ \t]+)"
)
_WORD = re.compile(r"[^\W\d_]{2}")
_WORDS = re.compile(r"[^\W\d_]{2,}")
_TOKEN = re.compile(r"[\w'’]+")
_CAPITALISED_WORD = re.compile(r"[^\W\d_a-z][\w'’]*")
_TWO_CAPITALISED = re.compile(r"(?<!\w)[^\W\d_a-z]\S*\s+[^\W\d_a-z]")


def worth_running(text: str, english: bool, has_address: bool) -> bool:
    """False only where no entity NER could return would pass the rules of ``NerRules``
    (a test checks each rule against it): no address found, no word that is a known first
    name, and no capitalised word but sentence openers ("Hi", "Thanks", "Where": English) or
    no two capitalised words in a row, no capitalised Polish surname and no capitalised word
    after a title (otherwise)."""
    if _WORD.search(text) is None:
        return False
    if has_address or any(is_first_name(word) for word in _WORDS.findall(text)):
        return True
    if english:
        return any(_name_material(m.group(0)) for m in _CAPITALISED_WORD.finditer(text))
    if _TWO_CAPITALISED.search(text) is not None:
        return True
    # A capitalised Polish surname, or a capitalised word after a title ("z panem Wójcikiem").
    for match in _CAPITALISED_WORD.finditer(text):
        previous = PREVIOUS_WORD.search(text_before(text, match.start()))
        if POLISH_SURNAME_ALONE.search(match.group(0)) or previous is not None and previous.group(1).lower() in TITLES:
            return True
    return False


class NerRules:
    """The module docstring's rules. ``vocabulary``: ordinary English words
    (``pipeline.names.english_vocabulary``); empty switches that one rule off."""

    def __init__(self, vocabulary: frozenset[str] = frozenset()) -> None:
        self.vocabulary = vocabulary

    def findings(
        self, text: str, ents: Iterable, addresses: Sequence[tuple[int, int]], english: bool = True
    ) -> list[Finding]:
        """Findings in ``text``'s offsets from a spaCy doc's ``ents``; ``addresses``: the
        (start, end) of addresses the recognizers found in the same text."""
        out: list[Finding] = []
        known = Addresses(text, addresses)
        names: list[tuple[int, int]] = []
        # One capitalised word, a name only in a list with a name, or with another word NER
        # called a person (True: NER's PERSON).
        maybe: list[tuple[int, int, bool]] = []
        for ent in ents:
            start, end = ent.start_char, ent.end_char
            if (
                english
                and not known.continued_by(start, end)
                and not any(_name_material(word) or is_first_name(word) for word in _TOKEN.findall(ent.text))
                and not ent.text.islower()
            ):
                continue  # "Thanks", "Hi there": capitals that only open a sentence
            if ent.label_ == "PERSON":
                value = _name_part(ent.text)
                title = _LEADING_TITLE.match(value)
                if title and title.end() < len(value):  # "panem Wójcikiem": the name after the title
                    start, value = start + title.end(), value[title.end() :]
                verdict = self._person(text, value, start, english) if value else None
                if verdict:
                    names.append((start, start + len(value)))
                elif verdict is not None:
                    maybe.append((start, start + len(value), True))
                continue
            if ent.label_ in PLACE_LABELS and (known.continued_by(start, end)):
                out.append(("STREET_ADDRESS", start, end, 0.6))
                known.add(start, end)  # the next line of the block continues it
                continue
            if ent.label_ in MAYBE_NAME_LABELS:
                if mislabelled_name(text, ent.text, start, ent.label_, english) or self._foreign_word_name(
                    text, ent.text, start, ent.label_, english
                ):
                    names.append((start, end))
                elif one_capitalised_word(ent.text):
                    maybe.append((start, end, False))
        names += listed_with_names(text, names, maybe)
        names = without_company_lists(text, names)
        out += [
            ("PERSON", start, end, 0.85)
            for start, end in names
            if not names_a_thing(text, text[start:end], start)
            and not _ACRONYMS.fullmatch(text[start:end])
            and not named_a_place_or_employer(text, start, end)
        ]
        return out

    def _foreign_word_name(self, text: str, value: str, start: int, label: str, english: bool) -> bool:
        """One to three capitalised words NER called an organisation or a place, none an
        English word, a brand compounded of English words or a country, not after a place or
        company preposition ("This song by ex-Zombie Kastner", "Adebayo Okonkwo complained"):
        in English chat such words are mostly people's names."""
        words = value.removesuffix("'s").removesuffix("’s").split()
        if not english or not self.vocabulary or not 1 <= len(words) <= 3:
            return False
        for word in words:
            if (
                not one_capitalised_word(word)
                or len(word) < 3
                or word.isupper()
                or any(ch.isupper() for ch in word[1:])
            ):
                return False  # "AP", "NATO", "MysticWeb": acronyms and brands
            if word.lower() in self.vocabulary or self._compound(word.lower()):
                return False  # "Flightstats", "Factset": a brand made of English words
        if len(words) == 1 and SENTENCE_START.search(text_before(text, start)) and label == "ORG":
            return False
        if names_a_thing(text, value, start) or is_country(text, value, start):
            return False
        previous = PREVIOUS_WORD.search(text_before(text, start))
        after = previous.group(1).lower() if previous else ""
        if len(words) > 1:
            return True  # two or three such words: a name, unless it stands where places do (below)
        if mislabelled_name(text, value, start, "GPE"):
            return True
        return after not in (_COMPANY_PREPOSITIONS if label == "ORG" else PLACE_PREPOSITIONS)

    def _compound(self, word: str) -> bool:
        return any(word[:i] in self.vocabulary and word[i:] in self.vocabulary for i in range(3, len(word) - 2))

    def _person(self, text: str, value: str, start: int, english: bool) -> bool | None:
        """True: a name; False: a name only in a list with one; None: not a name."""
        if not is_name_shaped(value) or _CAPS_CODE.fullmatch(value) or _ACRONYMS.fullmatch(value):
            return None
        if names_a_thing(text, value, start) or is_country(text, value, start) or is_demonym(value):
            return None
        if not english:
            return True if named_in_other_language(text, value, start) else None
        if value.islower():
            return True if is_first_name(value.split()[0]) else None
        word = value.removesuffix("'s").removesuffix("’s")
        if (
            " " not in word
            and _ABSTRACT_NOUN.search(word)
            and word.lower() in self.vocabulary
            and not is_first_name(word)
        ):
            previous = PREVIOUS_WORD.search(text_before(text, start))
            return previous is not None and previous.group(1).lower() in TITLES
        return True


def _name_material(word: str) -> bool:
    """A capitalised word that is not a sentence opener."""
    return word[:1].isupper() and word.lower() not in OPENERS


def _name_part(value: str) -> str:
    match = _NAME_PREFIX.match(value)
    return match.group(0).rstrip(" .") if match else ""
