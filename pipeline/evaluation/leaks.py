"""Leak checks compare values and texts after the same folding: NFKC, no invisible characters,
Cyrillic/Greek look-alikes as Latin, casefolded; digit-heavy values as letters and digits only."""

from __future__ import annotations

import unicodedata

from pipeline.normalise import LOOKALIKES, is_invisible

INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff\u00ad"  # the common ones: dropped by a table, fast
_DROP_INVISIBLE = dict.fromkeys(map(ord, INVISIBLE))
# Every look-alike, folded before case-folding so each case maps to its own Latin letter. A
# superset of what detection folds: a value disguised with any look-alike still leaks.
_LOOKALIKES = str.maketrans(dict(LOOKALIKES))


def _fold(value: str) -> str:
    value = unicodedata.normalize("NFKC", value)
    value = value.translate(_DROP_INVISIBLE)
    if not value.isascii():
        value = "".join(ch for ch in value if not is_invisible(ch))
    return value.translate(_LOOKALIKES).casefold()


def is_digit_heavy(value: str) -> bool:
    """At least half of the value's letters and digits are digits (phone, card, IBAN, PESEL, ID card)."""
    alnum = [ch for ch in _fold(value) if ch.isalnum()]
    return bool(alnum) and 2 * sum(ch.isdigit() for ch in alnum) >= len(alnum)


def normalise_for_leak(value: str, alnum_only: bool | None = None) -> str:
    """NFKC, drop zero-width characters and soft hyphens, fold Cyrillic/Greek look-alikes to
    Latin, casefold; then keep only letters and digits when ``alnum_only`` (default: when the
    value is digit-heavy). To compare a value with a text, normalise the text with the value's
    ``alnum_only`` so both sides go through the same steps."""
    folded = _fold(value)
    if alnum_only is None:
        alnum_only = is_digit_heavy(value)
    return "".join(ch for ch in folded if ch.isalnum()) if alnum_only else folded
