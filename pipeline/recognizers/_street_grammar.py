"""The regular-expression grammar of the international street address recognizer
(``street_address_intl``): words, house numbers, units, postcodes, address blocks and lead-ins.
Every word group is atomic, never backtracked into, so matching stays linear on long input."""

from __future__ import annotations

import re

from pipeline.recognizers._base import ci
from pipeline.recognizers._street_words import (
    NUMBER_FIRST_CAPITALISED,
    NUMBER_FIRST_KEYWORDS,
    PARTICLES,
    STOP_WORDS,
    UNIT_WORDS,
)
from pipeline.recognizers.street_address_en import SUFFIX_ABBREVIATIONS as EN_SUFFIX_ABBREVIATIONS
from pipeline.recognizers.street_address_en import SUFFIX_WORDS as EN_SUFFIX_WORDS


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
