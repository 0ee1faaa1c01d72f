"""The recognizer set as a whole: construction, languages, cost on long input, the base helpers
(each recognizer's own contract: test_contract.py)."""

from __future__ import annotations

import re
import time

import pytest
from presidio_analyzer import Pattern

from pipeline.recognizers import chatguard_recognizers

EXPECTED = {
    "PlPeselRecognizer": "PL_PESEL",
    "PlNipRecognizer": "PL_NIP",
    "PlRegonRecognizer": "PL_REGON",
    "PlIdCardRecognizer": "PL_ID_CARD",
    "PlPhoneRecognizer": "PHONE_NUMBER",
    "IbanRecognizer": "IBAN_CODE",
    "CryptoBech32Recognizer": "CRYPTO",
    "PlStreetAddressRecognizer": "STREET_ADDRESS",
    "EnStreetAddressRecognizer": "STREET_ADDRESS",
    "UrlQueryRecognizer": "URL_PII",
    "ChatNameRecognizer": "PERSON",
    "AnyDomainEmailRecognizer": "EMAIL_ADDRESS",
    "IntlStreetAddressRecognizer": "STREET_ADDRESS",
    "PaymentCardRecognizer": "CREDIT_CARD",
    "ContextPhoneRecognizer": "PHONE_NUMBER",
}


def test_one_recognizer_per_entity_file():
    recognizers = chatguard_recognizers()
    listed = {type(r).__name__: r.supported_entities for r in recognizers}
    assert {k: [v] for k, v in EXPECTED.items()}.items() <= listed.items()
    assert len({r.name for r in recognizers}) == len(recognizers)
    assert len({type(r).__module__ for r in recognizers}) == len(recognizers)


@pytest.mark.parametrize("language", ["en", "pl"])
def test_language_is_passed_on(language):
    assert {r.supported_language for r in chatguard_recognizers(language)} == {language}


LONG_INPUTS = {
    "digits": "1" * 20000,
    "spaced digits": "1 " * 10000,
    "dashed digits": "12-" * 7000,
    "letters": "a" * 20000,
    "words": "anna " * 4000,
    "street keywords": "ul. długa " * 2000,
    "numbered words": "12 oak " * 3000,
    "street suffixes": "12 oak st " * 2000,
    "query": "https://a.b/" + "?a=b&" * 4000,
    "dots": "a." * 10000,
    "hyphens": "a-" * 10000,
    "iban groups": "PL12 " + "ABCD " * 4000,
    "name cues": "i'm anna " * 2000,
    "backward cue": "Anna Anna Anna z tej " * 1000,
    "dashes": "-- " * 7000,
    "postcodes": "00-950 Warszawa Warszawa " * 800,
}


@pytest.mark.parametrize("name", list(LONG_INPUTS))
def test_long_adversarial_input_stays_fast(name):
    """No pattern backtracks badly: 20,000 characters take well under a second for the whole set."""
    text = LONG_INPUTS[name]
    started = time.perf_counter()
    for recognizer in chatguard_recognizers():
        recognizer.analyze(text, entities=None, nlp_artifacts=None)
    assert time.perf_counter() - started < 1.0


def test_custom_patterns_switch_the_prefilter_off():
    from pipeline.recognizers.pl_pesel import PlPeselRecognizer

    custom = PlPeselRecognizer(patterns=[Pattern("any 11", r"\b\d{11}\b", 0.5)])
    assert custom.PREFILTER is None and PlPeselRecognizer.PREFILTER is not None


@pytest.mark.parametrize("word", ["name", "this is", "właściciel", "Street", "ok.", "ſtreet"])
def test_ci_matches_what_ignorecase_matches(word):
    from pipeline.recognizers._base import ci

    fast = re.compile(ci(word))
    slow = re.compile(re.escape(word).replace(r"\ ", r"[ \t]+"), re.IGNORECASE)
    variants = {
        word,
        word.upper(),
        word.lower(),
        word.title(),
        word.swapcase(),
        word.replace("s", "ſ"),
        word.replace("i", "İ"),
    }
    for variant in variants:
        assert bool(fast.fullmatch(variant)) == bool(slow.fullmatch(variant)), variant


def test_context_words_short_whole_long_as_stems():
    from pipeline.recognizers._base import context_regex

    regex = context_regex(["tel", "telefon", "nr konta"])
    assert regex.search("mój telefonu nie ma")  # a stem: Polish inflection
    assert regex.search("tel: 601") and regex.search("TEL.601")
    assert not regex.search("telewizja")  # "tel" is whole-word only
    assert regex.search("nr  konta 123")
    assert not regex.search("hotel")
