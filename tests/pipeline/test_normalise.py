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
        ("Please call Μαρία Γεωργίου", "Please call Μαρία Γεωργίου"),  # a Greek name stays Greek
        ("Иван Петров, \u0430nn\u0430", "Иван Петров, anna"),  # only the mixed word is disguise
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


# What the digit recognizers read (the joined view): invisible characters dropped, digits joined
# across any separator, lookalike letters inside a number read as digits.
@pytest.mark.parametrize(
    "typed, seen",
    [
        ("anna\u200e@wp.pl", "anna@wp.pl"),  # left-to-right mark
        ("anna\u200f@wp.pl", "anna@wp.pl"),  # right-to-left mark
        ("anna\u061c@wp.pl", "anna@wp.pl"),  # Arabic letter mark
        ("anna\u202e@wp.pl", "anna@wp.pl"),  # right-to-left override
        ("anna\u2066@wp.pl", "anna@wp.pl"),  # left-to-right isolate
        ("tel 601\u2062234567", "tel 601234567"),  # invisible times
        ("tel 601\U000e0041234567", "tel 601234567"),  # tag character
        ("tel 601\ufe0f234567", "tel 601234567"),  # variation selector 16
        ("tel 601\U000e0100234567", "tel 601234567"),  # variation selector 17
        ("tel 601\u034f234567", "tel 601234567"),  # combining grapheme joiner
        ("tel 601\u115f234\u1160567", "tel 601234567"),  # Hangul choseong / jungseong fillers
        ("card 4111\u31641111\uffa01111 1111", "card 4111111111111111"),  # Hangul (halfwidth) fillers
        ("tel 601 \u200f234 \u200f567", "tel 601234567"),  # invisible next to a separator
        ("call 601_234_567", "call 601234567"),
        ("call 601\u2013234\u2013567", "call 601234567"),  # en dashes
        ("card 4111-1111-1111-1111", "card 4111111111111111"),
        ("call 601.234.567", "call 601234567"),
        ("pesel 440.514.013.59", "pesel 44051401359"),
        ("nip 123.456.32.18", "nip 1234563218"),
        ("pesel 052.115.123.45", "pesel 05211512345"),  # every group <= 255, but leading zeros: no IP
        ("call 60l 234 567", "call 601234567"),
        ("call 6O1 234 567", "call 601234567"),
        ("call 6O1 234 5\u04317", "call 601234567"),  # Cyrillic be for 6
        ("call 5O1234567", "call 501234567"),
        ("card 4111 1111 1111 11l1", "card 4111111111111111"),
        ("card 4111 I111 1111 1111", "card 4111111111111111"),
        ("call 6\u041e1 234 567", "call 601234567"),  # Cyrillic O: folded to O, read as 0
    ],
)
def test_number_evasions_are_undone(typed, seen):
    assert view(typed) == seen


@pytest.mark.parametrize(
    "text",
    [
        "Hello 2",
        "IOl",
        "lol 2026",
        "Is the 0.5 l bottle still 3.99 PLN?",
        "we need 10l 5l 20l of paint",  # units, not a number in disguise
        "1500l 2000l",
        "1O1O1O1O1O1O",  # more letters than a typo
        "Hello 601234567",
        "ZAM/2026/09/5495",
        "2026/11/29",
        "my ip is 192.168.1.12",
        "server 10.0.0.255",
        "born 12.03.1985",
        "Version 2.3.1 is broken",
        "user_id 12_34",
    ],
)
def test_ordinary_numbers_and_words_stay(text):
    assert view(text) == text


def test_emoji_joiners_change_only_the_detection_view():
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467 \u2764\ufe0f call 601234567"
    n = normalise(family)
    assert "\u200d" not in n.text and "\ufe0f" not in n.text
    start = n.text.index("601234567")
    assert n.to_original(start, start + 9) == (family.index("601234567"), len(family))


@pytest.mark.parametrize(
    "typed, value, original",
    [
        ("x anna\u200e@wp.pl y", "anna@wp.pl", "anna\u200e@wp.pl"),
        ("tel 601\u200f234\u200f567!", "601234567", "601\u200f234\u200f567"),
        ("card 4111\U000e0041 1111 1111 1111.", "4111111111111111", "4111\U000e0041 1111 1111 1111"),
        ("tel 601\ufe0f234\u3164567 ok", "601234567", "601\ufe0f234\u3164567"),
        ("tel 60l 234 567 ok", "601234567", "60l 234 567"),
        ("tel 601_234_567 ok", "601234567", "601_234_567"),
        ("pesel 440.514.013.59.", "44051401359", "440.514.013.59"),
    ],
)
def test_evasions_map_back_to_what_was_typed(typed, value, original):
    test_spans_map_back_to_exactly_what_was_typed(typed, value, original)


def test_identity_map_for_plain_ascii():
    n = normalise("call 112 now")
    assert n.starts is None
    assert n.to_original(5, 8) == (5, 8)


@pytest.mark.parametrize(
    "typed, email",
    [
        ("email anna.kowalska%40gmail.com", "anna.kowalska@gmail.com"),
        ("mail: anna.kowalska /at/ gmail /dot/ com", "anna.kowalska@gmail.com"),
    ],
)
def test_url_encoded_and_slashed_emails_are_rewritten(typed, email):
    assert email in normalise(typed).text
