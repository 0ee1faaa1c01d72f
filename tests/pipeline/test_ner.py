"""NER rules (pipeline.ner): which of spaCy's entities become findings, as table tests over
hand-made entities (pure logic), and the claim behind skipping NER checked with the real model."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest

from pipeline.evaluation import load_labelled
from pipeline.language import detect_language
from pipeline.names import english_vocabulary
from pipeline.ner import NerRules, worth_running
from pipeline.settings import DEFAULT_MODEL
from pipeline.spacy_model import keep_only, load_spacy

DATA = Path(__file__).resolve().parents[1] / "data"


@dataclass(frozen=True)
class Ent:
    text: str
    label_: str
    start_char: int
    end_char: int


def ents(text: str, *tagged: tuple[str, str]) -> list[Ent]:
    """Entities for ``(value, label)`` pairs, each value found in ``text`` in order."""
    out, position = [], 0
    for value, label in tagged:
        start = text.index(value, position)
        out.append(Ent(value, label, start, start + len(value)))
        position = start + len(value)
    return out


RULES = NerRules(frozenset({"wisdom", "discipline", "brown", "park", "flight", "stats", "salesperson"}))

KEPT = [
    # text, NER's entities, the findings (type, value)
    ("Please forward this to Anna Kowalska", [("Anna Kowalska", "PERSON")], [("PERSON", "Anna Kowalska")]),
    (
        "Trifon M Nekrasov\\n\\n67511 ul",
        [("Trifon M Nekrasov\\n\\n67511", "PERSON")],
        [("PERSON", "Trifon M Nekrasov")],
    ),
    (
        "Please forward this to Cornelius Thornbury today",
        [("Cornelius Thornbury", "ORG")],
        [("PERSON", "Cornelius Thornbury")],
    ),
    ("Bibulat Sultygov\nTreasurer", [("Bibulat Sultygov", "ORG")], [("PERSON", "Bibulat Sultygov")]),
    ("She named him Julian", [("Julian", "NORP")], [("PERSON", "Julian")]),
    (
        "founders: Kónya, Becker and Vasquez.",
        [("Kónya", "GPE"), ("Becker", "ORG"), ("Vasquez", "PERSON")],
        [("PERSON", "Kónya"), ("PERSON", "Becker"), ("PERSON", "Vasquez")],
    ),
    (
        "Park and Mann were precision engineers",
        [("Park", "PERSON"), ("Mann", "PERSON")],
        [("PERSON", "Park"), ("PERSON", "Mann")],
    ),
    ("Thanks, Mr. Brown", [("Brown", "PERSON")], [("PERSON", "Brown")]),
    ("Please ask Smith to call me back", [("Smith", "PERSON")], [("PERSON", "Smith")]),
    ("Adebayo Okonkwo complained about the courier", [("Adebayo Okonkwo", "ORG")], [("PERSON", "Adebayo Okonkwo")]),
    ("The parcel went to Adebayo Okonkwo instead", [("Adebayo Okonkwo", "ORG")], [("PERSON", "Adebayo Okonkwo")]),
    ("Jimin Park is my sister", [("Jimin Park", "PERSON")], [("PERSON", "Jimin Park")]),
    ("Herman Melville ordered the book", [("Herman Melville", "PERSON")], [("PERSON", "Herman Melville")]),
    ("Dear Mark Thompson and team,", [("Mark Thompson", "PERSON")], [("PERSON", "Mark Thompson")]),
    ("Jordan will call you back", [("Jordan", "GPE")], [("PERSON", "Jordan")]),
    ("Jordan was happy to help", [("Jordan", "PERSON")], [("PERSON", "Jordan")]),
    ("Thanks Rosa, what's your order number?", [("Rosa", "PERSON")], [("PERSON", "Rosa")]),
    (
        "My manager, Oluwaseun Adebayo, approved the leave.",
        [("Oluwaseun Adebayo", "PERSON")],
        [("PERSON", "Oluwaseun Adebayo")],
    ),
    ("Please ask Mr Pérez-Reverte to call back.", [("Pérez-Reverte", "ORG")], [("PERSON", "Pérez-Reverte")]),
    (
        "Jean-Baptiste Lefèvre called about the invoice.",
        [("Jean-Baptiste Lefèvre", "ORG")],
        [("PERSON", "Jean-Baptiste Lefèvre")],
    ),
    (
        "Lars-Erik Bjørnstad will sign the contract.",
        [("Lars-Erik Bjørnstad", "PRODUCT")],
        [("PERSON", "Lars-Erik Bjørnstad")],
    ),
    ("ok rosa, noted", [("rosa", "GPE")], [("PERSON", "rosa")]),
    ("John is a bank teller in Leeds", [("John", "PERSON")], [("PERSON", "John")]),
    ("Anna is a member of the club.", [("Anna", "PERSON")], [("PERSON", "Anna")]),
    ("Malin is a nurse at the hospital", [("Malin", "PERSON")], [("PERSON", "Malin")]),
    (
        "Smith, Jones and Brown were there",
        [("Smith", "PERSON"), ("Jones", "PERSON"), ("Brown", "PERSON")],
        [("PERSON", "Smith"), ("PERSON", "Jones"), ("PERSON", "Brown")],
    ),
    ("I work for Anna Kowalska", [("Anna Kowalska", "PERSON")], [("PERSON", "Anna Kowalska")]),
    ("The letter is from Maria", [("Maria", "PERSON")], [("PERSON", "Maria")]),
    ("This song by ex-Zombie Kastner is great", [("Kastner", "ORG")], [("PERSON", "Kastner")]),
    ("best regards samuel robinson", [("samuel robinson", "PERSON")], [("PERSON", "samuel robinson")]),
    (
        "12 Oak St, Springfield\nIllinois",
        [("Springfield", "GPE"), ("Illinois", "GPE")],
        [("STREET_ADDRESS", "Springfield"), ("STREET_ADDRESS", "Illinois")],
    ),
]
DROPPED = [
    # text, NER's entities: nothing of them is a finding
    ("mam kod ZAM/2026", [("ZAM", "PERSON")]),
    ("The Princess Royal arrived", [("The Princess Royal", "PERSON")]),
    ("Russell Investments is an agency", [("Russell Investments", "PERSON")]),
    ("The Davis Orchestra was founded", [("Davis", "PERSON")]),
    ("We moved here from France", [("France", "PERSON")]),
    ("need help asap", [("help asap", "PERSON")]),
    ("ok thanks", [("ok", "PERSON")]),
    ("codes PNCP-XSRA none work", [("PNCP-XSRA", "PERSON")]),
    ("Capitalized words like Wisdom and Discipline", [("Wisdom", "ORG"), ("Discipline", "PERSON")]),
    ("Awarded Salesperson of the Month", [("Salesperson", "PERSON")]),
    ("Do you deliver to Warsaw?", [("Warsaw", "GPE")]),
    ("We moved here from Florence", [("Florence", "GPE")]),
    ("We flew to Jordan last week", [("Jordan", "GPE")]),
    ("Microbilt Corporation is great", [("Microbilt Corporation", "ORG")]),
    ("Looking to support Flightstats in its mission", [("Flightstats", "ORG")]),
    ("I used to work for Paxata as a clerk", [("Paxata", "ORG")]),
    ("kody z kapsli LATO40 B7Y7-B5SM", [("LATO40 B7Y7-B5SM", "FAC")]),
    ("Dell XPS 13 9340 battery drains fast", [("Dell XPS 13 9340", "FAC")]),
    ("Canon EOS R6 Mark II body only?", [("Mark II", "PERSON")]),
    ("Is shipping to Kraków free?", [("Kraków", "PERSON")]),
    ("do you have any stock left", [("any stock", "PERSON")]),
    ("Visa or Mastercard, any fee?", [("Visa", "PERSON"), ("Mastercard", "PERSON")]),
    ("It is at San Bernardino", [("San Bernardino", "PERSON")]),
    ("We moved here from Klirou", [("Klirou", "PERSON")]),
    ("The Princess Royal arrived at Spodnja Idrija this morning", [("Spodnja Idrija", "ORG")]),
    ("My friend lives in Črni Vrh nad Idrijo", [("Črni Vrh", "PERSON")]),
    ("I'm originally from Hafnir", [("Hafnir", "PERSON")]),
    ("I work for Thinknum", [("Thinknum", "PERSON")]),
    ("Thomas and Sons is a bank", [("Thomas", "PERSON")]),
    ("The Davis, Reynolds and Williamson Orchestra was founded", [("Davis", "PERSON"), ("Reynolds", "PERSON")]),
    ("Jones, Smith and Davis Partners is a law firm", [("Jones", "PERSON"), ("Smith", "PERSON"), ("Davis", "PERSON")]),
    ("The Jones, Smith and Davis Orchestra was founded", [("Smith", "PERSON")]),
    ("The AZUMA HOUSE Co.Ltd. Orchestra was founded", [("Orchestra", "PERSON")]),
    ("My friend lives in Akureyri", [("Akureyri", "GPE")]),
    ("Nemesvámos bridge is falling down.", [("Nemesvámos", "GPE")]),
    ("My zip code is 9203 AP", [("AP", "ORG")]),
    ("I used to work for Acme Inc. as Cytotechnologist", [("Cytotechnologist", "ORG")]),
    ("France was super fun to visit!", [("France", "PERSON")]),
    ("I work for Ellis-Ingram", [("Ellis-Ingram", "ORG")]),
    ("During 1971, Valentine-Murray invested heavily", [("Valentine-Murray", "ORG")]),
    ("flying to milan tomorrow", [("milan", "GPE")]),
    ("Greenlander was super fun to visit!", [("Greenlander", "PERSON")]),
    ("Two Brazilians and a Canadian won", [("Canadian", "PERSON")]),
    ("Coden is a design agency based in NAANTALI.", [("Coden", "PERSON")]),
    ("Lopez, Santos and Coleman is a design agency based in ESPOO.", [("Santos", "PERSON"), ("Coleman", "PERSON")]),
    ("Ramsey-Johnson is an Swedish multinational investment bank", [("Ramsey-Johnson", "PERSON")]),
]
OTHER_LANGUAGE = [
    ("Jak długo trwa dostawa do paczkomatu?", [("Jak", "PERSON")], []),
    ("Czy krem do rąk nadal kosztuje 20 zł?", [("Czy krem", "PERSON")], []),
    (
        "Dzień dobry, pisze Keijo Hänninen w sprawie paczki",
        [("Keijo Hänninen", "PERSON")],
        [("PERSON", "Keijo Hänninen")],
    ),
    ("Czy mogę rozmawiać z panem Wójcikiem?", [("panem Wójcikiem", "PERSON")], [("PERSON", "Wójcikiem")]),
    ("Wiśniewski nie odbiera telefonu.", [("Wiśniewski", "PERSON")], [("PERSON", "Wiśniewski")]),
    ("Proszę przekazać to Żanecie Ślązak", [("Żanecie Ślązak", "PERSON")], [("PERSON", "Żanecie Ślązak")]),
]


def _found(text, tagged, addresses=(), english=True):
    return [
        (kind, text[start:end]) for kind, start, end, _ in RULES.findings(text, ents(text, *tagged), addresses, english)
    ]


@pytest.mark.parametrize("text, tagged, expected", KEPT)
def test_kept(text, tagged, expected):
    addresses = [(0, text.index(","))] if text.startswith("12 Oak") else []
    assert sorted(_found(text, tagged, addresses)) == sorted(expected)


@pytest.mark.parametrize("text, tagged", DROPPED)
def test_dropped(text, tagged):
    assert _found(text, tagged) == []


@pytest.mark.parametrize("text, tagged, expected", OTHER_LANGUAGE)
def test_in_another_language_a_person_needs_evidence(text, tagged, expected):
    assert _found(text, tagged, english=False) == expected


@pytest.mark.parametrize(
    "text, english, has_address, expected",
    [
        ("ok thanks", True, False, False),
        ("where is my parcel 12345", True, False, False),
        ("where is my parcel, Anna", True, False, True),  # a capital letter
        ("thanks john", True, False, True),  # a first name
        ("12 oak street springfield", True, True, True),  # an address to continue
        ("czy mogę zwrócić krem", False, False, False),
        ("Czy mogę zwrócić krem", False, False, False),  # one capitalised word
        ("pisze Keijo Hänninen", False, False, True),
        ("12345 !!!", True, False, False),
    ],
)
def test_worth_running(text, english, has_address, expected):
    assert worth_running(text, english, has_address) is expected


@pytest.mark.slow
def test_where_ner_is_skipped_it_would_have_found_nothing():
    """The claim behind the skip, with the real model on text nobody here wrote (the generated
    set) and the chat set: every message ``worth_running`` rules out gives no finding when NER
    runs on it anyway. (Addresses are left out: with one, NER always runs.)"""
    nlp = load_spacy(DEFAULT_MODEL)
    rules = NerRules(english_vocabulary(nlp))
    keep_only(nlp, ("ner",))
    texts = [
        m.text
        for path in ("chat_pii_labelled.jsonl", "presidio_evaluator_generated.jsonl")
        for m in load_labelled(DATA / path)
    ]
    skipped = [
        (t, detect_language(t) == "en") for t in texts if not worth_running(t, detect_language(t) == "en", False)
    ]
    assert len(skipped) > 100, "the sets should hold messages NER can skip"
    found = []
    for (text, english), doc in zip(skipped, nlp.pipe([t for t, _ in skipped], batch_size=256), strict=True):
        findings = rules.findings(text, doc.ents, [], english)
        if findings:
            found.append((text, findings))
    assert found == []


@pytest.mark.slow
@pytest.mark.parametrize(
    "unit",
    ["Kowalski, Becker, Vasquez, Tanaka, ", "Keijo Hänninen said Hello Anna ", "Usamov and ", "ul. Długa 5, "],
)
def test_long_lists_of_names_cost_in_proportion(real_engine, raw_message, unit):
    """Context checks look a bounded way back: four times the text costs about four times
    the time, not sixteen (a ratio of two timings in one run, not a wall-clock limit)."""
    import time

    def seconds(size: int) -> float:
        text = (unit * (size // len(unit) + 1))[:size]
        started = time.perf_counter()
        real_engine.redact_batch([raw_message(text=text)])
        return time.perf_counter() - started

    seconds(2_000)  # warm-up
    small, large = min(seconds(16_000) for _ in range(2)), min(seconds(64_000) for _ in range(2))
    assert large / small < 8, (small, large)
