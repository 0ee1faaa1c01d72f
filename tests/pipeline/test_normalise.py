"""Normalisation: what detection sees, and that every span maps back to what was typed."""

from __future__ import annotations

import pytest

from pipeline.normalise import join_digit_runs, normalise


def view(text: str) -> str:
    n = normalise(text)
    joined = join_digit_runs(n)
    return (joined or n).text


@pytest.mark.parametrize(
    "typed, seen",
    [
        ("anna dot kowalska at wp dot pl", "anna.kowalska@wp.pl"),
        ("write to anna(at)wp(dot)pl please", "write to anna@wp.pl please"),
        ("anna [at] example [dot] com", "anna@example.com"),
        ("anna małpa wp kropka pl", "anna@wp.pl"),
        ("tel ６０１２３４５６７", "tel 601234567"),
        ("call 6 0 1 2 3 4 5 6 7 now", "call 601234567 now"),
        ("601.234.567", "601234567"),
        ("601-234-567", "601234567"),
        ("e.michalak @ wp.pl", "e.michalak@wp.pl"),
        ("4569  9362  2094  8061", "4569936220948061"),
        ("4213 / 2014 / 7266 / 9570", "4213201472669570"),
        ("a\u200bnna@wp.pl", "anna@wp.pl"),
        ("so\u00adft hyphen", "soft hyphen"),
        ("\u0430nna@wp.pl", "anna@wp.pl"),  # Cyrillic a
        ("ｊｏｈｎ＠ｅｘａｍｐｌｅ．ｃｏｍ", "john@example.com"),
        ("PL61 1090 1014 0000 0712 1981 2874", "PL61109010140000071219812874"),
    ],
)
def test_evasions_are_undone(typed, seen):
    assert view(typed) == seen


@pytest.mark.parametrize(
    "text",
    [
        "What time do you open tomorrow?",
        "Is the 0.5 l bottle still 3.99 PLN?",
        "meet me at the office at 10:30",
        "I am at home dot",
        "order 58213, 2 pieces",
        "code ZYW-4821-KX",
        "Zażółć gęślą jaźń",
        "my ip is 192.168.1.12",
        "born 12.03.1985",
    ],
)
def test_ordinary_text_is_left_as_it_is(text):
    assert view(text) == text


@pytest.mark.parametrize(
    "typed, value, original",
    [
        ("mail me: anna dot kowalska at wp dot pl ok", "anna.kowalska@wp.pl", "anna dot kowalska at wp dot pl"),
        ("tel ６０１ ２３４ ５６７!", "601234567", "６０１ ２３４ ５６７"),
        ("x a\u200bnna@wp.pl y", "anna@wp.pl", "a\u200bnna@wp.pl"),
        ("nr 6 0 1 2 3 4 5 6 7.", "601234567", "6 0 1 2 3 4 5 6 7"),
    ],
)
def test_spans_map_back_to_exactly_what_was_typed(typed, value, original):
    n = join_digit_runs(normalise(typed)) or normalise(typed)
    start = n.text.index(value)
    o_start, o_end = n.to_original(start, start + len(value))
    assert typed[o_start:o_end] == original


def test_identity_map_for_plain_ascii():
    n = normalise("call 112 now")
    assert n.starts is None
    assert n.to_original(5, 8) == (5, 8)
