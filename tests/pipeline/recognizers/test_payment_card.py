"""CREDIT_CARD of any scheme: 12-19 digits, Luhn-checked, 12 digits only with a card word."""

from __future__ import annotations

import pytest

from pipeline.recognizers.payment_card import PaymentCardRecognizer, luhn_valid
from tests.pipeline.recognizers.synthetic import bump, grouped
from tests.support.recognizers import table_tests


def card(prefix: str, length: int) -> str:
    """A Luhn-valid number: ``prefix``, zeros-and-sevens padding, then the check digit."""
    body = (prefix + "7071" * 5)[: length - 1]
    for check in "0123456789":
        if luhn_valid(body + check):
            return body + check
    raise AssertionError("unreachable")


MC2 = card("2720", 16)  # a 2-series Mastercard
VISA19 = card("4131", 19)
JCB15 = card("2131", 15)
MAESTRO12 = card("6304", 12)
UATP15 = card("1800", 15)

MATCHING = [
    (f"my card {MC2}", MC2, 1.0),
    (f"card: {grouped(MC2, [4, 4, 4])}", grouped(MC2, [4, 4, 4]), 1.0),
    (f"{grouped(MC2, [4, 4, 4], '-')} please", grouped(MC2, [4, 4, 4], "-"), 0.5),
    (f"My card {VISA19} is expiring", VISA19, 1.0),
    (f"cc {JCB15}", JCB15, 1.0),
    (f"card number {MAESTRO12} is lost", MAESTRO12, 1.0),
    (f"karta {UATP15}", UATP15, 1.0),
    (f"{UATP15}", UATP15, 0.5),
    (f"Visa {grouped(VISA19, [4, 4, 4, 4])}.", grouped(VISA19, [4, 4, 4, 4]), 1.0),
]

NOT_MATCHING = [
    f"card {bump(MC2)}",  # Luhn fails
    f"order {MAESTRO12}",  # 12 digits without a card word
    f"card {MC2}1",  # 17 digits: not Luhn-valid any more
    "card 0000 0000 0000 0000",
    f"card {card('4111', 20)}",  # 20 digits
    "card 4111 1111 111",  # 11 digits
    f"ref A-{MC2}",
    f"v{MC2}",
    f"card {MC2[:8]}.{MC2[8:]}",
    "tel. +48 601 234 567",
    "2026-11-29 10:30",
    "cena 1 299,99 zł",
    f"EAN {UATP15[:13]}",
    f"IMEI: {UATP15}",
]


test_finds, test_rejects, test_prefilter_accepts_every_match = table_tests(
    PaymentCardRecognizer, MATCHING, NOT_MATCHING
)


@pytest.mark.parametrize("number, valid", [("79927398713", True), ("79927398710", False), ("4111111111111111", True)])
def test_luhn(number, valid):
    assert luhn_valid(number) is valid
