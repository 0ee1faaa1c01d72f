"""URL_PII: whole URLs whose query or fragment carries personal data."""

from __future__ import annotations

from pipeline.recognizers.url_query import SCORE_STRONG, SCORE_WEAK, UrlQueryRecognizer
from tests.support.recognizers import table_tests

MATCHING = [
    # text, value, score
    (
        "reset: https://shop.example.com/reset?email=anna.kowalska%40example.com",
        "https://shop.example.com/reset?email=anna.kowalska%40example.com",
        SCORE_STRONG,
    ),
    ("http://example.com/a?phone=%2B48601234567&x=1", "http://example.com/a?phone=%2B48601234567&x=1", SCORE_STRONG),
    (
        "www.example.pl/form?imie=Anna&nazwisko=Kowalska",
        "www.example.pl/form?imie=Anna&nazwisko=Kowalska",
        SCORE_STRONG,
    ),
    ("example.com/unsubscribe?uid=8f3a2", "example.com/unsubscribe?uid=8f3a2", SCORE_WEAK),
    (
        "https://app.example.com/cb#access_token=abc123&type=bearer",
        "https://app.example.com/cb#access_token=abc123&type=bearer",
        SCORE_STRONG,
    ),
    (
        "https://example.com/?customer_email=x@example.org",
        "https://example.com/?customer_email=x@example.org",
        SCORE_STRONG,
    ),
    ("see https://example.com/track?userEmail=a%40b.co.", "https://example.com/track?userEmail=a%40b.co", SCORE_STRONG),
    ("(https://example.com/p?first_name=Jan)", "https://example.com/p?first_name=Jan", SCORE_STRONG),
    (
        "https://example.com/login?next=/home&login=jkowalski ok",
        "https://example.com/login?next=/home&login=jkowalski",
        SCORE_STRONG,
    ),
    ("https://example.com/x?ref=abc&c=%2B48601234567", "https://example.com/x?ref=abc&c=%2B48601234567", SCORE_STRONG),
    ("HTTPS://EXAMPLE.COM/?E-Mail=A%40B.PL", "HTTPS://EXAMPLE.COM/?E-Mail=A%40B.PL", SCORE_STRONG),
    ("https://example.com/?anna@example.com", "https://example.com/?anna@example.com", SCORE_STRONG),
    ("https://example.com/profile?id=123", "https://example.com/profile?id=123", SCORE_WEAK),
    (
        "link z maila: https://portal.example.pl/profil/jan.kowalski",
        "https://portal.example.pl/profil/jan.kowalski",
        SCORE_STRONG,
    ),
    ("https://example.com/users/jkowalski/orders", "https://example.com/users/jkowalski/orders", SCORE_WEAK),
    ("www.example.com/u/12345", "www.example.com/u/12345", SCORE_WEAK),
    (
        "https://example.com/unsubscribe/anna.kowalska%40example.com",
        "https://example.com/unsubscribe/anna.kowalska%40example.com",
        SCORE_STRONG,
    ),
    (
        "nie działa https://example.pl/pacjent?pesel=00000000000😉",
        "https://example.pl/pacjent?pesel=00000000000",
        SCORE_STRONG,
    ),
]

NOT_MATCHING = [
    "https://example.com/products?page=2&sort=price",
    "https://example.com/search?q=shoes",
    "https://example.com/about",
    "https://example.com/?email=",  # no value
    "https://hotel.example.com/?hotel=5&nights=2",
    "https://example.com/?utm_source=newsletter&utm_medium=email",
    "https://example.com/p?product_id=123",
    "https://example.com/?ts=1700000000",
    "https://example.com/profile/edit",
    "https://example.com/users/settings?tab=privacy",
    "https://example.com/blog/2026/winter-sale",
    "https://example.com/profile",
    "what time? 10:30",
    "anna@example.com",
    "kod ZYW-4821-KX",
    "PROMO2026",
    "iPhone 15 Pro",
    "cena 12,99 zł",
    "2026-11-29",
    "00-950 Warszawa",
]


test_finds, test_rejects, test_prefilter_accepts_every_match = table_tests(UrlQueryRecognizer, MATCHING, NOT_MATCHING)
