from __future__ import annotations

import pytest

from pipeline.language import detect_language


@pytest.mark.parametrize(
    "text, language",
    [
        ("What time do you open tomorrow?", "en"),
        ("I won the contest, my name is John", "en"),
        ("Hi, this is Anna", "en"),
        ("Dzień dobry, mam pytanie o zamówienie", "pl"),
        ("nazywam sie anna kowalska", "pl"),
        ("Jestem Piotr z tej strony", "pl"),
        ("wygralem! moj kod to ZYW-4821-KX", "pl"),
        ("Cześć", "pl"),
        ("ok", "en"),
        ("", "en"),
    ],
)
def test_language_table(text, language):
    assert detect_language(text) == language


@pytest.mark.parametrize(
    "text",
    [
        "Ubul: What a wife.\nNicole: Remember me, Mary? When I killed your brother, I talked just like this!",
        "Mr. Pavlović flew to STAXROITH on Monday morning.",
        "Aristóteles spent a year at Jones, Mitchell and Williams as the assistant to Aristóteles Ávalos",
        "I want to add Wisława Szczepańska as a beneficiary to my account",
    ],
)
def test_names_spelled_in_other_languages_leave_english_english(text):
    assert detect_language(text) == "en"


@pytest.mark.parametrize(
    "text",
    [
        "czy mogę zwrócić zestaw garnków bez paragonu",
        "Jak długo trwa dostawa do paczkomatu?",
        "kody z kapsli LATO19 nie dzialaja",
    ],
)
def test_polish_chat_is_polish(text):
    assert detect_language(text) == "pl"
