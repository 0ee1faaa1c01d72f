"""Text normalisation before detection, with every character mapped back to the original.

People type PII in ways recognizers miss: fullwidth digits, invisible characters inside an
e-mail, Cyrillic lookalike letters, phone numbers split by spaces, dots or underscores, "6O1"
for "601", "anna dot kowalska at wp dot pl". Detection runs on the normalised text; each span
found there is mapped back to the original characters, so redaction replaces exactly what the
person typed (invisible characters inside the value included).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

# Characters that render as nothing, typed (on purpose or by keyboards) inside a value: besides
# every format character (category Cf: zero-width, bidi and invisible-operator controls, tag
# characters), the variation selectors, the combining grapheme joiner and the Hangul fillers.
# Dropping them changes only the detection view: an emoji's ZWJ stays in the redacted text.
_INVISIBLE_MARKS = frozenset(
    "\u034f\u115f\u1160\u3164\uffa0\u180b\u180c\u180d\u180f\u20e3"  # U+20E3: the keycap around "6️⃣"
    + "".join(map(chr, range(0xFE00, 0xFE10)))
    + "".join(map(chr, range(0xE0100, 0xE01F0)))
)


def is_invisible(ch: str) -> bool:
    """Renders as nothing: every format character (Cf) and the marks above."""
    return ch in _INVISIBLE_MARKS or unicodedata.category(ch) == "Cf"


# Full stops of other scripts that NFKC leaves alone, read as "." ("anna@wp。pl").
_FULL_STOPS = frozenset("\u3002\uff61\u2024\ufe52")
#: Letters of other scripts that render like a Latin letter, with that letter: the one table
#: every look-alike fold reads. Case is kept, so each case maps to its own look-alike (Greek
#: capital NU looks like N, small nu like v).
LOOKALIKES: Mapping[str, str] = MappingProxyType(
    {
        **dict(zip("аеорсухіјѕԁһԛԝѡӏ", "aeopcyxijsdhqwwl", strict=True)),  # Cyrillic
        **dict(zip("АВЕКМНОРСТХУІЈЅԚԜ", "ABEKMHOPCTXYIJSQW", strict=True)),
        **dict(zip("αεικνορτυχ", "aeikvoptux", strict=True)),  # Greek
        **dict(zip("ΑΒΕΖΗΙΚΜΝΟΡΤΥΧ", "ABEZHIKMNOPTYX", strict=True)),
        "ɡ": "g",  # Latin script g
    }
)
# The detection view folds all but these: folding more changes what the recognizers and NER
# read, which the quality gates measure. Leak checks fold every one (a value disguised with
# any of them still leaks).
_KEPT_IN_DETECTION = frozenset("ԝӏУԚԜαεικυχɡ")
#: The look-alikes the detection view folds to Latin (in words that mix scripts).
DETECTION_LOOKALIKES: frozenset[str] = frozenset(LOOKALIKES) - _KEPT_IN_DETECTION
_DETECTION_FOLD = str.maketrans({ch: LOOKALIKES[ch] for ch in DETECTION_LOOKALIKES})

_AT = r"(?:\s{0,5}[(\[{</]\s{0,5}(?:at|małpa|malpa|@)\s{0,5}[)\]}>/]\s{0,5}|%40|\s{1,5}(?:at|małpa|malpa)\s{1,5}|\s{1,5}@\s{0,5}|\s{0,5}@\s{1,5})"
_DOT = r"(?:\s{0,5}[(\[{</]\s{0,5}(?:dot|kropka)\s{0,5}[)\]}>/]\s{0,5}|\s{1,5}(?:dot|kropka)\s{1,5}|\.)"
_WORD = r"[\w+-]{1,64}"
# "anna dot kowalska at wp dot pl", "anna(at)wp(dot)pl", "anna małpa wp kropka pl". Bounded
# like an address (a 64-character local part, a few labels): unbounded, every word of 64 KB
# of "a dot a dot ..." would start a scan to the text's end.
_SPELLED_EMAIL = re.compile(
    rf"(?<![\w.@])({_WORD}(?:{_DOT}{_WORD}){{0,7}}){_AT}({_WORD}(?:{_DOT}{_WORD}){{0,5}}{_DOT}[a-z]{{2,12}})(?![\w@])",
    re.IGNORECASE,
)
_SPELLED_SEPARATOR = re.compile(rf"{_DOT}|{_AT}", re.IGNORECASE)
_EMAIL_CUE = re.compile(r"(?:\bat\b|małpa|malpa|\(at\)|\[at\]|\s@|@\s|%40)", re.IGNORECASE)
# Letters typed for digits inside a number: "6O1 234 567", "60l 234 567", "5б7".
_DIGIT_LOOKALIKES = {"O": "0", "o": "0", "I": "1", "l": "1", "б": "6"}
_AS_DIGITS = str.maketrans(_DIGIT_LOOKALIKES)
# A digit, or a lookalike letter that touches a digit and no other letter (so "Hello 2",
# "IOl" and "10 l" stay words).
_DIGIT = r"(?:\d|(?<![^\W\d_])[OoIlб](?=\d)|(?<=\d)[OoIlб](?![^\W\d_]))"
_LOOKALIKE = re.compile("[OoIlб]")
# One at the edge of a digit group, not between two digits: "60l" (or a unit: "10l 5l 20l").
_EDGE_LOOKALIKE = re.compile(r"(?<!\d)[OoIlб]|[OoIlб](?!\d)")
# Digit runs split by spaces, dashes, dots, slashes or underscores: "601 234 567",
# "6 0 1 2 3 4 5 6 7", "4569  9362  2094  8061", "4213 / 2014 / 7266 / 9570", "601_234_567".
_SEPARATOR = r"(?:[ \u00a0]{1,3}|[ \u00a0]?(?:[.\-/_|~·•\u2010-\u2015\u2212]|--)[ \u00a0]?)"
_SPLIT_DIGITS = re.compile(rf"\d(?:{_SEPARATOR}?\d)+")
_SPLIT_DIGITS_OR_LOOKALIKES = re.compile(rf"{_DIGIT}(?:{_SEPARATOR}?{_DIGIT})+")
_LOOKALIKE_BY_DIGIT = re.compile(r"\d[OoIlб]|[OoIlб]\d")  # the cheap test for the slower regex
# Left alone: IPv4 addresses (recognised as they are) and dotted dates. Four dotted groups with
# one above 255 or a leading zero are no address: "440.514.013.59" is a PESEL.
_IPV4 = re.compile(r"(?:0|[1-9]\d{0,2})(?:\.(?:0|[1-9]\d{0,2})){3}")
_DOTTED_DATE = re.compile(r"\d{1,2}\.\d{1,2}\.\d{2,4}")
# "2007-01-17 23:08:55": a date (and the hour after it) is not one long number.
_ISO_DATE = re.compile(r"\d{4}-\d{1,2}-\d{1,2}(?!\d)")
# Text pasted from JSON or logs carries its line breaks as the two characters "\n".
_ESCAPED_BREAK = re.compile(r"\\[nrt]")
_MIN_JOINED_DIGITS = 7  # below this a run is a price, a time or a quantity, not an identifier


@dataclass(frozen=True, slots=True)
class Normalised:
    text: str
    # For each character of ``text``: the original [start, end) it came from. None: identity.
    starts: tuple[int, ...] | None = None
    ends: tuple[int, ...] | None = None

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        if self.starts is None or self.ends is None:
            return start, end
        if start >= end:
            return self.starts[start] if start < len(self.starts) else self.ends[-1], self.ends[end - 1] if end else 0
        return self.starts[start], self.ends[end - 1]


class _Builder:
    def __init__(self) -> None:
        self.chars: list[str] = []
        self.starts: list[int] = []
        self.ends: list[int] = []

    def add(self, text: str, start: int, end: int) -> None:
        for ch in text:
            self.chars.append(ch)
            self.starts.append(start)
            self.ends.append(end)


def _compose(outer: Normalised, inner_text: str, inner: _Builder) -> Normalised:
    """``inner`` maps into ``outer.text``; return one map from the final text to the original."""
    if outer.starts is None or outer.ends is None:
        return Normalised(inner_text, tuple(inner.starts), tuple(inner.ends))
    return Normalised(
        inner_text,
        tuple(outer.starts[s] for s in inner.starts),
        tuple(outer.ends[e - 1] for e in inner.ends),
    )


def _own_script_words(text: str) -> bytearray:
    """1 for each character of a word that has no Latin letter, digit or "@": a Greek or
    Cyrillic word ("Μαρία", "Иван") is the person's own script, and folding its lookalikes
    into Latin would garble a name for NER; a mixed word ("Јоhn", "аnnа@wp.pl") is disguise."""
    flags = bytearray(len(text))
    for word in _WORD_RUN.finditer(text):
        if not _LATIN_OR_DIGIT.search(word.group(0)):
            flags[word.start() : word.end()] = b"\x01" * (word.end() - word.start())
    return flags


_WORD_RUN = re.compile(r"\S+")
_LATIN_OR_DIGIT = re.compile(r"[A-Za-z0-9@]")


def fold_lookalikes(text: str) -> str:
    """``text`` with the look-alike letters the detection view folds (``DETECTION_LOOKALIKES``) in Latin."""
    return text.translate(_DETECTION_FOLD)


def _fold_characters(text: str) -> Normalised:
    out = _Builder()
    own_script = _own_script_words(text)
    for i, ch in enumerate(text):
        if ch.isascii():
            out.add(ch, i, i + 1)
        elif is_invisible(ch):
            continue
        elif ch in DETECTION_LOOKALIKES and not own_script[i]:
            out.add(LOOKALIKES[ch], i, i + 1)
        elif ch in _FULL_STOPS:
            out.add(".", i, i + 1)
        elif ch.isdecimal():  # Arabic-Indic, Devanagari... digits read as 0-9
            out.add(str(unicodedata.decimal(ch)), i, i + 1)
        elif "\ud800" <= ch <= "\udfff":  # a lone surrogate (legal in JSON) encodes nowhere
            out.add("\ufffd", i, i + 1)
        else:
            out.add(unicodedata.normalize("NFKC", ch), i, i + 1)
    return Normalised("".join(out.chars), tuple(out.starts), tuple(out.ends))


def _rewrite(
    current: Normalised, pattern: re.Pattern[str], replace: Callable[[re.Match[str]], str | None]
) -> Normalised:
    text = current.text
    out = _Builder()
    cursor = 0
    changed = False
    for match in pattern.finditer(text):
        new = replace(match)
        if new is None:
            continue
        changed = True
        for i in range(cursor, match.start()):
            out.add(text[i], i, i + 1)
        # Every character of the rewrite stands for the whole original phrase.
        out.add(new, match.start(), match.end())
        cursor = match.end()
    if not changed:
        return current
    for i in range(cursor, len(text)):
        out.add(text[i], i, i + 1)
    return _compose(current, "".join(out.chars), out)


def _spelled_email(match: re.Match[str]) -> str | None:
    local, domain = match.group(1), match.group(2)
    if not re.search(r"[a-z]", domain, re.IGNORECASE):
        return None
    return _SPELLED_SEPARATOR.sub(".", local) + "@" + _SPELLED_SEPARATOR.sub(".", domain)


def _is_ipv4(run: str) -> bool:
    return bool(_IPV4.fullmatch(run)) and all(int(octet) <= 255 for octet in run.split("."))


def _reads_as_one_number(typed: str) -> bool:
    """Whether the lookalike letters in a run are digits in disguise, not words or units: at
    least three real digits for each, and at most one at the edge of a group."""
    letters = len(_LOOKALIKE.findall(typed))
    if not letters:
        return True
    digits = sum(ch.isdigit() for ch in typed)
    return 3 * letters <= digits and len(_EDGE_LOOKALIKE.findall(typed)) <= 1


def _joined_digits(match: re.Match[str]) -> str | None:
    if not _reads_as_one_number(match.group(0)):
        return None
    run = match.group(0).translate(_AS_DIGITS)
    if _is_ipv4(run) or _DOTTED_DATE.fullmatch(run) or _ISO_DATE.match(run):
        return None
    # Slashes split dates and order numbers ("ZAM/2026/09/5495"); joined only in card-style groups of four.
    if "/" in run and any(len(group.strip()) != 4 for group in run.split("/")):
        return None
    digits = "".join(ch for ch in run if ch.isdigit())
    if digits == match.group(0) or len(digits) < _MIN_JOINED_DIGITS:
        return None
    return digits


def normalise(text: str) -> Normalised:
    """Fold characters, read escaped line breaks ("\\n") as line breaks and rewrite spelled-out
    e-mails (every recognizer reads this view)."""
    current = Normalised(text) if text.isascii() else _fold_characters(text)
    if "\\" in current.text:
        current = _rewrite(current, _ESCAPED_BREAK, lambda match: "\n")
    if _EMAIL_CUE.search(current.text):
        current = _rewrite(current, _SPELLED_EMAIL, _spelled_email)
    return current


def join_digit_runs(current: Normalised) -> Normalised | None:
    """A second view with split digit runs joined ("6 0 1 2 3 4 5 6 7" -> "601234567") and
    lookalike letters inside them read as digits ("60l 234 567" -> "601234567"), for the
    number recognizers; None when there is nothing to join. A second view, not a
    replacement: formats such as 536-90-4399 are recognised by their separators, and a
    lookalike rule that misreads a code must not hide it from the other recognizers."""
    pattern = _SPLIT_DIGITS_OR_LOOKALIKES if _LOOKALIKE_BY_DIGIT.search(current.text) else _SPLIT_DIGITS
    joined = _rewrite(current, pattern, _joined_digits)
    return None if joined is current else joined
