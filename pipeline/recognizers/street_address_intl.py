"""STREET_ADDRESS (international, as written in English text): a street name + house number as
in most of Europe and Latin America, with an optional building number before it, apartment
markers after it, and the city / region / country / postcode lines of an address block.

Matched as one span each (the block included):

* a street word makes a name + number a street: "Koskikatu 25", "Storgatan 12", "Nørregade 5",
  "Gata 3", "Brīvības iela 12", "Gedimino pr. 9", "Wesselényi u. 94.", "Na Příkopě 12/345",
  "Václavské nám. 7", "Calle Mayor 5, 3º B", "Rua Augusta 120", "C/ Cañada del Rosal 88",
  "Odos Diakou 5", "Λεωφόρος Αθηνών 41": a prefix (Rua, Via, Calle, Rue, Odos...), a word
  ending (-katu, -gatan, -vej, -straße, -laan...) or a type word after the name (iela, utca,
  u., pr., nám.);
* "29 rue Grande Fusterie", "137 Avenue Teboulbi" (number first, French style);
* "P.O. Box 287", "Postbox 23"; military "PSC 3294, Box 9168 / APO AA 61487",
  "Unit 2781 Box 3716", "USNS Kim / FPO AE 12345";
* a capitalised name + number without a street word ("Allika 46", "Buerlia 227") only with
  more evidence: a unit after it ("Allika 46, Suite 501"), a postcode in the block after it
  ("Allika 46 / Riisa / Estonia 62488"), "street" after the number ("Dunajska 97 street"), a
  strong lead-in right before it ("lives on", "address:", "ship it to", "corner of"), or a
  building number of 3-5 digits before it ("20789 Allika 46") with a weaker lead-in ("meet me
  at"), an address word nearby or a block after it. At most three capitalised words are taken
  ("Nils Grises Sträte 61"), and none of NOT_STREET ("Room 12", "Windows 10", "Warehouse 4");
* a number + English street ("52 Huntly Street") with a building number, a unit or a block
  (the English recognizer finds the bare street itself);
* units: Apt./Apartment/Suite/Ste/Unit/Flat/No./Nr/m./lok./Wohnung + number, Spanish floors
  ("3º B"); "Apt. 355" or a capitalised "Suite 680" / "Flat 2" of its own;
* the block after a street: up to six segments after line breaks (also a literal "\\n", and
  quote marks such as "> "), commas or spaces, each a unit, a postcode (5-digit, "NNN NN",
  "NNNN", "NN-NNN", "NNNN-NNN", "NNNNN-NNN", Dutch "1017 GC", "D-79100", UK "SW1A 1AA",
  Canadian "K1A 0B1"), or a place name with a postcode before or after it or none. After a line break a place may be in any case; after a comma or a space
  its words must be capitalised, and it ends at punctuation or a function word
  ("..., Tallinn, Estonia for this card" stops before "for");
* "the corner of Via Venezia 88 and Sari Mountain": both streets of a corner.

Not matched: a place named alone ("I am in Rohod", "deliver to Warsaw?"), "room 12", "version
2.4", "Article 50", "12 March 2024", "Windows 10", "I ordered 3 items", "a suite of tools",
"the main street was busy"; a number followed by a quantity ("Starbucks 5 minutes", "Poland
12 boxes"); the first group of a grouped number ("kartą 4957 8521 8424 5339"). A city with a
postcode alone ("Bjert 6091") is not matched either: "Office 2019" looks the same; nor is a
street without a number ("on Maurer Estates Street").

How: the street regex finds up to six words right before a house number (and an optional
building number before them, units and a block after); which of those words are the street,
and whether there is enough evidence, is decided in ``_street``. When it rejects a match, the
regex is run again from the match's house number (or after its building number), so a
rejected start ("Mrs. Jukić Apt. 355") does not hide the street after it ("076 Glynitveien
218"). Words are atomic groups, never backtracked into: the cost stays linear on long input.

Scores: 0.6 for a street with a street word (or a P.O. box); 0.5 for a capitalised name with
evidence; 0.85 with a unit or an address block; 0.4 for a unit alone;
+0.15 when an address word is near.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from presidio_analyzer import Pattern

from pipeline.normalise import fold_lookalikes
from pipeline.recognizers._base import ChatguardRecognizer, ci
from pipeline.recognizers._street_grammar import (
    _C_SLASH,
    _CORNER,
    _HAS_BREAK,
    _L,
    _LEAD_IN,
    _LEAD_IN_ENDINGS,
    _LEAD_IN_LAST,
    _MAIN,
    _MILITARY,
    _PLURAL_AFTER,
    _QUANTITY_AFTER,
    _STREET_AFTER,
    _STRONG_LEAD_IN,
    _STRONG_POSTCODE,
    _TAIL_UNIT,
    _UNIT_ALONE,
    _UP,
    _WORD_SPLIT,
    _YEAR,
)
from pipeline.recognizers._street_words import (
    CAPITALISED_PREFIXES,
    ENGLISH_ENDINGS,
    LONE_STREET_WORDS,
    NOT_STREET,
    PARTICLES,
    PREFIX_KEYWORDS,
    RISKY_SUFFIXES,
    STOP_WORDS,
    STREET_SUFFIXES,
    TYPE_WORDS,
)

SCORE_STREET = 0.6
SCORE_NAME = 0.5
SCORE_BLOCK = 0.85
SCORE_UNIT = 0.4
CONTEXT_BOOST = 0.15
MAX_SCORE = 0.95


# Detection reads normalised text, where Greek letters that look Latin are Latin ("πλατεία" is
# "πλαtεία" there): the keyword sets hold both spellings.
def _with_folded(words: Iterable[str]) -> frozenset[str]:
    words = frozenset(words)
    return words | {fold_lookalikes(w) for w in words}


_PARTICLE_SET = frozenset(PARTICLES)
_STOP_SET = frozenset(STOP_WORDS)
_TYPE_SET = frozenset(TYPE_WORDS)
_PREFIX_SET = _with_folded(PREFIX_KEYWORDS)
_CAP_PREFIX_SET = frozenset(CAPITALISED_PREFIXES)
_NUMBER_SIGNS = frozenset(("nr", "no", "nº", "n"))
_SAFE_SUFFIXES = tuple(s for s in STREET_SUFFIXES if s not in RISKY_SUFFIXES)


def _is_prefix(word: str) -> bool:
    return word.lower() in _PREFIX_SET or word in _CAP_PREFIX_SET


def _has_suffix(word: str) -> bool:
    if word.isupper():  # "WILDPFAD": a city in capitals, not a street
        return False
    bare = word.lower().rstrip(".")
    if len(bare) < 5:
        return False
    if bare.endswith(_SAFE_SUFFIXES):
        return True
    return word[:1].isupper() and bare.endswith(RISKY_SUFFIXES) and bare not in ENGLISH_ENDINGS


def _not_street(word: str) -> bool:
    return word.lower().rstrip(".") in NOT_STREET


def _joins(word: str) -> bool:
    """Whether a word before a street word still belongs to the street name."""
    return (word[:1].isupper() and not _not_street(word)) or word in _PARTICLE_SET


# Norwegian "Prinsens gate", "Kongens gate": "gate" is a type word after a capitalised
# genitive (not after "Boarding" or "Heathrow's").
_GENITIVE_TYPES = frozenset(("gate", "gata", "gaten", "vei", "veg", "plass"))
_GENITIVE = re.compile(rf"{_UP}{_L}+s")


def _street_start(words: list[str]) -> int | None:
    """Index of the street's first word among the words before a house number, when a street
    word is among them (a prefix with a word after it, a type word after a word, a street
    ending, a lone street word); None when there is none."""
    if len(words) == 1 and words[0] in LONE_STREET_WORDS:
        return 0
    for i, word in enumerate(words):
        if _is_prefix(word) and i + 1 < len(words):
            if not any(w in _STOP_SET and w not in _PARTICLE_SET for w in words[i + 1 :]):
                return i
            continue  # "Via email please, 2 copies", "Plaza Mayor was crowded on 2 May"
        if i > 0 and (word.lower() in _TYPE_SET or word in _GENITIVE_TYPES and _GENITIVE.fullmatch(words[i - 1])):
            first = i - 1  # "Brīvības iela", "Hegedűs Gyula utca", "Árpád fejedelem útja"
            if not words[first][:1].isupper():
                while first > 0 and words[first - 1] not in _STOP_SET and not _not_street(words[first - 1]):
                    first -= 1
                return first
        elif _has_suffix(word):
            first = i  # "Koskikatu", "Hauger Skolevei"
        else:
            continue
        while first > 0 and _joins(words[first - 1]):
            first -= 1
        while first < i and words[first] in _PARTICLE_SET:
            first += 1
        return first
    return None


class IntlStreetAddressRecognizer(ChatguardRecognizer):
    """Street addresses of many countries, and address blocks, in English text."""

    ENTITY = "STREET_ADDRESS"
    FLAGS = 0  # case is evidence here: keywords are spelled out with ci()
    PATTERNS = [
        Pattern("INTL street address", _MAIN, SCORE_STREET),
        Pattern("INTL military address", _MILITARY, SCORE_BLOCK),
        Pattern("INTL unit alone", _UNIT_ALONE, SCORE_UNIT),
        Pattern("INTL street corner", _CORNER, SCORE_NAME),
    ]
    CONTEXT = [
        "address",
        "addr",
        "live at",
        "lives at",
        "living at",
        "live on",
        "lives on",
        "located at",
        "ship to",
        "shipping",
        "deliver",
        "delivery",
        "send it to",
        "mail it to",
        "postal",
        "billing",
        "adres",
        "mieszkam",
    ]
    # Every match holds a digit, except a corner of two named streets.
    # (Guards start with a literal or a class, without a lookbehind: the regex engine then
    # skips to candidate characters; a few microseconds less a message than word_start_prefilter.)
    PREFILTER = re.compile(r"\d|" + ci("corner"))
    PATTERN_GUARDS = {
        "INTL street address": re.compile(r"\d"),
        "INTL military address": re.compile(r"[PpCcUu][SsMmNn][CcRrIiSsNn]"),
        "INTL unit alone": re.compile(
            ci("apt") + "|" + ci("appt") + "|" + ci("apartment") + r"|Suite|SUITE|Ste\.|Flat|FLAT"
        ),
        "INTL street corner": re.compile(ci("corner")),
    }

    def spans(self, text: str, match: re.Match[str], pattern: Pattern) -> Iterator[tuple[int, int, float]]:
        if pattern.name == "INTL street corner":
            yield match.start("corner"), match.end(), SCORE_NAME
            return
        if pattern.name != "INTL street address":
            yield match.start(), match.end(), pattern.score
            return
        # A rejected match ("Mrs. Jukić Apt. 355 076 Glynitveien 218", "address to 43180 ...")
        # may hide a street that starts at its house number: look again from there.
        stop = match.end()
        while True:
            span = self._street(text, match)
            if span is not None:
                yield span
                return
            if match.group("bn") is not None:
                resume = match.end("bnfull")  # "Apt. 606 157 Mühle 88": the next number may be the building's
            elif match.group("hn") is not None:
                resume = match.start("hn")
            else:
                resume = match.end()
            found = match.re.search(text, resume)
            if found is None or found.start() >= stop:
                return
            match = found

    def _street(self, text: str, match: re.Match[str]) -> tuple[int, int, float] | None:
        """(start, end, score) of a street-line match, or None when the evidence is too thin."""
        tail = match.group("tail") or ""
        unit = bool(match.group("unit")) or bool(tail) and _TAIL_UNIT.match(tail) is not None
        # A postcode in the block ("Estonia 62488", "2400 København"; a year is no postcode).
        postcode = bool(tail) and any(not _YEAR.fullmatch(p) for p in _STRONG_POSTCODE.findall(tail))
        block = postcode or bool(tail) and _HAS_BREAK.search(tail) is not None
        detailed = unit or block
        bn = match.group("bn")
        end = match.end()
        if match.group("box") or match.group("fname"):
            return match.start(), end, SCORE_BLOCK if detailed or bn else SCORE_STREET
        if match.group("ename") or match.group("nname"):
            # A number + street after a building number: "1987 74 Diakou Street", "562 93 Zeas
            # Pasalimani" (the English recognizer finds a bare "74 Diakou Street" itself).
            listed = tail.count(",") >= 2  # "8185 55 Park Row, Räpina, Estonia"
            if match.group("nname") and not (detailed or listed or self._lead_in(text, match.start())):
                return None
            return (match.start(), end, SCORE_BLOCK) if bn or detailed else None

        hn_end = match.end("hn")
        plural = _PLURAL_AFTER.match(text, hn_end)
        if _QUANTITY_AFTER.match(text, hn_end) or plural and plural.group(1) not in _STOP_SET:
            return None  # "Starbucks 5 minutes", "Via Verde toll 5 euros", "Poland 12 boxes"
        offset = match.start("name")
        spans = [(m.start() + offset, m.group()) for m in _WORD_SPLIT.finditer(match.group("name"))]
        if offset >= 2 and text[offset - 2 : offset] == "\\n" and len(spans[0][1]) > 1:
            spans[0] = (offset + 1, spans[0][1][1:])  # a literal "\n" before: "\nLinieweg 350"
        if len(spans) > 1 and spans[-1][1].lower().rstrip(".") in _NUMBER_SIGNS:
            spans.pop()  # "Strada Pop Nr. 92"
        words = [w for _, w in spans]
        # A building number right before the words: "6750 Koskikatu 25".
        bn_next = bn is not None and spans[0][0] == match.end("bnfull")
        strong_bn = bn_next and (len(bn) >= 3 and not _YEAR.fullmatch(bn) or len(bn) >= 2 and bn[0] == "0")
        # "Dunajska 97 street", "Ringvej 144 St.": a street word right after the number.
        street_after = _STREET_AFTER.match(text, hn_end) is not None
        c_slash_match = _C_SLASH.search(text, max(0, offset - 3), offset) if len(words[0]) > 1 else None
        c_slash = c_slash_match is not None
        first = 0 if c_slash or bn_next and words[0] == "via" and len(words) > 1 else _street_start(words)
        if match.group("comma") and (first is None or not _is_prefix(words[first])):
            return None  # "Via Roma, 5" has its street word first; "Tampere, 25 years" none
        if first is not None and words[first] == "Na" and "/" not in match.group("hn"):
            first = None  # Czech "Na Příkopě 12/345"; Polish "Na Allegro 5" is no street
        if first is not None:
            # A street word: "Koskikatu 25", "Rua Augusta 120", "Brīvības iela 12".
            if not detailed and any(_not_street(w) for w in words[first:]):
                return None
            score = SCORE_BLOCK if detailed else SCORE_STREET
        elif (
            strong_bn
            and (unit or detailed and not any(w in _STOP_SET for w in words))
            and not any(map(_not_street, words))
        ):
            # "049 χλμ Αθηνών 41 / Apt. 801 / ...", "5670 r josé a madeira 1 suite 696": all the
            # words between the two numbers.
            first, score = 0, SCORE_BLOCK
        else:
            # No street word: the words after the last function word, from the first capitalised
            # one ("refers to Csabai kapu 39.", "lives on Dunajska 97"), at most three of them.
            first = len(words)
            while first > 0 and words[first - 1] not in _STOP_SET:
                first -= 1
            if first == len(words):
                return None
            capital = next((i for i in range(first, len(words)) if words[i][:1].isupper()), None)
            if capital is not None:
                first = max(capital, len(words) - 3 - sum(w in _PARTICLE_SET for w in words[capital:]))
            if (
                any(_not_street(w) for w in words[first:])
                or len(words) - first == 1
                and len(words[first]) <= 3
                and words[first].isupper()
                or len(match.group("hn")) >= 5
                and match.group("hn")[:5].isdigit()
            ):
                return None  # "Room 12", "HQ 2", "Apples 12345" (a house number has 1-4 digits)
            with_bn = bn_next and first == 0
            lead_at = match.start() if with_bn else spans[first][0]
            if capital is None:
                # Lower case: "43180 treinta y tres 2070 / suite 334 / ...", "address: 1528 via
                # giberti 75", "lives on ysitie 68 street"
                if not (
                    strong_bn
                    and with_bn
                    and (detailed or self._lead_in(text, lead_at))
                    or street_after
                    and self._lead_in(text, lead_at)
                ):
                    return None
                score = SCORE_BLOCK if detailed else SCORE_NAME
            elif unit or postcode or with_bn and block:
                # "Allika 46, Suite 501", "Allika 46 / Riisa / Estonia 62488", "157 Mühle 88 / ..."
                score = SCORE_BLOCK
            elif (
                street_after
                or self._lead_in(text, lead_at, strong=not (strong_bn and with_bn))
                or (strong_bn and with_bn and (tail or self.has_context(text, match.start(), end)))
            ):
                # "Dunajska 97 street", "lives on Dunajska 97", "meet you at 758 Dalmatinova 4",
                # "23951 Ånhult 81, PÅLÄNG", "my address is 20781 Purje 57"
                score = SCORE_NAME
            else:
                return None
        start = spans[first][0]
        if c_slash_match is not None:
            start = offset - len(c_slash_match.group())
        # A building number counts only right before the street ("6750 Koskikatu 25").
        if bn is not None and start == match.end("bnfull"):
            start = match.start()
        return start, end, score

    @staticmethod
    def _lead_in(text: str, start: int, strong: bool = False) -> bool:
        """Whether an address lead-in (``strong``: a strong one) ends right before ``start``
        (a cheap test of the last word first: most numbers in chat have none)."""
        window = text[max(0, start - 48) : start]
        last = window.rsplit(None, 1)[-1].lower() if window.strip() else ""
        if last not in _LEAD_IN_LAST and not last.endswith(_LEAD_IN_ENDINGS):
            return False
        return (_STRONG_LEAD_IN if strong else _LEAD_IN).search(window) is not None

    def score_match(self, text, start, end, score, valid, match):
        if self.has_context(text, start, end):
            score = min(score + CONTEXT_BOOST, MAX_SCORE)
        return score
