"""CRYPTO (bech32/bech32m): the BIP-173 and BIP-350 test vectors, in either case."""

from __future__ import annotations

import pytest

from pipeline.recognizers.crypto_bech32 import CryptoBech32Recognizer, is_valid_segwit_address
from tests.support.recognizers import table_tests

# Valid mainnet addresses from BIP-173 and BIP-350, 42-62 characters.
P2WPKH = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"  # BIP-173, version 0, 20 bytes
P2WSH = "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3"  # BIP-173, version 0, 32 bytes
P2TR = "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"  # BIP-350, version 1 (bech32m)

MATCHING = [
    (f"my wallet: {P2WPKH}", P2WPKH),
    (f"send it to {P2WPKH.upper()} please", P2WPKH.upper()),
    (f"btc {P2WSH}", P2WSH),
    (f"taproot address {P2TR}.", P2TR),
    (f"adres portfela {P2TR.upper()}", P2TR.upper()),
    (f"({P2WPKH})", P2WPKH),
]

NOT_MATCHING = [
    # Invalid vectors from BIP-173 / BIP-350.
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5",  # invalid checksum
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqh2y7hd",  # bech32 checksum on version 1
    "BC1S0XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ54WELL",  # bech32 checksum on version 16
    "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kemeawh",  # bech32m checksum on version 0
    "bc1p38j9r5y49hruaue7wxjce0updqjuyyx0kh56v8s25huc6995vvpql3jow4",  # "o" in the checksum
    "BC130XLXVLHEMJA6C4DQV22UAPCTQUPFHLXM9H8Z3K2E72Q4K9HCZ7VQ7ZWS8R",  # witness version 17
    "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7v07qwwzcrf",  # zero padding of more than 4 bits
    "bc1qW508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4",  # mixed case
    "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx",  # testnet, not bc
    f"x{P2WPKH}",  # inside a longer word
    f"{P2WPKH}z",
    "bc1 is a prefix",
    "kod ZYW-4821-KX",
    "PROMO2026",
    "o 10:30",
    "cena 12,99 zł",
    "2026-11-29",
    "iPhone 15 Pro",
]


test_finds, test_rejects, test_prefilter_accepts_every_match = table_tests(
    CryptoBech32Recognizer, MATCHING, NOT_MATCHING, score=1.0
)


@pytest.mark.parametrize(
    "address, valid",
    [
        # Valid vectors outside the 42-62 characters the pattern looks for: the checksum code is BIP's.
        ("BC1SW50QGDZ25J", True),
        ("bc1zw508d6qejxtdg4y5r3zarvaryvaxxpcs", True),
        ("bc1pw5dgrnzv", False),  # 1-byte program
        ("BC1QR508D6QEJXTDG4Y5R3ZARVARYV98GJ9P", False),  # 16-byte program for version 0
        ("bc1gmk9yu", False),  # empty data
    ],
)
def test_segwit_rules(address, valid):
    assert is_valid_segwit_address(address) is valid
