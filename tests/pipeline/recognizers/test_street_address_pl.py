"""STREET_ADDRESS (Polish): street + number (+ flat) (+ postcode + city); postcode + city."""

from __future__ import annotations

from pipeline.recognizers.street_address_pl import (
    SCORE_FULL,
    SCORE_POSTCODE_CITY,
    SCORE_STREET,
    PlStreetAddressRecognizer,
)
from tests.support.recognizers import table_tests

MATCHING = [
    # text, value, score
    ("ul. Marszałkowska 12/4, 00-950 Warszawa", "ul. Marszałkowska 12/4, 00-950 Warszawa", SCORE_FULL),
    ("wyślijcie na al. Jerozolimskie 100 proszę", "al. Jerozolimskie 100", SCORE_STREET),
    ("os. Tysiąclecia 5 m. 7, 3 piętro", "os. Tysiąclecia 5 m. 7", SCORE_STREET),
    ("spotkajmy się pl. Bohaterów Getta 5 o 10", "pl. Bohaterów Getta 5", SCORE_STREET),
    ("al. 29 Listopada 12 lok 4", "al. 29 Listopada 12 lok 4", SCORE_STREET),
    ("pl. Grunwaldzki 3", "pl. Grunwaldzki 3", SCORE_STREET),
    ("ulica Długa 5", "ulica Długa 5", SCORE_STREET),
    ("ul. długa 5a", "ul. długa 5a", SCORE_STREET),
    ("ul. 3 Maja 5 lok. 3", "ul. 3 Maja 5 lok. 3", SCORE_STREET),
    ("ul. Jana Pawła II 3/12", "ul. Jana Pawła II 3/12", SCORE_STREET),
    ("ul. gen. Bema 4, 60-123 poznań. dzięki", "ul. gen. Bema 4, 60-123 poznań", SCORE_FULL),
    ("ul.Słoneczna 7 65-001 Zielona Góra", "ul.Słoneczna 7 65-001 Zielona Góra", SCORE_FULL),
    ("kod 43-300 Bielsko-Biała", "43-300 Bielsko-Biała", SCORE_POSTCODE_CITY),
    ("00-950 Warszawa", "00-950 Warszawa", SCORE_POSTCODE_CITY),
    ("mój adres: ul. Polna 1", "ul. Polna 1", SCORE_STREET + 0.15),
    ("na 03-205 Warszawa, pl. Wolności 143 m 53 po 11:45", "03-205 Warszawa, pl. Wolności 143 m 53", SCORE_FULL),
    ("ulica krótka 39/8, radom 57-315", "ulica krótka 39/8, radom 57-315", SCORE_FULL),
    ("Wygrałam! Mostowa 104C, 44-333 Radom, dzięki", "Mostowa 104C, 44-333 Radom", SCORE_FULL),
    ("ul. Długa 5 i 10-150 zł", "ul. Długa 5", SCORE_STREET),  # a range is no postcode
    ("dane: leśna 12 m 72, 94-622 katowice", "leśna 12 m 72, 94-622 katowice", 0.75),
    ("na adres brzozowa 86b/18, 70-193 warszawa", "brzozowa 86b/18, 70-193 warszawa", 0.75 + 0.15),
    ("Armii Krajowej 7\n00-950 Warszawa", "Armii Krajowej 7\n00-950 Warszawa", SCORE_FULL),
]

NOT_MATCHING = [
    "ul. Długa",  # no house number
    "00-950",  # postcode alone
    "za 10-150 zł",  # a range, not a postcode
    "przyjdzie 10-150 osób",
    "please call 5 times",
    "plan 5 etapów",
    "also 12 more",
    "mail anna@wp.pl lub tel 5",
    "za 2 10-150 zł",
    "mam 2, 10-150 osób",
    "kupiłem 3, 12-100 sztuk",
    "kod ZYW-4821-KX",
    "PROMO2026",
    "o 10:30",
    "cena 12,99 zł",
    "2026-11-29",
    "iPhone 15 Pro",
]


test_finds, test_rejects, test_prefilter_accepts_every_match = table_tests(
    PlStreetAddressRecognizer, MATCHING, NOT_MATCHING
)
