"""PHONE_NUMBER of any country's shape, when a phone word stands right before or after it."""

from __future__ import annotations

from pipeline.recognizers.phone_with_context import ContextPhoneRecognizer
from tests.support.recognizers import table_tests

MATCHING = [
    ("They're not answering at 444 14 907", "444 14 907"),
    ("You can call 468 6549", "468 6549"),
    ("Phone:\n27-37-49-46", "27-37-49-46"),
    ("(08) 9098 6465 office", "(08) 9098 6465"),
    ("459.199.8177x603 mobile", "459.199.8177x603"),
    ("Mobile: 22 782310", "22 782310"),
    ("Mobile: 66 91 21\nDesk: see below", "66 91 21"),
    ("24 261462-Office", "24 261462"),
    ("I would like to stop receiving messages to (82) 871-235", "(82) 871-235"),
    ("my registered 35 88 32. Could you check", "35 88 32"),
    ("zadzwoń 0499 13 05 85", "0499 13 05 85"),
    ("tel. +41 36 507 52 91", "+41 36 507 52 91"),
]

NOT_MATCHING = [
    "I bought 3 items for 120 000 zl",
    "order 123456 shipped",
    "Zamówienie nr 601 234 567",
    "faktura nr 020 7946 0206",
    "call me at 10:30",
    "phone 12345",  # five digits
    "phone 111 111 111",  # one digit repeated
    "room 4521 889 on the 3rd floor",  # no phone word
    "call 2026-11-29",  # a date, not grouped as a phone
]


test_finds, test_rejects, test_prefilter_accepts_every_match = table_tests(
    ContextPhoneRecognizer, MATCHING, NOT_MATCHING
)
