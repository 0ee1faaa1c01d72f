"""CRYPTO: Bitcoin SegWit addresses, bech32 and bech32m (BIP-173, BIP-350): "bc1q...", "bc1p...".

Presidio's CryptoRecognizer checks these checksums too, but only in lower case, and the
upper-case form is just as valid (QR codes use it). An address is "bc1", a witness version,
a program and a six-character checksum, 42-62 characters in all, from the 32-character
alphabet qpzry9x8gf2tvdw0s3jn54khce6mua7l (no 1, b, i or o after the "1"), all lower or
all upper case. Valid when it decodes as a mainnet SegWit address: version 0 with the
bech32 checksum and a 20- or 32-byte program, versions 1-16 with the bech32m checksum and a
2-40 byte program. Valid ones score 1.0; the rest are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from presidio_analyzer import Pattern

from pipeline.recognizers._base import ChatguardRecognizer

CHARSET = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"
_HRP = "bc"
_BECH32_CONST = 1
_BECH32M_CONST = 0x2BC830A3
_GENERATOR = (0x3B6A57B2, 0x26508E6D, 0x1EA119FA, 0x3D4233DD, 0x2A1462B3)


def _polymod(values: Sequence[int]) -> int:
    checksum = 1
    for value in values:
        top = checksum >> 25
        checksum = (checksum & 0x1FFFFFF) << 5 ^ value
        for i, generator in enumerate(_GENERATOR):
            if (top >> i) & 1:
                checksum ^= generator
    return checksum


def _hrp_expand(hrp: str) -> list[int]:
    return [ord(c) >> 5 for c in hrp] + [0] + [ord(c) & 31 for c in hrp]


def _five_to_eight_bits(data: Sequence[int]) -> list[int] | None:
    """The bytes five-bit groups encode, or None when the padding is not the zero bits BIP-173 allows."""
    acc = bits = 0
    out = []
    for value in data:
        acc = (acc << 5) | value
        bits += 5
        if bits >= 8:
            bits -= 8
            out.append((acc >> bits) & 0xFF)
    if bits >= 5 or (acc << (8 - bits)) & 0xFF:
        return None
    return out


def is_valid_segwit_address(text: str) -> bool:
    if text != text.lower() and text != text.upper():
        return False
    address = text.lower()
    if not address.startswith(_HRP + "1"):
        return False
    data = [CHARSET.find(c) for c in address[len(_HRP) + 1 :]]
    if len(data) < 7 or -1 in data:
        return False
    version = data[0]
    if version > 16:
        return False
    expected = _BECH32_CONST if version == 0 else _BECH32M_CONST
    if _polymod(_hrp_expand(_HRP) + data) != expected:
        return False
    program = _five_to_eight_bits(data[1:-6])
    if program is None or not 2 <= len(program) <= 40:
        return False
    return version != 0 or len(program) in (20, 32)


class CryptoBech32Recognizer(ChatguardRecognizer):
    """bech32 / bech32m Bitcoin addresses in either case, checksum verified."""

    ENTITY = "CRYPTO"
    PATTERNS = [
        # IGNORECASE (the class's FLAGS): upper-case addresses match the lower-case alphabet.
        Pattern("bech32 address", rf"(?<![^\W_])bc1[{CHARSET}]{{39,59}}(?![^\W_])", 0.5),
    ]
    CONTEXT = ["wallet", "bitcoin", "btc", "crypto", "address", "portfel", "adres", "kryptowalut"]
    PREFILTER = re.compile(r"[bB][cC]1")

    def validate_result(self, pattern_text: str) -> bool | None:
        return is_valid_segwit_address(pattern_text)
