"""IBAN_CODE: IBANs of any country, and Polish NRB account numbers without the "PL".

* IBAN: country code, two check digits, up to 30 alphanumeric BBAN characters (15-34 in
  all), compact ("DE89370400440532013000") or in groups of four split by spaces, dashes or
  slashes ("DE89 3704 0044 0532 0130 00", "DE89/3704/0044/0532/0130/00"); either case.
  Valid when it has its country's length and ISO 7064 mod 97-10 gives 1.
* NRB: the 26 digits of a Polish account number as Poles write them, without the country
  code: "61109010140000071219812874" or "61 1090 1014 0000 0712 1981 2874" (or with dashes
  or slashes; also after a detached "PL ": "PL 61 1090 ..."). Valid when the IBAN check
  passes with "PL" put back (int(digits[2:] + "2521" + digits[:2]) % 97 == 1).

Grouped IBANs are matched greedily and then shortened group by group until the checksum
passes, so that a following word ("... 2874 and", "... 2874 ok") is never swallowed.
Valid numbers score 1.0; numbers failing the checksum are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from presidio_analyzer import Pattern

from pipeline.recognizers._base import ChatguardRecognizer

_SEPARATOR = re.compile(r"[ \-/]")
# IBAN length by country (SWIFT IBAN registry). Voucher codes in groups of four ("VW16-JV84
# ZDTG-ZKFT") pass mod 97 one time in 97; a country code and its exact length rule them out.
IBAN_LENGTHS = {
    "AD": 24, "AE": 23, "AL": 28, "AT": 20, "AZ": 28, "BA": 20, "BE": 16, "BG": 22, "BH": 22,
    "BI": 27, "BR": 29, "BY": 28, "CH": 21, "CR": 22, "CY": 28, "CZ": 24, "DE": 22, "DJ": 27,
    "DK": 18, "DO": 28, "EE": 20, "EG": 29, "ES": 24, "FI": 18, "FK": 18, "FO": 18, "FR": 27,
    "GB": 22, "GE": 22, "GI": 23, "GL": 18, "GR": 27, "GT": 28, "HN": 28, "HR": 21, "HU": 28,
    "IE": 22, "IL": 23, "IQ": 23, "IS": 26, "IT": 27, "JO": 30, "KW": 30, "KZ": 20, "LB": 28,
    "LC": 32, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "LY": 25, "MC": 27, "MD": 24, "ME": 22,
    "MK": 19, "MN": 20, "MR": 27, "MT": 31, "MU": 30, "NI": 28, "NL": 18, "NO": 15, "OM": 23,
    "PK": 24, "PL": 28, "PS": 29, "PT": 25, "QA": 29, "RO": 24, "RS": 22, "RU": 33, "SA": 24,
    "SC": 31, "SD": 18, "SE": 24, "SI": 19, "SK": 24, "SM": 27, "SO": 23, "ST": 25, "SV": 28,
    "TL": 23, "TN": 24, "TR": 26, "UA": 29, "VA": 22, "VG": 24, "XK": 20, "YE": 30,
}


def _mod97(numeric: str) -> int:
    return int(numeric) % 97


def _compact(text: str) -> str:
    return text.replace(" ", "").replace("-", "").replace("/", "")


def is_valid_iban(text: str) -> bool:
    compact = _compact(text).upper()
    if IBAN_LENGTHS.get(compact[:2]) != len(compact) or not compact.isascii() or not compact.isalnum():
        return False
    if not compact[:2].isalpha() or not compact[2:4].isdigit():
        return False
    rearranged = compact[4:] + compact[:4]
    return _mod97("".join(str(int(c, 36)) for c in rearranged)) == 1


def is_valid_nrb(text: str) -> bool:
    digits = _compact(text)
    if len(digits) != 26 or not digits.isascii() or not digits.isdigit():
        return False
    return _mod97(digits[2:] + "2521" + digits[:2]) == 1  # "PL" = 25 21


def is_valid_account(text: str) -> bool:
    """An IBAN, or an NRB (26 digits, "PL" left out or written apart: "PL 61 1090 ...")."""
    compact = _compact(text)
    return is_valid_nrb(compact) if compact[:2].isdigit() else is_valid_iban(compact)


class IbanRecognizer(ChatguardRecognizer):
    """IBAN (any country) and Polish NRB, mod-97 verified (invalid ones dropped, valid ones 1.0)."""

    ENTITY = "IBAN_CODE"
    PATTERNS = [
        Pattern("IBAN compact", r"(?<![^\W_])[A-Z]{2}\d\d[A-Z0-9]{11,30}(?![^\W_])", 0.5),
        Pattern(
            "IBAN grouped",
            r"(?<![^\W_])[A-Z]{2}\d\d(?:[ \-/][A-Z0-9]{4}){2,7}(?:[ \-/][A-Z0-9]{1,4})?(?![^\W_])",
            0.5,
        ),
        Pattern("NRB compact", r"(?<![^\W_])(?:PL )?\d{26}(?![^\W_])", 0.5),
        Pattern("NRB grouped", r"(?<![^\W_])(?<!\d )(?:PL )?\d\d(?:[ \-/]\d{4}){6}(?![^\W_])(?![ \-/]\d)", 0.5),
    ]
    CONTEXT = [
        "iban", "account", "bank account", "account number", "konto", "konta", "numer konta",
        "nr konta", "rachunek", "rachunku", "przelew", "transfer", "wire", "nrb", "bic", "swift",
    ]
    # Two digits, then at least eight alphanumerics in groups of four: every IBAN and NRB
    # has at least that (15 characters at least, so 11+ after the check digits).
    PREFILTER = re.compile(r"\d\d[ \-/]?[A-Z0-9]{4}[ \-/]?[A-Z0-9]{4}", re.IGNORECASE)

    def spans(self, text: str, match: re.Match[str], pattern: Pattern) -> Iterator[tuple[int, int, float]]:
        start, end = match.span()
        value = match.group()
        cuts = [m.start() for m in _SEPARATOR.finditer(value)]
        if not cuts or is_valid_account(value):
            yield start, end, pattern.score
            return
        # A grouped match may have swallowed a following word: drop groups from the end,
        # keeping three at least.
        for cut in reversed(cuts[2:]):
            if is_valid_account(value[:cut]):
                yield start, start + cut, pattern.score
                return

    def validate_result(self, pattern_text: str) -> bool | None:
        return is_valid_account(pattern_text)
