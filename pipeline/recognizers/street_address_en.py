"""STREET_ADDRESS (English: US/UK style): house number + street name + street suffix,
then optionally a direction, a unit, and a city with a US state + ZIP or a UK postcode.

Matched as one span each, in any case (chat is often lower-case):
"221B Baker Street", "1600 Pennsylvania Ave NW, Washington, DC 20500", "12 Oak St. Apt 4",
"45 High Road, London SW1A 1AA", "350 5th Avenue", "12-14 Mill Lane", "9 elm grove, flat 2".

The street name is 1-4 words. To keep "3 kids on the way" or "a 2 minute drive" out, a
name word may not be a function word or a unit of time/distance (the stop list below),
and the suffixes that are everyday words in their own right (close, walk, row, green,
hill, park, view...) count only when a city with state + ZIP or a UK postcode follows
("523 Willow Close, Springfield, IL 62704"). A city on its own after the street (", Springfield")
is not included: only a city followed by state + ZIP or by a UK postcode is.

Scores: 0.5 for number + street; 0.75 with a unit or a state/ZIP or UK postcode;
+0.15 when an address word ("address", "live at", "ship to", "deliver", "adres") is near.
"""

from __future__ import annotations

from presidio_analyzer import Pattern

from pipeline.recognizers._base import LETTER, ChatguardRecognizer, ci, word_start_prefilter

SCORE_STREET = 0.5
SCORE_DETAILED = 0.75
CONTEXT_BOOST = 0.15

SUFFIX_WORDS = (
    "street", "avenue", "road", "lane", "drive", "boulevard", "court", "way", "place",
    "terrace", "square", "crescent", "circle", "highway", "parkway", "gardens", "grove",
    "mews", "alley", "trail", "plaza",
)
# Abbreviations, which may carry a dot ("St.").
SUFFIX_ABBREVIATIONS = (
    "st", "ave", "av", "rd", "ln", "dr", "blvd", "ct", "ter", "tce", "sq", "cres", "cir",
    "hwy", "pkwy", "gdns", "trl",
)
# Suffixes that are everyday words too ("a 5 minute walk", "3 in a row", "very close"):
# taken only when a unit or a city with state + ZIP / UK postcode follows.
WEAK_SUFFIXES = (
    "close", "walk", "row", "green", "hill", "park", "gate", "end", "rise", "view", "wharf",
    "yard", "heights", "hts", "manor", "meadow", "meadows", "parade", "path", "point", "ridge",
    "vale", "wynd", "loop", "run", "pass", "pike", "crossing", "commons", "field", "fields",
)
SUFFIXES = SUFFIX_WORDS + SUFFIX_ABBREVIATIONS
# Words that never start or continue a street name (function words, units, quantities).
NAME_STOP_WORDS = (
    "the", "a", "an", "on", "in", "at", "to", "of", "for", "my", "your", "our", "their", "his",
    "her", "its", "and", "or", "but", "is", "are", "was", "were", "be", "by", "with", "from",
    "per", "this", "that", "these", "those", "more", "less", "other", "different", "best",
    "easy", "only", "same", "whole", "entire", "very", "few", "many", "much", "times", "time",
    "second", "seconds", "sec", "secs", "minute", "minutes", "min", "mins", "hour", "hours",
    "hr", "hrs", "day", "days", "week", "weeks", "month", "months", "year", "years", "km",
    "mile", "miles", "mi", "meter", "meters", "metre", "metres", "items", "item", "people",
    "kids", "ways", "steps", "step", "lanes", "mb", "gb", "kb", "usd", "eur", "gbp", "pln",
    # Polish chat runs through the same recognizers: "o 12 u dr Nowak", "2 konta na wp.pl".
    "u", "w", "we", "z", "ze", "na", "do", "o", "i", "po", "za", "od", "przy", "pod", "nad",
    "dla", "bez", "lub", "albo", "oraz", "sztuk", "szt", "razy", "osób", "osoby", "zł", "zl",
    "dni", "godz", "godzin", "minut", "lat", "konta", "konto",
)

_SUFFIX = (
    "(?:(?:" + "|".join(sorted(SUFFIX_WORDS, key=len, reverse=True)) + r")\b"
    "|(?:" + "|".join(sorted(SUFFIX_ABBREVIATIONS, key=len, reverse=True)) + r")\b\.?)"
)
_WEAK_SUFFIX = "(?:" + "|".join(sorted(WEAK_SUFFIXES, key=len, reverse=True)) + r")\b\.?"
_STOP = "(?:" + "|".join(sorted(NAME_STOP_WORDS, key=len, reverse=True)) + r")\b"
_NUMBER = r"(?<![\w.,:/$£€\-])\d{1,5}[A-Z]?(?:-\d{1,5}[A-Z]?)?"
_WORD = rf"(?!{_STOP})(?:{LETTER}[\w'’\-]*\.?|\d{{1,3}}(?:st|nd|rd|th))"
_DIRECTION = r"(?:[ \t]+(?:N|S|E|W|NE|NW|SE|SW)\b\.?)?"
_UNIT = r"(?:,?[ \t]*(?:apt|apartment|suite|ste|unit|flat|fl|floor|room|rm|#)\.?[ \t]*#?[ \t]*(?:\d{1,5}[A-Z]?|[A-Z])\b)"
_CITY = rf"{LETTER}+(?:[ \t\-]{LETTER}+){{0,2}}"
_US_STATE_ZIP = r"[A-Z]{2}[ \t]+\d{5}(?:-\d{4})?"
_UK_POSTCODE = r"[A-Z]{1,2}\d[A-Z\d]?[ \t]*\d[A-Z]{2}"
_TAIL = rf",?\s+(?:{_CITY},?\s+)?(?:{_US_STATE_ZIP}|{_UK_POSTCODE})(?!\w)"


class EnStreetAddressRecognizer(ChatguardRecognizer):
    """US/UK street addresses."""

    ENTITY = "STREET_ADDRESS"
    PATTERNS = [
        Pattern(
            "EN street address",
            rf"{_NUMBER}[ \t]+(?:{_WORD}[ \t]+){{1,4}}{_SUFFIX}{_DIRECTION}(?P<unit>{_UNIT})?(?P<tail>{_TAIL})?",
            SCORE_STREET,
        ),
        Pattern(
            "EN street address, everyday-word suffix, with city",
            rf"{_NUMBER}[ \t]+(?:{_WORD}[ \t]+){{1,4}}{_WEAK_SUFFIX}{_DIRECTION}(?P<unit>{_UNIT})?(?P<tail>{_TAIL})",
            SCORE_DETAILED,
        ),
    ]
    CONTEXT = [
        "address", "addr", "live at", "lives at", "living at", "located at", "ship to",
        "shipping", "deliver", "delivery", "send it to", "mail it to", "adres", "mieszkam",
    ]
    # Any street suffix as a whole word: every match contains one.
    PREFILTER = word_start_prefilter(
        [ci(s) + r"(?!\w)" for s in sorted(SUFFIXES + WEAK_SUFFIXES, key=len, reverse=True)]
    )

    def score_match(self, text, start, end, score, valid, match):
        if match.group("unit") or match.group("tail"):
            score = SCORE_DETAILED
        if self.has_context(text, start, end):
            score = min(score + CONTEXT_BOOST, 0.95)
        return score
