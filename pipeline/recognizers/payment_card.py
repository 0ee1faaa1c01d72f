"""CREDIT_CARD: payment card numbers of any scheme, 12 to 19 digits, Luhn-checked.

Presidio's card recognizer knows the 3/4/5/6 prefixes of 14-16 digit cards; people also type
2-series Mastercards (2221-2720), UATP (1...), 19-digit Visa and Maestro, and 12-digit Maestro
numbers. Here: any 13-19 digit number that passes the Luhn check (a random number does one
time in ten), or a 12-digit one with a card word nearby. Written plain, in groups of four, or
in any groups of 2-6 digits separated consistently by a space or a dash.
"""

from __future__ import annotations

import re

from presidio_analyzer import Pattern

from pipeline.recognizers._base import ChatguardRecognizer, digits_of


def luhn_valid(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


_PRODUCT_CODE = re.compile(
    r"(?i:\b(?:ean|gtin|isbn|upc|barcode|kod kreskowy|sku|imei|serial|s/n)\b\W{0,3}(?:no\.?|nr\.?|number)?\W{0,3}$)"
)


class PaymentCardRecognizer(ChatguardRecognizer):
    """Luhn-valid card numbers of any scheme (invalid ones are dropped)."""

    ENTITY = "CREDIT_CARD"
    PATTERNS = [
        Pattern(
            "card number",
            r"(?<![\w\-.,/])(?:\d{12,19}|\d{2,6}(?:([ \-])\d{2,6}){2,6})(?![\w\-]|[.,/]\d)",
            0.5,
        ),
    ]
    CONTEXT = [
        "card",
        "credit",
        "debit",
        "visa",
        "mastercard",
        "maestro",
        "amex",
        "jcb",
        "diners",
        "discover",
        "cc",
        "karta",
        "karty",
        "kartą",
        "kartę",
        "tarjeta",
        "carte",
        "kreditkarte",
    ]
    PREFILTER = re.compile(r"\d{12}|\d{2}[ \-]\d{2}")

    def validate_result(self, pattern_text: str) -> bool | None:
        digits = digits_of(pattern_text)
        if not 12 <= len(digits) <= 19 or len(set(digits)) == 1 or not luhn_valid(digits):
            return False
        return None

    def score_match(self, text, start, end, score, valid, match) -> float | None:
        if _PRODUCT_CODE.search(text[max(0, start - 20) : start]):
            return None  # "EAN 5901234123457": barcodes pass the Luhn check as often as anything
        digits = digits_of(text[start:end])
        if self.has_context(text, start, end):
            return 1.0
        return None if len(digits) < 13 else score
