"""Name word lists (pipeline.names): first names of many countries, not chat words; countries;
the English vocabulary read from the spaCy model."""

from __future__ import annotations

import pytest

from pipeline.names import country_names, english_vocabulary, is_demonym, is_first_name, names_a_thing
from pipeline.settings import DEFAULT_MODEL
from pipeline.spacy_model import load_spacy


@pytest.mark.parametrize(
    "word",
    [
        "Keijo",
        "Krisztián",
        "Tomomi",
        "Cornelius",
        "Szabina",
        "Elínborg",
        "Wiesława",
        "Małgorzata",
        "anna",
        "Asya's",
        "Jean-Baptiste",
        "Lars-Erik",
    ],
)
def test_first_names_of_many_countries(word):
    assert is_first_name(word)


@pytest.mark.parametrize(
    "word", ["The", "Princess", "ok", "hi", "you", "jak", "Becker", "Warsaw", "12", "J", "", "Anna-Becker", "-"]
)
def test_not_first_names(word):
    assert not is_first_name(word)


def test_country_names_in_english():
    names = country_names()
    assert {"france", "cyprus", "poland", "germany", "greenland"} <= names
    assert "warsaw" not in names and len(names) > 200


def test_english_vocabulary_from_the_model():
    words = english_vocabulary(load_spacy(DEFAULT_MODEL))
    assert {"wisdom", "discipline", "salesperson", "street"} <= words
    assert "kastner" not in words and len(words) > 50_000


def test_english_vocabulary_is_empty_without_a_lemmatizer():
    assert english_vocabulary(load_spacy(DEFAULT_MODEL, components=("ner",))) == frozenset()


@pytest.mark.parametrize(
    "text, value, thing",
    [
        ("The Princess Royal arrived", "The Princess Royal", True),
        ("I work for Walker Greenbank plc", "Walker Greenbank", True),
        ("Nemesvámos bridge is falling down", "Nemesvámos", True),
        ("Thomas & Sons", "Thomas", True),
        ("Meiho HoldingsInc", "Meiho HoldingsInc", True),
        ("Fjord AS", "Fjord", True),
        ("San Girolamo", "San Girolamo", True),
        ("We went to Halldórtown", "Halldórtown", True),
        ("Bharat Financial", "Bharat Financial", True),
        ("I want to add Keijo Hänninen as a beneficiary", "Keijo Hänninen", False),
        ("Anna Co-owner", "Anna", False),
        ("call Maria so we know", "Maria", False),
        ("Coden is a design agency based in Espoo.", "Coden", True),
        ("Standard And Poors is a design agency", "Poors", True),
        ("Lopez, Santos and Coleman is an investment bank.", "Lopez", True),
        ("Anna is a bank teller", "Anna", False),
        ("Anna is a member of the club.", "Anna", False),
        ("Anna is an agency nurse", "Anna", False),
    ],
)
def test_names_a_thing(text, value, thing):
    assert names_a_thing(text, value, text.index(value)) is thing


@pytest.mark.parametrize(
    "word, nationality",
    [
        ("Greenlander", True),
        ("Brazilian", True),
        ("Canadian", True),
        ("Kenyans", True),
        ("Pakistani", True),
        ("Japanese", True),
        ("Icelander", True),
        ("Malin", False),
        ("Perun", False),
        ("Chinn", False),
        ("Cyprian", False),
        ("Jordan", False),
        ("Frances", False),
    ],
)
def test_is_demonym(word, nationality):
    assert is_demonym(word) is nationality
