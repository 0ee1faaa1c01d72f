"""STREET_ADDRESS (international): street + number in many countries' formats, units, P.O. and
military boxes, and the address block after a street. Every street, city and number here is
made up."""

from __future__ import annotations

import timeit

import pytest

from pipeline.normalise import normalise
from pipeline.recognizers import chatguard_recognizers
from pipeline.recognizers.street_address_intl import (
    CONTEXT_BOOST,
    MAX_SCORE,
    SCORE_BLOCK,
    SCORE_NAME,
    SCORE_STREET,
    SCORE_UNIT,
    IntlStreetAddressRecognizer,
)
from tests.support.recognizers import found, table_tests


def ctx(score: float) -> float:
    """``score`` with an address word nearby."""
    return min(score + CONTEXT_BOOST, MAX_SCORE)


MATCHING = [
    # text, value, score
    # a building number, street + number, unit, then city / region / country + postcode lines
    (
        "Please ship to 4821 Lumikatu 17 Apt. 302\nVarjola\n, KS\n Uruguay 55210",
        "4821 Lumikatu 17 Apt. 302\nVarjola\n, KS\n Uruguay 55210",
        ctx(SCORE_BLOCK),
    ),
    (
        "2210 38 Ermou Street\n Suite 114\n Pelendri\n Cyprus 40127",
        "2210 38 Ermou Street\n Suite 114\n Pelendri\n Cyprus 40127",
        SCORE_BLOCK,
    ),
    (
        "06123 Rózsadomb u. 41.\n Suite 209\n Kisvarsány\n Hungary 30418",
        "06123 Rózsadomb u. 41.\n Suite 209\n Kisvarsány\n Hungary 30418",
        SCORE_BLOCK,
    ),
    (
        "billing: 0457 P.O. Box 318 Apt. 044, Pärnu, Estonia for the refund",
        "0457 P.O. Box 318 Apt. 044, Pärnu, Estonia",
        ctx(SCORE_BLOCK),
    ),
    (
        "> 4471 Rinnekatu 8\n> Apt. 21\n> Lahti\n> Finland 15110",
        "4471 Rinnekatu 8\n> Apt. 21\n> Lahti\n> Finland 15110",
        SCORE_BLOCK,
    ),
    (  # a literal "\n", as in text pasted from JSON
        "Billing:\\n72104 Jaanikatu 5\\n Apt. 12\\n Tartu\\n Estonia 50410",
        "72104 Jaanikatu 5\\n Apt. 12\\n Tartu\\n Estonia 50410",
        ctx(SCORE_BLOCK),
    ),
    (
        "7710 Avenida Paulista 1500\nSão Paulo\nBrazil 01310-100",
        "7710 Avenida Paulista 1500\nSão Paulo\nBrazil 01310-100",
        SCORE_BLOCK,
    ),
    ("1120 57 Karaiskaki Avenue, Limassol, Cyprus", "1120 57 Karaiskaki Avenue, Limassol, Cyprus", SCORE_BLOCK),
    (
        "9016 Trenerys gate 12\nApt. 4\nBergen\nNorway 5003",
        "9016 Trenerys gate 12\nApt. 4\nBergen\nNorway 5003",
        SCORE_BLOCK,
    ),
    ("Ringvej 5 Apt. 3 Odense Denmark", "Ringvej 5 Apt. 3 Odense Denmark", SCORE_BLOCK),
    (
        "send to 43180 treinta y tres 2070\n suite 334\n valentines\n uruguay",
        "43180 treinta y tres 2070\n suite 334\n valentines\n uruguay",
        SCORE_BLOCK,
    ),
    # postcode lines: "NNNN City", Dutch, German with country letter, Canadian
    ("Lindevang 14\n2400 København NV", "Lindevang 14\n2400 København NV", SCORE_BLOCK),
    ("Kerkstraat 12\n1017 GC Amsterdam", "Kerkstraat 12\n1017 GC Amsterdam", SCORE_BLOCK),
    ("Birkenweg 4\nD-79100 Freiburg", "Birkenweg 4\nD-79100 Freiburg", SCORE_BLOCK),
    ("Kirkegata 14\nOslo\nNorway 0153", "Kirkegata 14\nOslo\nNorway 0153", SCORE_BLOCK),
    ("3120 rue Saint-Denis\nMontréal, QC H2X 3K8", "3120 rue Saint-Denis\nMontréal, QC H2X 3K8", SCORE_BLOCK),
    ("Rua das Flores 45, Porto, Portugal", "Rua das Flores 45, Porto, Portugal", SCORE_STREET),
    # a street word: Nordic, Baltic, Iberian, Greek, Czech, Hungarian, Romanian, Italian
    ("Storgatan 12", "Storgatan 12", SCORE_STREET),
    ("Nørregade 5", "Nørregade 5", SCORE_STREET),
    ("Lehtikatu 8", "Lehtikatu 8", SCORE_STREET),
    ("Gata 3", "Gata 3", SCORE_STREET),
    ("Brīvības iela 118", "Brīvības iela 118", SCORE_STREET),
    ("Vilniaus g. 22", "Vilniaus g. 22", SCORE_STREET),
    ("Gedimino pr. 9", "Gedimino pr. 9", SCORE_STREET),
    ("Calle Mayor 5, 3º B", "Calle Mayor 5, 3º B", SCORE_BLOCK),
    ("Calle de Alcalá 120, 2º izq", "Calle de Alcalá 120, 2º izq", SCORE_BLOCK),
    ("Rua Augusta 120", "Rua Augusta 120", SCORE_STREET),
    ("Avenida da Liberdade 245", "Avenida da Liberdade 245", SCORE_STREET),
    ("C/ Alcalá 88", "C/ Alcalá 88", SCORE_STREET),
    ("Odos Ermou 14", "Odos Ermou 14", SCORE_STREET),
    ("Λεωφόρος Κηφισίας 112", "Λεωφόρος Κηφισίας 112", SCORE_STREET),
    ("Na Poříčí 12/345", "Na Poříčí 12/345", SCORE_STREET),
    ("Václavské nám. 7", "Václavské nám. 7", SCORE_STREET),
    ("Wesselényi u. 94.", "Wesselényi u. 94.", SCORE_STREET),
    ("Strada Lipscani Nr. 14", "Strada Lipscani Nr. 14", SCORE_STREET),
    ("Via Garibaldi, 12", "Via Garibaldi, 12", SCORE_STREET),
    ("she lives at Tammelantie 9", "Tammelantie 9", ctx(SCORE_STREET)),
    ("The bus drops you off at 5530 Kuusitie 14 St.", "5530 Kuusitie 14 St.", SCORE_STREET),
    # apartment markers
    ("ul. Polna 7 m. 12", "ul. Polna 7 m. 12", SCORE_BLOCK),
    ("Hauptstraße 5, Wohnung 3", "Hauptstraße 5, Wohnung 3", SCORE_BLOCK),
    ("Kaseke 12, Suite 77", "Kaseke 12, Suite 77", SCORE_BLOCK),
    ("send it to 12 Oak St. Apt 4", "12 Oak St. Apt 4", ctx(SCORE_BLOCK)),
    ("Apt. 355", "Apt. 355", SCORE_UNIT),
    ("it's Suite 680", "Suite 680", SCORE_UNIT),
    # number first
    ("29 rue des Lilas", "29 rue des Lilas", SCORE_STREET),
    ("47, rue de la Paix", "47, rue de la Paix", SCORE_STREET),
    ("137 Avenue Habib Thameur", "137 Avenue Habib Thameur", SCORE_STREET),
    # boxes
    ("P.O. Box 4417", "P.O. Box 4417", SCORE_STREET),
    ("postbox 23", "postbox 23", SCORE_STREET),
    ("PSC 4417, Box 2231\nAPO AE 30211", "PSC 4417, Box 2231\nAPO AE 30211", SCORE_BLOCK),
    ("USNS Hartley\nFPO AP 96612", "USNS Hartley\nFPO AP 96612", SCORE_BLOCK),
    ("Unit 5520 Box 1187\nDPO AA 34021", "Unit 5520 Box 1187\nDPO AA 34021", SCORE_BLOCK),
    # a capitalised name + number, with a lead-in, a building number or "street" after it
    ("he lives on Allika 46", "Allika 46", ctx(SCORE_NAME)),
    ("the shop is on Dalmatinska 17", "Dalmatinska 17", SCORE_NAME),
    ("my address is 20781 Purje 57", "20781 Purje 57", ctx(SCORE_NAME)),
    ("Mia lives on Lipová 12 street.", "Lipová 12", ctx(SCORE_NAME)),
    ("at the corner of Main and 5th", "Main and 5th", SCORE_NAME),
]

# A unit before the building number is a span of its own.
MATCHING_SEVERAL = [
    ("Mrs. Ines Varga Apt. 12 0871 Lindenweg 9\\nBerg SG 9305", ["Apt. 12", "0871 Lindenweg 9\\nBerg SG 9305"]),
    ("Ship one to Storgatan 12 and one to Rua Augusta 120, thanks", ["Storgatan 12", "Rua Augusta 120"]),
]

NOT_MATCHING = [
    # places, numbers, prices, times, dates, references
    "I am in Rohod for a business trip",
    "We moved here from Greenland",
    "do you deliver to Warsaw?",
    "I ordered 3 items",
    "room 12",
    "version 2.4 of the app",
    "10 Downing",
    "the price is 25 EUR",
    "it costs €12,99",
    "see you at 10:30",
    "on 12 March 2024",
    "Article 50 of the Treaty",
    "order 12345",
    "Order #4521 was shipped on Monday 5 May",
    "Bjert 6091",
    "Office 2019",
    "Chapter 12 Section 3",
    "Season 3 Episode 7",
    "Top 10 Tips for 2024",
    "I have 2 kids aged 5 and 7",
    "Formula 1 Grand Prix 2024",
    "2023 Tesla Model 3",
    "Order 5521 Nike Air 90 black",
    "I moved to Android 14 last week",
    "Windows 10, Chrome 120",
    "Apples 12345\nPears 67890",
    # street words in prose
    "a suite of tools",
    "the main street was busy",
    "the corner of my screen has 2 dead pixels",
    "Unit 4 of the course covers recursion",
    "Boarding gate 12",
    "Via email please, 2 copies",
    "Plaza Mayor was crowded on 2 May",
    # a lead-in without a street
    "Meet me at Starbucks 5 minutes",
    "send it to Marketing 2",
    "Ship it to Poland 12 boxes",
    "Our store is at Westfield 2",
    # grouped numbers: cards, IBANs, tax numbers
    "Zapłaciłem kartą 4957 8521 8424 5339",
    "NIP 818 361 74 38",
    "GB63 MIDL 8087 0813 1477 61",
    # Polish chat
    "Na stronie 5 jest błąd",
    "W sklepie Media Markt 3 sztuki",
    "Strona 3/10 nie ładuje się",
    "kod ZYW-4821-KX",
    "PROMO2026",
    "cena 12,99 zł",
    "2026-11-29",
    "iPhone 15 Pro",
    "C/S ADR 144A",
]


@pytest.fixture(scope="module")
def recognizer() -> IntlStreetAddressRecognizer:
    return IntlStreetAddressRecognizer()


test_finds, test_rejects, test_prefilter_accepts_every_match = table_tests(
    IntlStreetAddressRecognizer, MATCHING, NOT_MATCHING
)


@pytest.mark.parametrize("text, values", MATCHING_SEVERAL)
def test_finds_each_address(recognizer, text, values):
    assert [value for _, value, _ in found(recognizer, text)] == values


def test_reads_normalised_greek(recognizer):
    """Detection reads normalised text, where Greek letters that look Latin are Latin."""
    text = normalise("Λεωφόρος Κηφισίας 112").text
    assert [value for _, value, _ in found(recognizer, text)] == [text]


def test_registered():
    assert any(isinstance(r, IntlStreetAddressRecognizer) for r in chatguard_recognizers())


LONG_INPUTS = {
    "street numbers": "Koskikatu 25 ",
    "names and numbers": "Allika 46 ",
    "building numbers": "123 Allika 46 ",
    "lower case": "abc 12 ",
    "spaced digits": "1 ",
    "block lines": "\n> Apt. 5",
    "place lines": "\nOulu 12345",
    "literal newlines": "\\n",
    "units": "Apt. 5 ",
    "number first": "12 rue ",
    "military": "PSC 1234, Box ",
    "corners": "corner of Main and ",
    "mixed": "Rua A 1, B\n",
    "words": "anna ",
}


@pytest.mark.parametrize("name", list(LONG_INPUTS))
def test_64k_adversarial_input_stays_fast(recognizer, name):
    """Linear on long input: 64 KB of a repeated piece take well under a second."""
    piece = LONG_INPUTS[name]
    text = (piece * (65536 // len(piece) + 1))[:65536]
    seconds = min(timeit.repeat(lambda: recognizer.analyze(text, None, None), number=1, repeat=2))
    assert seconds < 1.0
