"""EMAIL_ADDRESS under any domain: the addresses Presidio's public-suffix check lets through."""

from __future__ import annotations

from pipeline.recognizers.email_any_domain import SCORE, AnyDomainEmailRecognizer
from tests.support.recognizers import table_tests

MATCHING = [
    # text, value
    ("write to jan@firma.local", "jan@firma.local"),
    ("ops@intranet.corp is the team", "ops@intranet.corp"),
    ("anna.kowalska@mail.example.internal.", "anna.kowalska@mail.example.internal"),
    ("mój mail: marek+chat@poczta.lan", "marek+chat@poczta.lan"),
    ("(admin@host-1.lab)", "admin@host-1.lab"),
    ("JAN_NOWAK@FIRMA.PL", "JAN_NOWAK@FIRMA.PL"),
    ("contact: anna@example.com, thanks", "anna@example.com"),
    ("zażółć@gęś.pl", "zażółć@gęś.pl"),
    ("a@b.co", "a@b.co"),
]

NOT_MATCHING = [
    "@anna thanks!",  # a mention, no address
    "anna@localhost",  # no dot in the domain
    "meet @ 10.30",
    "x@y.1",  # the last label is not letters
    "user@192.168.0.1",  # an IP literal, found by the IP recognizer
    "foo@bar",
    "price 5@12.99",
    "kod ZYW-4821-KX",
    "PROMO2026",
    "iPhone 15 Pro",
    "cena 12,99 zł",
    "2026-11-29",
]


test_finds, test_rejects, test_prefilter_accepts_every_match = table_tests(
    AnyDomainEmailRecognizer, MATCHING, NOT_MATCHING, min_score=SCORE
)
