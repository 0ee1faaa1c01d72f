"""PL_NIP: 10 digits in three spellings, optional PL prefix, mod-11 checksum."""

from __future__ import annotations

from pipeline.recognizers.pl_nip import PlNipRecognizer
from tests.pipeline.recognizers.synthetic import bump, grouped, nip
from tests.support.recognizers import table_tests

N1 = nip("725123456")
N2 = nip("951204337")
N3 = nip("111222333")


def _remainder_ten() -> str:
    weights = (6, 5, 7, 2, 3, 4, 5, 6, 7)
    for n in range(100000000, 100001000):
        body = str(n)
        if sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11 == 10:
            return body + "0"
    raise AssertionError("none found")


MATCHING = [
    (f"NIP: {N1}", N1),
    (f"nip {grouped(N1, [3, 3, 2], '-')}", grouped(N1, [3, 3, 2], "-")),
    (f"NIP {grouped(N2, [3, 2, 2], '-')}.", grouped(N2, [3, 2, 2], "-")),
    (f"VAT ID PL{N2}", f"PL{N2}"),
    (f"vat: pl{N3}", f"pl{N3}"),
    (f"NIP PL {grouped(N3, [3, 3, 2], '-')}", f"PL {grouped(N3, [3, 3, 2], '-')}"),
    (f"faktura na {grouped(N1, [3, 3, 2])} proszę", grouped(N1, [3, 3, 2])),
    (f"({N3})", N3),
    (N2, N2),
    (f"NIP {grouped(N3, [3, 3, 2])} 51-106 Szczecin", grouped(N3, [3, 3, 2])),
    # Dotted, with a NIP word: "123.45.63.218" is also an IPv4 address, so the view with the
    # digits joined leaves it alone.
    ("NIP 123.45.63.218", "123.45.63.218"),
    (f"nip: {grouped(N1, [3, 3, 2], '.')}", grouped(N1, [3, 3, 2], ".")),
    (f"VAT {grouped(N2, [3, 2, 2], '.')}.", grouped(N2, [3, 2, 2], ".")),
]

NOT_MATCHING = [
    f"NIP {bump(N1)}",
    f"NIP {bump(N2, 0)}",
    f"NIP {_remainder_ten()}",  # a remainder of 10 is never issued
    "NIP 0000000000",
    f"NIP {N1}5",  # 11 digits
    f"NIP {N1[:9]}",  # 9 digits
    f"NIP {N1[:3]}-{N1[3:6]} {N1[6:8]}-{N1[8:]}",  # mixed separators
    f"NIP {grouped(N1, [2, 2, 2, 2], '-')}",  # not a NIP grouping
    "server 192.168.10.18",  # an IP address that passes the NIP checksum: dotted needs a NIP word
    f"see {grouped(N1, [3, 3, 2], '.')}",
    f"NIP 1.{grouped(N1, [3, 3, 2], '.')}",  # inside a longer dotted number
    f"NIP {grouped(N1, [3, 3, 2], '.')}.5",
    f"NIP {N1[:3]}.{N1[3:6]}-{N1[6:8]}-{N1[8:]}",  # mixed separators
    "Call me at +48 601 234 567",
    "kod ZYW-4821-KX",
    "PROMO2026",
    "o 10:30",
    "cena 12,99 zł",
    "2026-11-29",
    "iPhone 15 Pro",
    "00-950 Warszawa",
]


test_finds, test_rejects, test_prefilter_accepts_every_match = table_tests(
    PlNipRecognizer, MATCHING, NOT_MATCHING, score=1.0
)
