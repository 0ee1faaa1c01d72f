"""PL_NIP: the Polish tax identification number.

10 digits, written 1234567890, 123-456-78-90 or 123-45-67-890 (spaces or dots instead of
the dashes too, used consistently), optionally prefixed with the EU VAT country code "PL"
("PL1234567890", "PL 123-456-78-90"). Check digit: sum of the first nine digits weighted
6,5,7,2,3,4,5,6,7, mod 11; a remainder of 10 is never issued.

Dotted NIPs count only with a NIP word nearby: "123.45.63.218" is also an IPv4 address (and
one in eleven addresses passes the checksum). Other dotted NIPs are found anyway in the
digits-joined view (``pipeline.normalise``), which leaves IPv4 addresses alone.
"""

from __future__ import annotations

import re

from presidio_analyzer import Pattern

from pipeline.recognizers._base import ChatguardRecognizer, digits_of

WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)


def nip_check_digit(first9: str) -> int | None:
    """The check digit for nine NIP digits, or None when the remainder is 10 (never issued)."""
    rest = sum(int(d) * w for d, w in zip(first9, WEIGHTS, strict=True)) % 11
    return None if rest == 10 else rest


def is_valid_nip(text: str) -> bool:
    digits = digits_of(text)
    if len(digits) != 10 or len(set(digits)) == 1:
        return False
    return nip_check_digit(digits[:9]) == int(digits[9])


class PlNipRecognizer(ChatguardRecognizer):
    """NIP, checksum verified (invalid ones are dropped, valid ones score 1.0)."""

    ENTITY = "PL_NIP"
    COUNTRY_CODE = "pl"
    PATTERNS = [
        Pattern(
            "NIP",
            r"(?<![\w\-])(?<!\d\.)(?:PL ?)?(?<![\d\-])"
            r"(?:\d{10}|\d{3}([ \-.])\d{3}\1\d\d\1\d\d|\d{3}([ \-.])\d\d\2\d\d\2\d{3})"
            # Not followed by more of a dashed number; a space and digits may follow ("NIP
            # 578 191 70 83 51-106 Szczecin"): the checksum rejects a prefix of a longer number.
            r"(?![\w]|[\-.]\d)",
            0.4,
        ),
    ]
    CONTEXT = [
        "nip",
        "numer nip",
        "nr nip",
        "vat",
        "vat id",
        "vat number",
        "tax id",
        "tax number",
        "numer identyfikacji podatkowej",
        "podatkow",
        "faktur",
        "invoice",
    ]
    # Ten digits with single optional separators: a superset of every pattern form.
    PREFILTER = re.compile(r"\d(?:[ \-.]?\d){9}")

    def validate_result(self, pattern_text: str) -> bool | None:
        return is_valid_nip(pattern_text)

    def score_match(self, text, start, end, score, valid, match):
        if "." in text[start:end] and not self.has_context(text, start, end):
            return None
        return score
