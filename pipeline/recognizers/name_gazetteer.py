"""PERSON: a known first name followed by a surname, with no cue phrase needed.

Catches what NER cannot: Polish names (no Polish model ships here), inflected forms
("z Marią Krawczyk", "do Jakuba Wiśniewskiego") and lower-case names ("best samuel
robinson"). A first name from the list (_first_names, with Polish case endings generated
below) must be followed by a surname-like word: capitalised, or - when the first name is
lower-case too - a lower-case word that is not a common word. One word alone is not enough:
"Anna" could be the product, the shop or the answer.

Capitalised pairs also take the first names of 54 countries (``pipeline.names``):
"Keijo Hänninen" alone on a line, "Cornelius Thornbury" in a sentence. Lower-case pairs stay
with the Polish list: lower-cased, many of those names are ordinary words ("will", "mark").
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from presidio_analyzer import Pattern

from pipeline.names import ORG_WORDS, is_first_name, names_a_thing
from pipeline.recognizers._base import LETTER, ChatguardRecognizer
from pipeline.recognizers._first_names import FIRST_NAMES
from pipeline.recognizers.chat_names import STOP_WORDS

SCORE_CAPITALISED = 0.7
SCORE_LOWER = 0.55


def _polish_forms(name: str) -> set[str]:
    """Declined forms of a first name: Maria -> Marii, Marię, Marią; Jakub -> Jakuba, Jakubem..."""
    forms = {name}
    if name.endswith("ia"):
        stem = name[:-1]
        forms |= {stem + "i", stem + "ę", stem + "ą", stem + "o"}
    elif name.endswith("a"):
        stem = name[:-1]
        forms |= {stem + "y", stem + "i", stem + "ie", stem + "ę", stem + "ą", stem + "o"}
    else:
        # A mobile e drops when declined: Marek -> Marka, Paweł -> Pawła, Wojtek -> Wojtka.
        stem = name[:-2] + name[-1] if name.endswith(("ek", "eł", "ec")) else name
        forms |= {stem + "a", stem + "owi", stem + "em", stem + "iem", stem + "ie", stem + "u"}
    return forms


# Title-case word pairs that open English sentences or name things, not people.
_NOT_SURNAMES = frozenset(
    """street road avenue lane drive square park bank university college school hospital hotel
    airport station church street ltd inc llc corp company group team day night morning evening
    christmas easter""".split()
)


def _common_pair(first: str, last: str) -> bool:
    return last.lower() in _NOT_SURNAMES or last.lower() in ORG_WORDS


KNOWN_FIRST_NAMES: frozenset[str] = frozenset(form for name in FIRST_NAMES for form in _polish_forms(name))
_WORD = rf"{LETTER}+(?:[\-'’]{LETTER}+)?"


class NameGazetteerRecognizer(ChatguardRecognizer):
    ENTITY = "PERSON"
    PATTERNS = [
        Pattern(
            "first-name surname",
            rf"(?<!\w)(?P<first>{_WORD})[ \t]+(?:[A-Z]\.?[ \t]+)?(?P<last>{_WORD})(?!\w)",
            SCORE_CAPITALISED,
        )
    ]
    FLAGS = 0  # case matters here: it is what tells a surname from an ordinary word
    # Any word of two or more letters: the list lookup in score_match() does the real filtering.
    PREFILTER = re.compile(rf"{LETTER}{{2}}[ \t]+{LETTER}")

    def matches(self, compiled: re.Pattern[str], text: str) -> Iterator[re.Match[str]]:
        # Overlapping pairs ("Anna Maria Kowalska"): finditer would skip the second pair, so
        # the next search starts at this pair's surname.
        position = 0
        while (match := compiled.search(text, position)) is not None:
            yield match
            position = match.start("last")

    def validate_result(self, pattern_text: str) -> bool | None:
        """False when the word after the first name cannot be a surname: a stop word, one letter."""
        last = pattern_text.split()[-1]
        return False if last.lower() in STOP_WORDS or len(last) < 2 else None

    def score_match(
        self, text: str, start: int, end: int, score: float, valid: bool | None, match: re.Match[str]
    ) -> float | None:
        """By the case of the two words and whether the first name is a listed Polish one; None
        when the pair is no person's name."""
        first, last = match.group("first"), match.group("last")
        polish = first.lower() in KNOWN_FIRST_NAMES
        if last[0].isupper() and not last.isupper():
            if _common_pair(first, last) or names_a_thing(text, match.group(0), match.start()):
                return None  # "Russell Investments", "Walker Greenbank plc"
            if polish and (first[0].isupper() or first.islower()):
                return SCORE_CAPITALISED
            if first[0].isupper() and not first.isupper() and is_first_name(first):
                return SCORE_CAPITALISED
            return None
        if polish and first.islower() and last.islower() and len(last) >= 3 and last not in KNOWN_FIRST_NAMES:
            return SCORE_LOWER
        return None
