"""IBAN_CODE: IBAN of any country, compact or in fours, and the Polish NRB without "PL"."""

from __future__ import annotations

import pytest

from pipeline.recognizers.iban import IbanRecognizer
from tests.pipeline.recognizers.synthetic import bump, grouped, iban, in_fours, nrb
from tests.support.recognizers import found, table_tests

DE = iban("DE", "123456780123456789")
GB = iban("GB", "ABCD12345612345678")
FR = iban("FR", "3000600001123456789018A")
PL_NRB = nrb("124000001234567890123456")
PL = "PL" + PL_NRB
NRB_GROUPED = grouped(PL_NRB, [2, 4, 4, 4, 4, 4])

MATCHING = [
    (f"IBAN {DE}", DE),
    (f"IBAN: {in_fours(DE)}", in_fours(DE)),
    (f"my IBAN is {in_fours(GB)}, thanks", in_fours(GB)),
    (f"konto {PL.lower()}", PL.lower()),
    (f"przelew na {in_fours(PL)} ok", in_fours(PL)),
    (f"{in_fours(DE)} and that's it", in_fours(DE)),
    (f"{in_fours(FR)} merci", in_fours(FR)),
    (f"nr konta {PL_NRB}", PL_NRB),
    (f"nr konta: {NRB_GROUPED}.", NRB_GROUPED),
    (f"konto {NRB_GROUPED.replace(' ', '-')}", NRB_GROUPED.replace(" ", "-")),
    (f"({GB})", GB),
    # Groups split by dashes or slashes.
    ("IBAN DE89/3704/0044/0532/0130/00", "DE89/3704/0044/0532/0130/00"),
    ("PL61-1090-1014-0000-0712-1981-2874", "PL61-1090-1014-0000-0712-1981-2874"),
    ("PL61/1090/1014/0000/0712/1981/2874", "PL61/1090/1014/0000/0712/1981/2874"),
    (f"IBAN {in_fours(GB).replace(' ', '-')} ok", in_fours(GB).replace(" ", "-")),
    (f"konto {NRB_GROUPED.replace(' ', '/')}", NRB_GROUPED.replace(" ", "/")),
    (f"{in_fours(DE).replace(' ', '/')}/ok", in_fours(DE).replace(" ", "/")),
    ("IBAN DE89/3704-0044/0532-0130/00", "DE89/3704-0044/0532-0130/00"),
]

NOT_MATCHING = [
    f"IBAN {bump(DE)}",
    f"IBAN {in_fours(bump(GB, 9))}",
    f"konto {bump(PL_NRB)}",
    f"konto {grouped(bump(PL_NRB, 5), [2, 4, 4, 4, 4, 4])}",
    f"konto {PL_NRB[:-1]}",  # 25 digits
    f"konto PL{bump(PL_NRB, 0)}",
    "IBAN DE89 3704",  # too short
    f"IBAN {in_fours(bump(DE)).replace(' ', '/')}",
    f"IBAN {in_fours(bump(GB, 9)).replace(' ', '-')}",
    "ZAM/2026/09/5495",
    "2026/11/29",
    # Mod 97 holds, but no country has this code or this length: voucher codes, not accounts.
    "codes from the caps: VW16-JV84 ZDTG-ZKFT VL45-XA68 none of them work",
    f"code {in_fours(iban('XY', '12345678901234'))}",
    f"IBAN {iban('DE', '1234567801234567')}",  # 20 characters, a German IBAN has 22
    f"IBAN {in_fours(iban('PL', '1240000012345678901234567'))}",  # 29, a Polish one has 28
    "card 4111 1111 1111 1111",
    "Call me at +48 601 234 567",
    "kod ZYW-4821-KX",
    "PROMO2026",
    "o 10:30",
    "cena 12,99 zł",
    "2026-11-29",
    "iPhone 15 Pro",
    "00-950 Warszawa",
]


@pytest.fixture(scope="module")
def recognizer() -> IbanRecognizer:
    return IbanRecognizer()


test_finds, test_rejects, test_prefilter_accepts_every_match = table_tests(
    IbanRecognizer, MATCHING, NOT_MATCHING, score=1.0
)


def test_two_accounts(recognizer):
    text = f"{in_fours(DE)} or {PL_NRB}"
    assert [v for _, v, _ in found(recognizer, text)] == [in_fours(DE), PL_NRB]
