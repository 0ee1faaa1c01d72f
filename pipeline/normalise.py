"""Text normalisation before detection, with every character mapped back to the original.

People type PII in ways recognizers miss: fullwidth digits, zero-width characters inside an
e-mail, Cyrillic lookalike letters, phone numbers split by spaces or dots, "anna dot kowalska
at wp dot pl". Detection runs on the normalised text; each span found there is mapped back to
the original characters, so redaction replaces exactly what the person typed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Invisible characters used (on purpose or by keyboards) inside words.
_INVISIBLE = frozenset("\u00ad\u200b\u200c\u200d\u2060\ufeff\u180e")
# Cyrillic and Greek letters that look like Latin ones.
_LOOKALIKES = str.maketrans(
    "аеорсухіјѕԁһАВЕКМНОРСТХІЈЅԛѡοΑΒΕΖΗΙΚΜΝΟΡΤΥΧνρτ",
    "aeopcyxijsdhABEKMHOPCTXIJSqwoABEZHIKMNOPTYXvpt",
)
_LOOKALIKE_CHARS = frozenset("аеорсухіјѕԁһАВЕКМНОРСТХІЈЅԛѡοΑΒΕΖΗΙΚΜΝΟΡΤΥΧνρτ")

_AT = r"(?:\s*[(\[{<]\s*(?:at|małpa|malpa|@)\s*[)\]}>]\s*|\s+(?:at|małpa|malpa)\s+|\s+@\s*|\s*@\s+)"
_DOT = r"(?:\s*[(\[{<]\s*(?:dot|kropka)\s*[)\]}>]\s*|\s+(?:dot|kropka)\s+|\.)"
_WORD = r"[\w+-]+"
# "anna dot kowalska at wp dot pl", "anna(at)wp(dot)pl", "anna małpa wp kropka pl"
_SPELLED_EMAIL = re.compile(
    rf"(?<![\w.@])({_WORD}(?:{_DOT}{_WORD})*){_AT}({_WORD}(?:{_DOT}{_WORD})*{_DOT}[a-z]{{2,12}})(?![\w@])",
    re.IGNORECASE,
)
_SPELLED_SEPARATOR = re.compile(rf"{_DOT}|{_AT}", re.IGNORECASE)
_EMAIL_CUE = re.compile(r"(?:\bat\b|małpa|malpa|\(at\)|\[at\]|\s@|@\s)", re.IGNORECASE)
# Digit runs split by spaces, dashes, dots or slashes: "601 234 567", "6 0 1 2 3 4 5 6 7",
# "4569  9362  2094  8061", "4213 / 2014 / 7266 / 9570".
_SPLIT_DIGITS = re.compile(r"\d(?:(?:[ \u00a0]{1,3}|[ \u00a0]?[.\-/][ \u00a0]?)?\d)+")
# Left alone: IPv4 addresses (recognised as they are) and dotted dates.
_KEEP_DOTTED = re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}|\d{1,2}\.\d{1,2}\.\d{2,4}")
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


def _fold_characters(text: str) -> Normalised:
    out = _Builder()
    for i, ch in enumerate(text):
        if ch in _INVISIBLE:
            continue
        if ch in _LOOKALIKE_CHARS:
            out.add(ch.translate(_LOOKALIKES), i, i + 1)
        elif ch.isascii():
            out.add(ch, i, i + 1)
        else:
            out.add(unicodedata.normalize("NFKC", ch), i, i + 1)
    return Normalised("".join(out.chars), tuple(out.starts), tuple(out.ends))


def _rewrite(current: Normalised, pattern: re.Pattern[str], replace) -> Normalised:
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


def _joined_digits(match: re.Match[str]) -> str | None:
    run = match.group(0)
    if _KEEP_DOTTED.fullmatch(run):
        return None
    # Slashes split dates and order numbers ("ZAM/2026/09/5495"); joined only in card-style groups of four.
    if "/" in run and any(len(group.strip()) != 4 for group in run.split("/")):
        return None
    digits = "".join(ch for ch in run if ch.isdigit())
    if len(digits) == len(run) or len(digits) < _MIN_JOINED_DIGITS:
        return None
    return digits


def normalise(text: str) -> Normalised:
    """Fold characters and rewrite spelled-out e-mails (every recognizer reads this view)."""
    current = Normalised(text) if text.isascii() else _fold_characters(text)
    if _EMAIL_CUE.search(current.text):
        current = _rewrite(current, _SPELLED_EMAIL, _spelled_email)
    return current


def join_digit_runs(current: Normalised) -> Normalised | None:
    """A second view with split digit runs joined ("6 0 1 2 3 4 5 6 7" -> "601234567"), for
    the number recognizers; None when there is nothing to join. A second view, not a
    replacement: formats such as 536-90-4399 are recognised by their separators."""
    joined = _rewrite(current, _SPLIT_DIGITS, _joined_digits)
    return None if joined is current else joined
