"""Test-number generators, written independently of the recognizers' own checksum code.

Every number is synthetic: made up from the checksum rules, never copied from anywhere.
"""

from __future__ import annotations

from collections.abc import Sequence


def pesel(year: int, month: int, day: int, serial: str = "1234") -> str:
    """A valid PESEL for a birth date (serial: 3 digits + a sex digit)."""
    offset = {18: 80, 19: 0, 20: 20, 21: 40, 22: 60}[year // 100]
    body = f"{year % 100:02d}{month + offset:02d}{day:02d}{serial}"
    weights = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
    check = (10 - sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 10) % 10
    return body + str(check)


def nip(first9: str) -> str:
    """A valid NIP starting with ``first9`` (a different 9th digit if the remainder is 10)."""
    weights = (6, 5, 7, 2, 3, 4, 5, 6, 7)
    for last in range(10):
        body = first9[:8] + str((int(first9[8]) + last) % 10)
        rest = sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11
        if rest != 10:
            return body + str(rest)
    raise AssertionError("unreachable")


def regon9(first8: str) -> str:
    weights = (8, 9, 2, 3, 4, 5, 6, 7)
    return first8 + str(sum(int(d) * w for d, w in zip(first8, weights, strict=True)) % 11 % 10)


def regon14(first8: str, unit: str = "0001") -> str:
    body = regon9(first8) + unit
    weights = (2, 4, 8, 5, 0, 9, 7, 3, 6, 1, 2, 4, 8)
    return body + str(sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11 % 10)


def id_card(series: str, digits5: str) -> str:
    """A valid ID card number: series (3 letters), check digit, 5 digits."""
    values = [ord(c.upper()) - 55 for c in series] + [int(d) for d in digits5]
    weights = (7, 3, 1, 7, 3, 1, 7, 3)
    return series + str(sum(v * w for v, w in zip(values, weights, strict=True)) % 10) + digits5


def _numeric(s: str) -> str:
    return "".join(str(int(c, 36)) for c in s.upper())


def iban(country: str, bban: str) -> str:
    check = 98 - int(_numeric(bban + country + "00")) % 97
    return f"{country}{check:02d}{bban}"


def nrb(account24: str) -> str:
    """A valid Polish NRB (26 digits): check digits + 8-digit bank number + 16-digit account."""
    check = 98 - int(account24 + "252100") % 97
    return f"{check:02d}{account24}"


def grouped(value: str, sizes: Sequence[int], sep: str = " ") -> str:
    out, i = [], 0
    for size in sizes:
        out.append(value[i : i + size])
        i += size
    if i < len(value):
        out.append(value[i:])
    return sep.join(out)


def in_fours(value: str) -> str:
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4))


def bump(value: str, index: int = -1) -> str:
    """``value`` with the digit at ``index`` changed: its checksum breaks."""
    chars = list(value)
    i = index % len(chars)
    chars[i] = str((int(chars[i]) + 1) % 10)
    return "".join(chars)


def pesel_with_check(body10: str) -> str:
    """Ten digits + the right PESEL check digit, whatever date they encode."""
    weights = (1, 3, 7, 9, 1, 3, 7, 9, 1, 3)
    return body10 + str((10 - sum(int(d) * w for d, w in zip(body10, weights, strict=True)) % 10) % 10)
