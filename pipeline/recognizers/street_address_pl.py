"""STREET_ADDRESS (Polish): street + house number (+ flat) (+ postcode and city), and a
postcode with its city on their own.

Matched as one span each:

* "ul. Marszałkowska 12/4, 00-950 Warszawa", "ulica Długa 5", "ul. długa 5" (chat is often
  lower-case), "al. Jerozolimskie 100", "os. Tysiąclecia 5 m. 7", "pl. Grunwaldzki 3",
  "ul. 3 Maja 5", "ul. Jana Pawła II 3", "ul. gen. Bema 4 lok. 3";
  the street keyword (ul./ulica, al./aleja, os./osiedle, pl./plac, rondo, skwer, bulwar, in
  their common inflections), a street name of 1-4 words (letters, abbreviations with a
  dot, a leading number as in "3 Maja"), a house number ("12", "12a"), an optional flat
  ("/4", "m. 7", "lok. 3", "m 7"), and optionally a postcode and its city;
* the postcode and city may also come first ("00-950 Warszawa, ul. Długa 5") or the city
  before the postcode ("ul. Długa 5, warszawa 00-950");
* a street without keyword when a postcode and city follow: "Mostowa 104C, 44-333 Radom"
  (street name capitalised), or in lower case with the comma before the postcode
  ("leśna 12 m 72, 94-622 katowice", 0.75; "za 2 10-150 zł" is a price range);
* "00-950 Warszawa" on its own: the city must start with a capital letter there, as
  "10-150 zł", "12-100 osób" are ranges, not postcodes.

Cities: the first word is taken in any case after a postcode, further words only when
capitalised ("Zielona Góra", "Nowy Dwór Mazowiecki", "Bielsko-Biała"); a lower-case
"zielona góra" loses its second word.

Scores: street + number 0.6; with postcode and city 0.85 (also without keyword);
postcode + city alone 0.5;
+0.15 when an address word ("adres", "mieszkam", "dostawa", "address"...) is nearby.
"""

from __future__ import annotations

import re

from presidio_analyzer import Pattern

from pipeline.recognizers._base import LETTER, ChatguardRecognizer, ci, word_start_prefilter

SCORE_STREET = 0.6
SCORE_FULL = 0.85
SCORE_POSTCODE_CITY = 0.5
SCORE_LOWER_CASE = 0.75
CONTEXT_BOOST = 0.15

_UPPER = r"(?-i:[A-ZĄĆĘŁŃÓŚŹŻ])"
_KEYWORD = (
    r"(?:ul(?:ica|icy|icą|icę)?|al(?:eja|ei|eję|eją)?|os(?:iedle|iedlu|iedla)?|pl(?:ac|acu)?"
    r"|rond(?:o|a|zie)|skwer(?:ze)?|bulwar(?:ze)?)"
)
# A word of a street name: letters (an abbreviation may end with a dot: "gen.", "św.").
# The name may start with a day number ("3 Maja", "11 Listopada").
_NAME_WORD = rf"{LETTER}[\w'’\-]*\.?"
_DAY = r"(?:\d{1,2}[ \t]+)?"
_HOUSE = r"\d{1,4}[a-z]?"
_FLAT = rf"(?:\s?/\s?{_HOUSE}|\s*,?\s*(?:m|lok|mieszk|mieszkania|apt)\.?\s*{_HOUSE})"
_CITY_WORD = rf"{LETTER}{{3,}}(?:-{LETTER}+)?"
_CITY = rf"{_CITY_WORD}(?:[ \t]{_UPPER}{LETTER}*(?:-{LETTER}+)?){{0,2}}"
_POSTCODE = r"\d\d-\d{3}"
# Postcode and city after the street: "..., 00-950 Warszawa" or "..., warszawa 00-950".
_POSTAL_AFTER = rf"(?:,?\s*{_POSTCODE}[ \t]+{_CITY}|,?\s*{_CITY}[ \t]+{_POSTCODE}(?![\w\-]))"
# ... or before it: "00-950 Warszawa, ul. Długa 5".
_POSTAL_BEFORE = rf"(?<![\w\-]){_POSTCODE}[ \t]+{_CITY}[ \t]*,?\s*"
_NUMBER_AND_FLAT = rf"{_HOUSE}{_FLAT}?(?![\w/])"
# Words before a number that are no street ("mam 2, ..."), after a postcode that are no city.
_NOT_STREET = (
    r"(?:mam|masz|jest|są|było|była|był|kupiłem|kupiłam|razy|około|okolo|ponad|prawie|tylko"
    r"|have|has|got|buy|bought|about|only|over|under|nearly|almost|and|the|for|with|from)"
)
_NOT_CITY = r"(?:osób|osoby|sztuk|szt|złotych|zlotych|pln|eur|usd|km|metrów|minut|godzin|dni|lat|razy|procent)"


class PlStreetAddressRecognizer(ChatguardRecognizer):
    """Polish street addresses and postcode + city."""

    ENTITY = "STREET_ADDRESS"
    COUNTRY_CODE = "pl"
    PATTERNS = [
        Pattern(
            "PL street address",
            rf"(?P<pre>{_POSTAL_BEFORE})?(?<![\w.@])(?P<keyword>{_KEYWORD})(?:\.\s*|\s+){_DAY}"
            rf"(?:{_NAME_WORD}[ \t]+){{1,4}}{_NUMBER_AND_FLAT}(?P<postal>{_POSTAL_AFTER})?",
            SCORE_STREET,
        ),
        Pattern(
            "PL street without keyword + postcode",
            # "Mostowa 104C, 44-333 Radom": no "ul.", so the postcode and city are required,
            # and the street name capitalised ("za 2 10-150 zł" is a price range).
            rf"(?<![\w.@])(?:{_UPPER}{LETTER}*\.?[ \t]+){{0,2}}{_UPPER}{LETTER}[\w'’\-]*[ \t]+"
            rf"{_NUMBER_AND_FLAT},?\s*{_POSTCODE}[ \t]+{_CITY}",
            SCORE_FULL,
        ),
        Pattern(
            "PL street without keyword + postcode, lower case",
            # "leśna 12 m 72, 94-622 katowice": one street word in any case, then the comma a
            # street address has before its postcode; no unit after the postcode ("osób").
            rf"(?<![\w.@])(?!{_NOT_STREET}\b){LETTER}{{3,}}[ \t]+{_NUMBER_AND_FLAT},\s*{_POSTCODE}[ \t]+"
            rf"(?!{_NOT_CITY}\b){_CITY}",
            SCORE_LOWER_CASE,
        ),
        Pattern(
            "PL postcode + city",
            rf"(?<![\w\-]){_POSTCODE}[ \t]+{_UPPER}{LETTER}*(?:-{LETTER}+)?(?:[ \t]{_UPPER}{LETTER}*(?:-{LETTER}+)?){{0,2}}",
            SCORE_POSTCODE_CITY,
        ),
    ]
    CONTEXT = [
        "adres",
        "adresem",
        "mieszkam",
        "zamieszkał",
        "zamieszkania",
        "mieszkanie",
        "dostaw",
        "wysyłk",
        "wysylk",
        "doręcz",
        "dorecz",
        "kurier",
        "address",
        "live at",
        "lives at",
        "deliver",
        "shipping",
    ]
    # A street keyword followed by a dot or a space, a long keyword form, or a postcode.
    PREFILTER = word_start_prefilter(
        [ci(k) + r"[.\s]" for k in ("ul", "al", "os", "pl")]
        + [ci(k) for k in ("ulic", "alej", "alei", "osiedl", "plac", "rond", "skwer", "bulwar")],
        anywhere=[r"\d\d-\d{3}"],
    )
    # The keyword pattern needs a keyword; the others a postcode.
    PATTERN_GUARDS = {
        "PL street address": word_start_prefilter(
            [ci(k) + r"[.\s]" for k in ("ul", "al", "os", "pl")]
            + [ci(k) for k in ("ulic", "alej", "alei", "osiedl", "plac", "rond", "skwer", "bulwar")]
        ),
        "PL street without keyword + postcode": re.compile(r"\d\d-\d{3}"),
        "PL street without keyword + postcode, lower case": re.compile(r"\d\d-\d{3}"),
        "PL postcode + city": re.compile(r"\d\d-\d{3}"),
    }

    def score_match(self, text, start, end, score, valid, match):
        if "keyword" in match.re.groupindex and (match.group("postal") or match.group("pre")):
            score = SCORE_FULL
        if self.has_context(text, start, end):
            score = min(score + CONTEXT_BOOST, 0.95)
        return score
