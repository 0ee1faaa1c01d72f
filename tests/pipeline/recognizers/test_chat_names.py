"""PERSON from chat phrasing: the span is the name only; weak cues need a real-looking name."""

from __future__ import annotations

import pytest

from pipeline.recognizers._first_names import FIRST_NAMES
from pipeline.recognizers.chat_names import SCORE_SIGNED, SCORE_STRONG, SCORE_WEAK, STOP_WORDS, ChatNameRecognizer
from tests.support.recognizers import found, table_tests

MATCHING = [
    # text, name, score
    ("my name is anna kowalska", "anna kowalska", SCORE_STRONG),
    ("Hi, my name's John", "John", SCORE_STRONG),
    ("My full name is Zbigniew Brzęczyszczykiewicz-Nowak.", "Zbigniew Brzęczyszczykiewicz-Nowak", SCORE_STRONG),
    ("name: Jan O'Brien", "Jan O'Brien", SCORE_STRONG),
    ("What's your last name? Halvorsen", "Halvorsen", SCORE_STRONG),
    ("Born 1990. Her maiden name is Økland", "Økland", SCORE_STRONG),
    ("his family name is Tanaka-Ruiz", "Tanaka-Ruiz", SCORE_STRONG),
    ("I'm Piotr Nowak, I ordered a phone", "Piotr Nowak", SCORE_WEAK),
    ("i am piotr and i need help", "piotr", SCORE_WEAK),
    ("i’m anna", "anna", SCORE_WEAK),
    ("I'm Zbyszko", "Zbyszko", SCORE_WEAK),
    ("this is John from accounting", "John", SCORE_WEAK),
    ("it's Anna here", "Anna", SCORE_WEAK),
    ("call me Kasia", "Kasia", SCORE_WEAK),
    ("nazywam się Anna Kowalska i mam problem", "Anna Kowalska", SCORE_STRONG),
    ("nazywam sie lukasz wisniewski", "lukasz wisniewski", SCORE_STRONG),
    ("mam na imię kasia", "kasia", SCORE_STRONG),
    ("jestem Piotr Nowak", "Piotr Nowak", SCORE_WEAK),
    ("jestem ola kowalczyk", "ola kowalczyk", SCORE_WEAK),
    ("Dzień dobry, Anna Kowalska z tej strony", "Anna Kowalska", SCORE_WEAK),
    ("dzien dobry anna nowak z tej strony", "anna nowak", SCORE_WEAK),
    ("z tej strony Piotr", "Piotr", SCORE_WEAK),
    ("tu Kasia, mam pytanie", "Kasia", SCORE_WEAK),
    ("podpisano: Jan Kowalski", "Jan Kowalski", SCORE_SIGNED),
    ("Regards, John Smith", "John Smith", SCORE_WEAK),
    ("pozdrawiam, Anna Nowak", "Anna Nowak", SCORE_WEAK),
    ("pozdrawiam\nanna", "anna", SCORE_WEAK),
    ("thanks for the help\n-- Anna", "Anna", SCORE_WEAK),
    ("this is John's phone", "John", SCORE_WEAK),
    ("HI I'M ANNA KOWALSKA", "ANNA KOWALSKA", SCORE_WEAK),  # surname by its ending
    ("MY NAME IS ZBYSZKO KOWALSKI", "ZBYSZKO KOWALSKI", SCORE_STRONG),
]

NOT_MATCHING = [
    "What's your last name? I forgot it",
    "the last name field is empty",
    "I'm fine, thanks",
    "I'm Sorry for the delay",
    "i'm happy with it",
    "i'm looking for a phone",
    "I am sure",
    "I'm Polish",
    "jestem zmęczony",
    "jestem w domu",
    "this is great",
    "call me tomorrow",
    "call me at 601 234 567",
    "tu jest problem",
    "tu Warszawa",
    "my name is not important",
    "it's ok here",
    "thanks for the help",
    "Best Buy has it",
    "I'M FURIOUS",
    "kod ZYW-4821-KX",
    "PROMO2026",
    "o 10:30",
    "cena 12,99 zł",
    "2026-11-29",
    "iPhone 15 Pro",
    "00-950 Warszawa",
]


@pytest.fixture(scope="module")
def recognizer() -> ChatNameRecognizer:
    return ChatNameRecognizer()


test_finds, test_rejects, test_prefilter_accepts_every_match = table_tests(ChatNameRecognizer, MATCHING, NOT_MATCHING)


def test_first_name_list_is_lower_case_and_sizeable():
    assert len(FIRST_NAMES) >= 300
    assert all(n == n.lower() for n in FIRST_NAMES)
    assert {"anna", "kasia", "piotr", "john", "łukasz"} <= FIRST_NAMES
    assert {"sam", "christian"} == FIRST_NAMES & STOP_WORDS  # names and words: see _is_stop


def test_capitalised_first_name_beats_the_stop_list(recognizer):
    assert found(recognizer, "I'm Sam") == [("PERSON", "Sam", SCORE_WEAK)]
    assert found(recognizer, "jestem sam w domu") == []


@pytest.mark.parametrize(
    "text, names",
    [
        ("Thanks. Next question: do you ship to Poland?", []),
        ("Thanks. Do you ship?", []),
        ("thanks John, see you", ["John"]),
        ("Regards, Zbyszko", ["Zbyszko"]),
        ("Regards,\nZbyszko Kowalski\nCEO", ["Zbyszko Kowalski"]),
        ("-- Sent from my phone", []),
        ("-- Zbyszko", ["Zbyszko"]),
        ("Cheers, Mate", []),
    ],
)
def test_sign_offs(recognizer, text, names):
    assert [v for _, v, _ in found(recognizer, text)] == names


@pytest.mark.parametrize(
    "text, names",
    [
        ("i am thomas edwards, address ul. Długa 5", ["thomas edwards"]),
        ("hello this is charlotte robinson my email is x@example.com", ["charlotte robinson"]),
        ("i'm anna nice to meet you", ["anna"]),
        ("Please charge my card, name on card Maria Wysocka", ["Maria Wysocka"]),
        ("refund please, name matthew griffiths, nip 123", ["matthew griffiths"]),
        ("nr konta do zwrotu 12 3456 właściciel Tomasz Wójcik", ["Tomasz Wójcik"]),
        ("dane do kontaktu katarzyna sikora tel 606987974", ["katarzyna sikora"]),
        ("Dane: Andrzej Krawczyk, tel 602", ["Andrzej Krawczyk"]),
        ("Can you transfer me to Daniel Thompson? Thanks", ["Daniel Thompson"]),
        ("can I speak to a manager", []),
        ("talk to you later", []),
        ("winner matthew griffiths, email x", ["matthew griffiths"]),
        ("dane osobowe", []),
        ("the name of the product", []),
        ("thanks so much best samuel robinson", ["samuel robinson"]),
        ("🎉 Thanks so much! Best, jessica thompson 😅", ["jessica thompson"]),
        ("pozdrawiam michael edwards", ["michael edwards"]),
        ("Best Buy has it", []),
    ],
)
def test_more_cues(recognizer, text, names):
    assert [v for _, v, _ in found(recognizer, text)] == names


@pytest.mark.parametrize(
    "text",
    [
        "Thanks, I'll wait",
        "thanks, will do",
        "thanks, got it",
        "cheers, see you soon",
        "thanks, have a nice day",
        "dzięki, do jutra",
        "Pozdrawiam serdecznie",
        "thanks for the quick reply",
        "Thanks, that works",
        "thanks, no worries",
        "ok thanks bye",
        "Thanks again guys",
        "thanks heaps",
        "Best regards",
        "-- \nsent from my phone",
    ],
)
def test_sign_offs_without_names(recognizer, text):
    assert found(recognizer, text) == []


def test_plain_words_closing_a_sign_off(recognizer):
    assert found(recognizer, "Thanks so much! Best, grace griffiths") == [("PERSON", "grace griffiths", SCORE_WEAK)]
    assert found(recognizer, "pozdrawiam, pawel zielinski") == [("PERSON", "pawel zielinski", SCORE_WEAK)]
