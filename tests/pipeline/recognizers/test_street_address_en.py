"""STREET_ADDRESS (English): number + street + suffix (+ direction, unit, state/ZIP, UK postcode)."""

from __future__ import annotations

from pipeline.recognizers.street_address_en import SCORE_DETAILED, SCORE_STREET, EnStreetAddressRecognizer
from tests.support.recognizers import table_tests

MATCHING = [
    # text, value, score
    ("221B Baker Street", "221B Baker Street", SCORE_STREET),
    (
        "1600 Pennsylvania Ave NW, Washington, DC 20500",
        "1600 Pennsylvania Ave NW, Washington, DC 20500",
        SCORE_DETAILED,
    ),
    ("it's 12 Oak St. Apt 4 thanks", "12 Oak St. Apt 4", SCORE_DETAILED),
    ("45 High Road, London SW1A 1AA", "45 High Road, London SW1A 1AA", SCORE_DETAILED),
    ("send it to 9 elm grove, flat 2", "9 elm grove, flat 2", SCORE_DETAILED + 0.15),
    ("i live at 42 maple drive", "42 maple drive", SCORE_STREET + 0.15),
    ("350 5th Avenue, New York, NY 10118", "350 5th Avenue, New York, NY 10118", SCORE_DETAILED),
    ("office: 12-14 Mill Lane", "12-14 Mill Lane", SCORE_STREET),
    ("77 Martin Luther King Jr Blvd #5", "77 Martin Luther King Jr Blvd #5", SCORE_DETAILED),
    ("10 downing st", "10 downing st", SCORE_STREET),
    ("3 Abbey Road NW8 9AY", "3 Abbey Road NW8 9AY", SCORE_DETAILED),
    (
        "my new address is 523 Willow Close, Springfield, IL 62704",
        "523 Willow Close, Springfield, IL 62704",
        SCORE_DETAILED + 0.15,
    ),
    (
        "send to 490 King Close #38, Springfield, IL 62704 pls",
        "490 King Close #38, Springfield, IL 62704",
        SCORE_DETAILED,
    ),
    ("580 Maple Close\nBristol\nBS6 2WF. Thanks", "580 Maple Close\nBristol\nBS6 2WF", SCORE_DETAILED),
]

NOT_MATCHING = [
    "3 kids on the way",
    "a 2 minute drive",
    "we have 2 different ways",
    "1st place",
    "in 5 days",
    "it is a 5 minute walk",
    "we were 3 in a row",
    "2 very close",
    "Dr. Smith at 10:30",
    "Baker Street",  # no number
    "order 12345 placed",
    "wizyta o 12 u dr Nowak",
    "mam 2 konta na wp.pl",
    "kod ZYW-4821-KX",
    "PROMO2026",
    "cena 12,99 zł",
    "2026-11-29",
    "iPhone 15 Pro",
    "00-950 Warszawa",
]


test_finds, test_rejects, test_prefilter_accepts_every_match = table_tests(
    EnStreetAddressRecognizer, MATCHING, NOT_MATCHING
)
