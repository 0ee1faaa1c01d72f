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
