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
from pipeline.recognizers._street_words import (
    CAPITALISED_PREFIXES,
    ENGLISH_ENDINGS,
    LONE_STREET_WORDS,
    NOT_STREET,
    NUMBER_FIRST_CAPITALISED,
    NUMBER_FIRST_KEYWORDS,
    PARTICLES,
    PREFIX_KEYWORDS,
    RISKY_SUFFIXES,
    STOP_WORDS,
    STREET_SUFFIXES,
    TYPE_WORDS,
    UNIT_WORDS,
)
from pipeline.recognizers.street_address_en import SUFFIX_ABBREVIATIONS as EN_SUFFIX_ABBREVIATIONS
from pipeline.recognizers.street_address_en import SUFFIX_WORDS as EN_SUFFIX_WORDS

SCORE_STREET = 0.6
SCORE_NAME = 0.5
SCORE_BLOCK = 0.85
SCORE_UNIT = 0.4
CONTEXT_BOOST = 0.15
MAX_SCORE = 0.95

# -- regex pieces --------------------------------------------------------------------------


def _upper_class() -> str:
    """A character class of every upper- and title-case letter in the BMP (``re`` has no \\p{Lu})."""
    ranges: list[tuple[int, int]] = []
    for cp in range(0x10000):
        char = chr(cp)
        if char.isupper() or char.istitle():
            if ranges and ranges[-1][1] == cp - 1:
                ranges[-1] = (ranges[-1][0], cp)
            else:
                ranges.append((cp, cp))
    return "[" + "".join(re.escape(chr(a)) + ("" if a == b else "-" + re.escape(chr(b))) for a, b in ranges) + "]"


def _words(words, any_case: bool = True) -> str:
    """An alternation of whole words (longest first), in any case with ci()."""
    ordered = sorted(set(words), key=len, reverse=True)
    return "(?:" + "|".join(ci(w) if any_case else re.escape(w) for w in ordered) + r")(?![\w'’\-])"


_L = r"[^\W\d_]"  # a letter, any script
_UP = _upper_class()
# A line break: a real one or a literal "\n" (text pasted from JSON), with the quote marks of a
# forwarded e-mail after it ("> ", "}} ", "??? ", "| "), up to three in a row.
_NL = r"(?:[ \t]*(?:\r?\n|\\n)(?:[ \t]*[>|}?]+)?[ \t]*){1,3}"
# A number starts here: not inside a word, a price, a time, a decimal, a code (a literal "\n"
# before it is a line break). Checked after its first digit, so letters fail fast.
_NUM_START = r"\d(?:(?<=\\n\d)|(?<![\w.,:/$£€#+\-]\d))"
_STOP = _words(STOP_WORDS, any_case=False)
_PARTICLE = _words(PARTICLES, any_case=False)

# A word: letters, inner apostrophes or hyphens ("d'Ouchy", "Saint-Nicolas"), a final dot
# ("Str.", "u."). Atomic: never backtracked into.
_WORD = rf"(?>{_L}+(?:['’\-]{_L}+)*\.?)"
_CAP_WORD = rf"(?>{_UP}{_L}*(?:['’\-]{_L}+)*\.?)"
# Place words: "Biel/Bienne"; a final dot only where no sentence goes on after it
# ("..., New Zealand. Please call me" ends at "Zealand").
_CAP_PLACE = rf"(?>{_UP}{_L}*(?:['’\-/]{_L}+)*(?:\.(?![ \t]+{_UP}))?)"
_ANY_PLACE = rf"(?>{_L}+(?:['’\-/]{_L}+)*(?:\.(?![ \t]+{_L}))?)"
_PAREN_WORD = rf"\({_L}+(?:[ \t]{_L}+){{0,2}}\)"
_PLACE_WORD_ANY = rf"(?:(?!{_STOP}){_ANY_PLACE}|{_PAREN_WORD})"
_PLACE_WORD_CAP = rf"(?:{_CAP_PLACE}|{_PAREN_WORD})"

# A house number: "25", "104C", "12/345", "3-5", "16." (Hungarian); not "2.4", "3,5", "10:30",
# "50%", "2x", not a postcode ("3610-114", "00-950"), and not the first group of a grouped
# number ("kartą 4957 8521 8424 5339", "NIP 818 361 74 38").
_HN = (
    r"(?!\d{4}-\d{3}(?!\d)|\d\d-\d{3}(?!\d))"
    r"\d{1,5}(?:[A-WYZa-wyz](?!\w))?(?:[/\-]\d{1,5}[A-Za-z]?)?(?![\w/\-%]|[.,:]\d|[ \t]+\d+[ \t.\-/]+\d)\.?"
)
_UNIT_NUMBER = r"#?[ \t]?\d{1,5}[A-Za-z]?(?![\w/\-%]|[.,:]\d)"
_UNIT = (
    rf"(?:{_words(UNIT_WORDS)}\.?[ \t]*{_UNIT_NUMBER}"
    r"|#[ \t]?\d{1,5}[A-Za-z]?(?![\w/\-])"
    r"|\d{1,2}[º°ª](?:[ \t]?(?:[A-Z]|\d{1,2}|izq(?:da)?\.?|dcha?\.?)(?!\w))?)"
)
_POSTCODE = (
    r"(?:[A-Z]{1,2}\d[A-Z\d]?[ \t]?\d[A-Z]{2}"  # UK
    r"|[A-Z]\d[A-Z][ \t]?\d[A-Z]\d"  # Canada
    r"|\d{4}[ \t]?[A-Z]{2}"  # the Netherlands
    r"|[A-Z]{1,2}-\d{4,5}"  # with a country letter: "H-2809", "D-10115", "CH-8001"
    r"|\d{4}-\d{3}|\d{5}-\d{3,4}|\d{2}-\d{3}|\d{3}[ \t]\d{2}|\d{3,6})(?![\w\-])"
)
# Where a place segment may end: a line break, a comma or other punctuation, the end, or a
# lower-case function word.
_SEGMENT_END = rf"(?=[ \t]*(?:$|[\r\n,.;!?)\"”']|\\n)|[ \t]+{_STOP})"
_PLACE_ANY = (
    rf"{_PLACE_WORD_ANY}(?:[ \t]+(?:{_PARTICLE}[ \t]+)?{_PLACE_WORD_ANY}){{0,3}}"
    rf"(?:[ \t]+(?:{_POSTCODE}|\d{{1,3}}(?![\w\-])))?{_SEGMENT_END}"
)
_PLACE_CAP = (
    rf"{_PLACE_WORD_CAP}(?:[ \t]+(?:{_PARTICLE}[ \t]+)?{_PLACE_WORD_CAP}){{0,3}}(?:[ \t]+{_POSTCODE})?{_SEGMENT_END}"
)
_COMMA = rf"[ \t]*,(?:{_NL}|[ \t]*)"
_TAIL = (
    # a unit, a postcode and its place ("79290 Beeskow", "174 21 Podivín"), a postcode, a place
    rf"(?P<tail>(?:{_NL},?[ \t]*(?:{_UNIT}|{_POSTCODE}[ \t]+{_PLACE_ANY}|{_POSTCODE}{_SEGMENT_END}|{_PLACE_ANY})"
    rf"|{_COMMA}(?:{_UNIT}|{_POSTCODE}[ \t]+{_PLACE_CAP}|{_POSTCODE}|{_PLACE_CAP})"
    rf"|[ \t]+(?:{_UNIT}|{_POSTCODE}[ \t]+{_PLACE_CAP}|{_POSTCODE}|{_PLACE_CAP})){{1,6}})"
)
_UNITS = rf"(?P<unit>(?:(?:[ \t]*,[ \t]*|[ \t]+){_UNIT}){{1,4}})"

_NUMBER_FIRST_KEY = rf"(?:{_words(NUMBER_FIRST_KEYWORDS)}|{_words(NUMBER_FIRST_CAPITALISED, any_case=False)})"
_EN_SUFFIX = rf"(?:{_words(EN_SUFFIX_WORDS)}|{_words(EN_SUFFIX_ABBREVIATIONS + ('str',))}\.?)"
_UNIT_WORD = _words(("apt", "apartment", "appt", "suite", "ste", "unit", "flat", "box"))
# A word of the name before a house number: no unit word ("12 Oak St. Apt 4" is no street
# "Oak St. Apt" numbered 4). The class is tested first: most words fail it at once.
_NAME_PART = rf"(?!(?=[AaSsUuFfBb]){_UNIT_WORD}){_WORD}"
# A word of a number-first name: no function word ("29 rue Grande Fusterie St. the first"),
# and no unit word ("562 93 Zeas Pasalimani Apt. 5").
_NAME_WORD = rf"(?!{_STOP}){_WORD}"
_NAME_WORD_NO_DOT = rf"(?!{_STOP})(?>{_L}+(?:['’\-]{_L}+)*)(?!\.)"
_EN_WORD = rf"(?:{_NAME_WORD}|\d{{1,3}}(?:st|nd|rd|th))"
_BOX = rf"(?:P\.?[ \t]?O\.?[ \t]?|{ci('post office ')}|{ci('post')}[ \t]?){ci('box')}|{ci('postboks')}|{ci('postfach')}"

_STREET = (
    "(?:"
    # "P.O. Box 287", "Postbox 23"
    rf"(?<![\w'’\-])(?P<box>{_BOX})[ \t]*#?[ \t]?\d{{1,6}}(?![\w\-])"
    # "29 rue Grande Fusterie", "65 R. Mongi Bali"
    # (a dotted word ends the name: "68 rue Nationale. It serves...")
    rf"|(?P<fname>{_NUM_START}\d{{0,4}}[A-Za-z]?,?[ \t]+{_NUMBER_FIRST_KEY}(?:[ \t]+{_NAME_WORD_NO_DOT}){{0,3}}[ \t]+{_NAME_WORD})"
    # "52 Huntly Street" (with a building number, a unit or a block only)
    rf"|(?P<ename>{_NUM_START}\d{{0,4}}[A-Za-z]?[ \t]+(?:{_EN_WORD}[ \t]+){{1,4}}{_EN_SUFFIX})"
    # after a building number, a number + name of any kind: "562 93 Zeas Pasalimani" (a block
    # or a unit must follow)
    rf"|(?(bnfull)(?P<nname>\d{{1,5}}[A-Za-z]?(?![\w/\-]|[.,:]\d)(?:[ \t]+(?!{_UNIT_WORD}){_NAME_WORD}){{1,4}})|(?!))"
    # up to six words right before a house number: "Koskikatu 25", "I live at Rua Augusta 120",
    # "Rua Vinte e Cinco de Setembro 1257"; a comma or a number sign between: "Via Roma, 5",
    # "Strada Pop Nr. 92" (the "Nr." is a word of the name here), "Calle Salta N° 37"
    rf"|(?<![\w'’\-])(?P<name>(?>{_NAME_PART}(?:[ \t]+{_NAME_PART}){{0,5}}))(?P<comma>[ \t]*,)?[ \t]+(?:[Nn][°º][ \t]*)?(?P<hn>{_HN})"
    ")"
)
# Every match starts at a word start (or right after a literal "\n"): checked first, so that
# the positions inside words, most of a text, fail at once.
_MAIN = rf"(?:(?<![\w'’\-])|(?<=\\n))(?P<bnfull>(?P<bn>{_NUM_START}\d{{0,4}})[ \t]+)?{_STREET}{_UNITS}?{_TAIL}?"

_EDGE = r"(?:(?<![\w'’\-])|(?<=\\n))"
_MILITARY_POST = rf"{_NL}(?:{ci('apo')}|{ci('fpo')}|{ci('dpo')})[ \t]+[Aa][AaEePp][ \t]+\d{{5}}"
_MILITARY = (
    rf"{_EDGE}(?:(?:{ci('psc')}|{ci('cmr')}|{ci('unit')})[ \t]+\d{{4}},?[ \t]+{ci('box')}[ \t]+\d{{4}}(?:{_MILITARY_POST})?"
    rf"|(?:{ci('usns')}|{ci('usnv')}|{ci('uss')}|{ci('uscgc')})[ \t]+{_WORD}(?:[ \t]+{_WORD})?{_MILITARY_POST})(?![\w\-])"
)
_UNIT_ALONE = (
    rf"{_EDGE}(?:{ci('apt')}\.?|{ci('apartment')}|{ci('appt')}\.?|Suite|SUITE|Ste\.|Flat|FLAT)[ \t]*{_UNIT_NUMBER}"
    rf"(?:(?:[ \t]*,[ \t]*|[ \t]+){_UNIT})?"
)
_CORNER_STREET = (
    rf"(?:\d{{1,5}}[ \t]+)?(?:{_CAP_WORD}|\d{{1,3}}(?:st|nd|rd|th))"
    rf"(?:[ \t]+(?:{_PARTICLE}[ \t]+){{0,2}}(?:{_CAP_WORD}|\d{{1,5}}\.?(?!\w)|\d{{1,3}}(?:st|nd|rd|th))){{0,5}}"
)
_CORNER = (
    rf"{_EDGE}{ci('corner of')}[ \t]+(?:{ci('the')}[ \t]+)?"
    rf"(?P<corner>{_CORNER_STREET}[ \t]+(?:and|&)[ \t]+{_CORNER_STREET})"
)

# Right before a street: a phrase that introduces an address. The strong ones ("lives at",
# "address:", "on the north side of") make a capitalised name + number an address on their
# own (with the words in NOT_STREET kept out: "send it to Marketing 2"); the others ("meet me
# at", "the restaurant is at": "meet me at Costa 3", "our store is at Westfield 2") only with a
# building number ("meet me at 758 Dalmatinova 4").
_STRONG_LEAD_INS = (
    r"\b(?:live|lives|lived|living|located|situated|reside|resides|residing)"
    r"(?:\s+(?:on|at|in))?(?:\s+the\s+\w+\s+side\s+of)?"
    r"|\baddress(?:\s+is)?\s*[:\-–]?"
    r"|\baddr\.?\s*:?"
    r"|\b(?:corner|side)\s+of"
    r"|\b(?:ship|send|sent|deliver|mail|post|forward|courier)\w*\s+"
    r"(?:(?:it|them|this|that|these|the\s+\w+|my\s+\w+|everything)\s+)?to"
    r"|\b(?:station|office|offices|shop|store|restaurant|house|home|flat|apartment|hotel)\s+(?:is|are)\s+on"
    r"|\b(?:adres|mieszkam\s+(?:na|przy))\s*:?"
)
_WEAK_LEAD_INS = (
    r"|\b(?:based|stay|stays|staying)(?:\s+(?:on|at|in))?"
    r"|\b(?:moved|move|moving|relocated)\s+to"
    r"|\breturn\w*\s+(?:(?:it|them|this|that|these|the\s+\w+|my\s+\w+|everything)\s+)?to"
    r"|\b(?:meet|see)\s+(?:me|you|us|him|her|them)\s+at"
    r"|\b(?:drops?|dropped|dropping)\s+(?:you\s+|me\s+|us\s+)?off\s+at"
    r"|\b(?:stop|stops|pick\s+(?:me\s+|us\s+)?up)\s+at"
    r"|\b(?:station|office|offices|shop|store|restaurant|house|home|flat|apartment|hotel)\s+(?:is|are)\s+(?:at|in)"
    r"|\benter\s+(?:on|from|at)"
)
_LEAD_IN = re.compile(rf"(?:{_STRONG_LEAD_INS}{_WEAK_LEAD_INS})\s*(?:the\s+)?$", re.IGNORECASE)
_STRONG_LEAD_IN = re.compile(rf"(?:{_STRONG_LEAD_INS})\s*(?:the\s+)?$", re.IGNORECASE)
# The last word of every lead-in.
_LEAD_IN_LAST = frozenset(
    (
        "at",
        "on",
        "in",
        "to",
        "of",
        "the",
        "from",
        "live",
        "lives",
        "lived",
        "living",
        "located",
        "situated",
        "based",
        "stay",
        "stays",
        "staying",
        "reside",
        "resides",
        "residing",
        ":",
        "-",
        "–",
    )
)
_LEAD_IN_ENDINGS = ("address", "address:", "address-", "addr", "addr.", "addr:", "adres", "adres:", "is")
_TAIL_UNIT = re.compile(rf"(?:{_NL})?,?[ \t]*{_UNIT}")
_HAS_BREAK = re.compile(r"\r?\n|\\n")
_STRONG_POSTCODE = re.compile(
    r"(?<![\w\-])(?:[A-Z]{1,2}\d[A-Z\d]?[ \t]?\d[A-Z]{2}|[A-Z]\d[A-Z][ \t]?\d[A-Z]\d|\d{4}[ \t]?[A-Z]{2}"
    r"|[A-Z]{1,2}-\d{4,5}|\d{4}-\d{3}|\d{5}-\d{3}|\d{2}-\d{3}"
    r"|\d{3}[ \t]\d{2}|\d{4,5})(?![\w\-])"
)
_C_SLASH = re.compile(r"[Cc]/[ \t]?$")
_QUANTITY_AFTER = re.compile(
    r"[ \t]*(?:%|(?:minutes?|mins?|hours?|hrs?|days?|weeks?|months?|years?|yrs?|times|people|persons|guests|kids"
    r"|adults|pcs|pieces|items|units|pm|am|p\.m|a\.m|euros?|eur|€|dollars?|usd|\$|pounds?|gbp|£|zł|zl|pln|chf|sek|nok|dkk"
    r"|czk|huf|km|mi|miles?|kg|lbs?|gb|mb|tb|cm|mm|ml|stars?|points?|pts|%|percent|sztuk|szt|osób|osoby|dni|minut"
    r"|godzin|lat|razy|o'clock|o’clock|more|less|extra|additional|free|new|old|each|per)(?![\w'’]))",
    re.IGNORECASE,
)
# ... or a plural noun ("12 boxes", "3 pallets"; not "has", "this", "thanks": see STOP_WORDS).
_PLURAL_AFTER = re.compile(r"[ \t]+([a-z]+s)(?![\w'’])")
_STREET_AFTER = re.compile(r"[ \t]+(?:[Ss]treet|STREET|St\.)(?!\w)")
_YEAR = re.compile(r"(?:19|20)\d\d")
_WORD_SPLIT = re.compile(r"\S+")


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
