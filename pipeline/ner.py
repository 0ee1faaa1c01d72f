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
from typing import Iterable, Sequence

from pipeline.names import (
    ARTICLES,
    OPENERS,
    ORG_WORDS,
    SURNAME_ENDING,
    TITLES,
    country_names,
    is_demonym,
    is_first_name,
    names_a_thing,
)

Finding = tuple[str, int, int, float]
PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})
MAYBE_NAME_LABELS = frozenset({"ORG", "GPE", "LOC", "FAC", "NORP", "PRODUCT"})
_PLACE_PREPOSITIONS = frozenset("in to from at near of into via across around visit visiting towards".split())
# A company follows these ("I work for Factset", "a year at Balefire"), a surname rarely.
_COMPANY_PREPOSITIONS = _PLACE_PREPOSITIONS | frozenset("for with as join joined joining support supports use using".split())
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
_PREVIOUS_WORD = re.compile(r"([^\W\d_]+\.?)[ \t]*$")
# English derivational endings of abstract and agent nouns ("Wisdom", "Discipline",
# "Salesperson", "Cytotechnologist"); surnames that are words ("Smith", "Baker", "Brown",
# "Park") do not end so.
_ABSTRACT_NOUN = re.compile(r"(?:ness|ity|tion|sion|ism|ment|ship|dom|ence|ance|person|ist|ure|ine|ogy|ics)$", re.IGNORECASE)
_CAPS_CODE = re.compile(r"[A-Z]+(?:-[A-Z]+)+")  # "PNCP-XSRA": a code, not a double-barrelled name
# "ZAM", "ATX", "R", "Order A", "Mark II", "Postcode SW": codes, initials and numerals.
_ACRONYMS = re.compile(r"(?:[A-Z]{1,4}|[^\W\d_]+ [A-Z]{1,2})")
_NAME_PREFIX = re.compile(r"[^\W\d_]+(?:(?:[ '’.-]|\.[ ]){1,2}[^\W\d_]+)*\.?")
_NAME_SHAPE = re.compile(r"[^\W\d_]+(?:[\s'’.-]+[^\W\d_]+)*\.?")
# Polish surname endings, declined too ("Wiśniewski", "Wiśniewskiego", "Kowalczyk", "Ślązak").
_POLISH_SURNAME = re.compile(
    r"(?:sk|ck|dzk)(?:i|a|iego|iej|iemu|im|ą|ich)$|(?:wicz|czyk|czak|ak|ek|uk|yk)(?:a|owi|iem|em|u)?$", re.IGNORECASE
)
# Alone, only the unmistakable ones ("Jak", "Tak" end in -ak too).
_POLISH_SURNAME_ALONE = re.compile(r"..(?:sk|ck|dzk)(?:i|a|iego|iej|iemu|im|ą)$|..(?:wicz|czyk|czak)(?:a|owi|em|u)?$", re.IGNORECASE)
_LEADING_TITLE = re.compile(
    r"(?i:(?:" + "|".join(sorted({re.escape(t.rstrip(".")) for t in TITLES}, key=len, reverse=True)) + r")\.?[ \t]+)"
)
_LIST_JOINER = re.compile(r"\s*(?:,|&|and|,\s*and)\s*")
# The rest of a list after its last name: more capitalised members, then the word that closes it.
_LIST_TAIL = re.compile(r"(?:\s*(?:,|&|and|,\s*and)\s*[^\W\d_a-z][\w'’-]*){0,12}[ \t]+([^\W\d_][\w'’-]*)")
_JOINER_IN = re.compile(r",|&|\band\b")
_ARTICLE_BEFORE = re.compile(r"(?i:\bthe[ \t]+$)")
_CAPITALISED_TOKEN = re.compile(r"(?:[^\W\d_]\.?|[A-ZÀ-ÖØ-ÞĀ-ſ][^\W\d_]*(?:['’-][^\W\d_]+)*)")
_SENTENCE_START = re.compile(r"(?:^|[.!?:]\s*|\n)\W*$")
_WORD = re.compile(r"[^\W\d_]{2}")
_WORDS = re.compile(r"[^\W\d_]{2,}")
_TOKEN = re.compile(r"[\w'’]+")
_CAPITALISED_WORD = re.compile(r"[^\W\d_a-z][\w'’]*")
_TWO_CAPITALISED = re.compile(r"(?<!\w)[^\W\d_a-z]\S*\s+[^\W\d_a-z]")
# Between an address and the place that continues it: separators, postcodes, a line break.
_ADDRESS_GAP = re.compile(r"[\s,;\-–/()0-9]{0,24}")


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
        previous = _PREVIOUS_WORD.search(_before(text, match.start()))
        if _POLISH_SURNAME_ALONE.search(match.group(0)) or previous is not None and previous.group(1).lower() in TITLES:
            return True
    return False


def is_name_shaped(value: str) -> bool:
    return _NAME_SHAPE.fullmatch(value) is not None


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
        known = _Addresses(text, addresses)
        names: list[tuple[int, int]] = []
        # One capitalised word, a name only in a list with a name, or with another word NER
        # called a person (True: NER's PERSON).
        maybe: list[tuple[int, int, bool]] = []
        for ent in ents:
            start, end = ent.start_char, ent.end_char
            if english and not known.continued_by(start, end) and not any(
                _name_material(word) or is_first_name(word) for word in _TOKEN.findall(ent.text)
            ) and not ent.text.islower():
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
            if ent.label_ in PLACE_LABELS and (
                known.continued_by(start, end)
            ):
                out.append(("STREET_ADDRESS", start, end, 0.6))
                known.add(start, end)  # the next line of the block continues it
                continue
            if ent.label_ in MAYBE_NAME_LABELS:
                if _mislabelled_name(text, ent.text, start, ent.label_, english) or self._foreign_word_name(
                    text, ent.text, start, ent.label_, english
                ):
                    names.append((start, end))
                elif _one_capitalised_word(ent.text):
                    maybe.append((start, end, False))
        names += _listed_with_names(text, names, maybe)
        names = _without_company_lists(text, names)
        out += [
            ("PERSON", start, end, 0.85)
            for start, end in names
            if not names_a_thing(text, text[start:end], start)
            and not _ACRONYMS.fullmatch(text[start:end])
            and not _named_a_place_or_employer(text, start, end)
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
            if not _one_capitalised_word(word) or len(word) < 3 or word.isupper() or any(ch.isupper() for ch in word[1:]):
                return False  # "AP", "NATO", "MysticWeb": acronyms and brands
            if word.lower() in self.vocabulary or self._compound(word.lower()):
                return False  # "Flightstats", "Factset": a brand made of English words
        if len(words) == 1 and _SENTENCE_START.search(_before(text, start)) and label == "ORG":
            return False
        if names_a_thing(text, value, start) or _country(text, value, start):
            return False
        previous = _PREVIOUS_WORD.search(_before(text, start))
        after = previous.group(1).lower() if previous else ""
        if len(words) > 1:
            return True  # two or three such words: a name, unless it stands where places do (below)
        if _mislabelled_name(text, value, start, "GPE"):
            return True
        return after not in (_COMPANY_PREPOSITIONS if label == "ORG" else _PLACE_PREPOSITIONS)

    def _compound(self, word: str) -> bool:
        return any(
            word[:i] in self.vocabulary and word[i:] in self.vocabulary for i in range(3, len(word) - 2)
        )

    def _person(self, text: str, value: str, start: int, english: bool) -> bool | None:
        """True: a name; False: a name only in a list with one; None: not a name."""
        if not is_name_shaped(value) or _CAPS_CODE.fullmatch(value) or _ACRONYMS.fullmatch(value):
            return None
        if names_a_thing(text, value, start) or _country(text, value, start) or is_demonym(value):
            return None
        if not english:
            return True if _named_in_other_language(text, value, start) else None
        if value.islower():
            return True if is_first_name(value.split()[0]) else None
        word = value.removesuffix("'s").removesuffix("’s")
        if " " not in word and _ABSTRACT_NOUN.search(word) and word.lower() in self.vocabulary and not is_first_name(word):
            previous = _PREVIOUS_WORD.search(_before(text, start))
            return previous is not None and previous.group(1).lower() in TITLES
        return True


def _before(text: str, start: int, width: int = 60) -> str:
    """The text just before ``start``: context checks look no further, so a long message
    costs each entity the same (not a scan from the message's start)."""
    return text[max(0, start - width) : start]


def _country(text: str, value: str, start: int) -> bool:
    """A country's name, unless it is also a first name not used as a place ("Jordan will
    call you back", not "flights to Jordan")."""
    if value.lower() not in country_names():
        return False
    return (
        not is_first_name(value)
        or _after_preposition(text, start)
        or bool(_PLACE_CONTEXT.search(_before(text, start)))
        or _VISITED.match(text, start + len(value)) is not None
    )


def _named_a_place_or_employer(text: str, start: int, end: int) -> bool:
    """Where no known first name stands: one word after a place verb ("moved here from
    Klirou", "I'm in Den Haag") or a job verb ("I work for Thinknum"), or two or more after
    "in", "at" or "near" ("lives in Črni Vrh", "arrived at Spodnja Idrija"), name a place or a
    company. "to" and "from" also take people: "The parcel went to Adebayo Okonkwo"."""
    words = text[start:end].split()
    if _starts_with_first_name(words):
        return False
    before = _before(text, start)
    if len(words) > 1:
        return _AT_A_PLACE.search(before) is not None or _EMPLOYER_CONTEXT.search(before) is not None
    return bool(_PLACE_CONTEXT.search(before) or _EMPLOYER_CONTEXT.search(before))


def _name_material(word: str) -> bool:
    """A capitalised word that is not a sentence opener."""
    return word[:1].isupper() and word.lower() not in OPENERS


def _name_part(value: str) -> str:
    match = _NAME_PREFIX.match(value)
    return match.group(0).rstrip(" .") if match else ""


def _named_in_other_language(text: str, value: str, start: int) -> bool:
    """A name in a Polish message: after a title ("z panem Wójcikiem"), a surname by its
    Polish ending ("Wiśniewski nie odbiera"), or what a mislabelled name needs; one capitalised
    word opening a sentence is otherwise that language's "Jak", "Ile", "Czy"."""
    words = value.split()
    previous = _PREVIOUS_WORD.search(_before(text, start))
    if previous is not None and previous.group(1).lower() in TITLES and _CAPITALISED_TOKEN.fullmatch(words[0]):
        return True
    surname = _POLISH_SURNAME if len(words) > 1 else _POLISH_SURNAME_ALONE
    if all(_CAPITALISED_TOKEN.fullmatch(w) for w in words) and surname.search(words[-1]):
        return True
    if not _mislabelled_name(text, value, start, "ORG", english=False):
        return False
    return " " in value.strip() or not _SENTENCE_START.search(_before(text, start))


def _one_capitalised_word(value: str) -> bool:
    word = value.removesuffix("'s").removesuffix("’s")
    return (
        bool(_CAPITALISED_TOKEN.fullmatch(word))
        and word.lower() not in ORG_WORDS
        and word.lower() not in country_names()
        and not is_demonym(word)
        and is_name_shaped(word)
    )


def _listed_with_names(
    text: str, names: Sequence[tuple[int, int]], maybe: Sequence[tuple[int, int, bool]]
) -> list[tuple[int, int]]:
    """One-word candidates in a list with a name ("Kónya, Becker and Vasquez", "Usamov and
    Bowers" when either is a name), or two or more of them when NER called each a person
    ("Park and Mann"; not "Wisdom and Discipline", one of them an organisation): people are
    listed with people."""
    members = sorted([(s, e, "name") for s, e in names] + [(s, e, "person" if p else "") for s, e, p in maybe])
    chains: list[list[tuple[int, int, str]]] = []
    for member in members:
        if chains and _LIST_JOINER.fullmatch(text, chains[-1][-1][1], member[0]):
            chains[-1].append(member)
        else:
            chains.append([member])
    out = []
    for chain in chains:
        kinds = [kind for _, _, kind in chain]
        if "name" in kinds or len(chain) >= 2 and all(kind == "person" for kind in kinds):
            out += [(s, e) for s, e, kind in chain if kind != "name"]
    return out


def _without_company_lists(text: str, names: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Names in a list that an article opens or an organisation word closes are a company's
    name ("The Davis, Reynolds and Williamson Orchestra", "Jones, Smith and Davis Partners")."""
    ordered = sorted(set(names))
    chains: list[list[tuple[int, int]]] = []
    for span in ordered:
        if chains and _LIST_JOINER.fullmatch(text, chains[-1][-1][1], span[0]):
            chains[-1].append(span)
        else:
            chains.append([span])
    out = []
    for chain in chains:
        closing = _LIST_TAIL.match(text, chain[-1][1])
        opened = _ARTICLE_BEFORE.search(_before(text, chain[0][0]))
        closed = (
            closing is not None
            and closing.group(1).lower() not in ARTICLES  # "Rosa, what's your order": no company
            and names_a_thing(text, closing.group(1), closing.start(1))
        )
        # One name counts too when more list members stand before the closing word
        # ("The Jones, Smith and Davis Orchestra" with only "Smith" tagged).
        listed = len(chain) > 1 or closing is not None and bool(_JOINER_IN.search(text, chain[-1][1], closing.start(1)))
        company = listed and (opened or closed)
        if not company:
            out += chain
    return out


def _mislabelled_name(text: str, value: str, start: int, label: str, english: bool = True) -> bool:
    tokens = value.split()
    if not 1 <= len(tokens) <= 4 or not is_name_shaped(value):
        return False
    if value.islower():  # "ok rosa, noted": lower-case English chat, a known first name first
        return english and _starts_with_first_name(tokens) and not _after_preposition(text, start) and not _country(text, value, start)
    if not all(_CAPITALISED_TOKEN.fullmatch(t.removesuffix("'s").removesuffix("’s")) for t in tokens):
        return False
    if names_a_thing(text, value, start) or _country(text, value, start):
        return False
    previous = _PREVIOUS_WORD.search(_before(text, start))
    if previous is not None and previous.group(1).lower() in TITLES:
        return True  # "Mr Pérez-Reverte": a title names a person
    if not (_starts_with_first_name(tokens) or len(tokens) >= 2 and SURNAME_ENDING.search(tokens[-1])):
        return False
    return not (len(tokens) == 1 and label != "ORG" and _after_preposition(text, start))


def _starts_with_first_name(words: Sequence[str]) -> bool:
    """A known first name opens the span; a hyphenated pair of them alone ("Ellis-Ingram",
    "Valentine-Murray") is as often a double-barrelled surname or a firm's name."""
    return is_first_name(words[0]) and (len(words) > 1 or "-" not in words[0])


def _after_preposition(text: str, start: int) -> bool:
    before = text[max(0, start - 20) : start].split()
    return bool(before) and before[-1].lower() in _PLACE_PREPOSITIONS


class _Addresses:
    """Where addresses stand in a text, and whether a span continues one: it overlaps one, or
    follows one across an ``_ADDRESS_GAP``. Per span, work is bounded by the span's and the
    gap's length, not by the number of addresses (64 KB of "Apt. 5 " holds thousands)."""

    _GAP = 24

    def __init__(self, text: str, addresses: Iterable[tuple[int, int]]) -> None:
        self._text = text
        self._covered = bytearray(len(text) + 1)
        self._ends: set[int] = set()
        for start, end in addresses:
            self.add(start, end)

    def add(self, start: int, end: int) -> None:
        self._covered[start:end] = b"\x01" * (end - start)
        self._ends.add(end)

    def continued_by(self, start: int, end: int) -> bool:
        if any(self._covered[start:end]):
            return True
        return any(
            a_end in self._ends and _ADDRESS_GAP.fullmatch(self._text, a_end, start)
            for a_end in range(max(0, start - self._GAP), start + 1)
        )
