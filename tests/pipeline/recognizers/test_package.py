"""The recognizer set as a whole: construction, the shared contract, prefilters, cost on long input."""

from __future__ import annotations

import random
import re
import time

import pytest
from presidio_analyzer import Pattern, PatternRecognizer

from pipeline.recognizers import chatguard_recognizers
from tests.pipeline.recognizers import (
    test_chat_names,
    test_crypto_bech32,
    test_email_any_domain,
    test_iban,
    test_pl_id_card,
    test_pl_nip,
    test_pl_pesel,
    test_pl_phone,
    test_pl_regon,
    test_street_address_en,
    test_street_address_pl,
    test_payment_card,
    test_phone_with_context,
    test_street_address_intl,
    test_url_query,
)
from tests.pipeline.recognizers.helpers import found, unfiltered

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
# One English and one Polish context word each recognizer must know.
CONTEXT_WORDS = {
    "PlPeselRecognizer": ("national id", "pesel"),
    "PlNipRecognizer": ("tax id", "nip"),
    "PlRegonRecognizer": ("statistical number", "regon"),
    "PlIdCardRecognizer": ("id card", "dowód"),
    "PlPhoneRecognizer": ("phone", "telefon"),
    "IbanRecognizer": ("account", "konto"),
    "CryptoBech32Recognizer": ("wallet", "portfel"),
    "PlStreetAddressRecognizer": ("address", "adres"),
    "EnStreetAddressRecognizer": ("address", "adres"),
    "UrlQueryRecognizer": ("link", "odnośnik"),
    "ChatNameRecognizer": ("name", "imię"),
    "AnyDomainEmailRecognizer": ("email", "adres"),
    "IntlStreetAddressRecognizer": ("address", "adres"),
    "PaymentCardRecognizer": ("card", "karta"),
}
MODULES = [
    test_pl_pesel, test_pl_nip, test_pl_regon, test_pl_id_card, test_pl_phone, test_iban,
    test_street_address_pl, test_street_address_en, test_url_query, test_chat_names, test_email_any_domain,
    test_crypto_bech32, test_street_address_intl, test_payment_card, test_phone_with_context,
]
ALL_MATCHING = [row[0] for module in MODULES for row in module.MATCHING]
ALL_NOT_MATCHING = [text for module in MODULES for text in module.NOT_MATCHING]


def test_one_recognizer_per_entity_file():
    recognizers = chatguard_recognizers()
    listed = {type(r).__name__: r.supported_entities for r in recognizers}
    assert {k: [v] for k, v in EXPECTED.items()}.items() <= listed.items()
    assert len({r.name for r in recognizers}) == len(recognizers)
    assert len({type(r).__module__ for r in recognizers}) == len(recognizers)


@pytest.mark.parametrize("language", ["en", "pl"])
def test_language_is_passed_on(language):
    assert {r.supported_language for r in chatguard_recognizers(language)} == {language}


@pytest.mark.parametrize("recognizer", chatguard_recognizers(), ids=lambda r: r.name)
def test_class_contract(recognizer):
    cls = type(recognizer)
    assert isinstance(recognizer, PatternRecognizer)
    assert cls.PATTERNS and all(isinstance(p, Pattern) and 0 < p.score <= 1 for p in cls.PATTERNS)
    assert isinstance(cls.PREFILTER, re.Pattern)
    if cls.__name__ in CONTEXT_WORDS:
        english, polish = CONTEXT_WORDS[cls.__name__]
        assert english in cls.CONTEXT and polish in cls.CONTEXT
    for pattern in cls.PATTERNS:
        # Both engines must accept each regex: presidio's `regex` (Pattern validates with it) and `re`.
        re.compile(pattern.regex)


@pytest.mark.parametrize("recognizer", chatguard_recognizers(), ids=lambda r: r.name)
def test_entities_filter_and_no_nlp_artifacts(recognizer):
    for text in ALL_MATCHING:
        assert recognizer.analyze(text, entities=["SOMETHING_ELSE"], nlp_artifacts=None) == []
    hits = [t for t in ALL_MATCHING if recognizer.analyze(t, entities=recognizer.supported_entities, nlp_artifacts=None)]
    assert hits  # each recognizer finds something in the shared tables
    for text in hits:
        results = recognizer.analyze(text, entities=recognizer.supported_entities, nlp_artifacts=None)
        assert results == recognizer.analyze(text, entities=[], nlp_artifacts=None)  # [] means "all"
        for r in results:
            assert 0 <= r.start < r.end <= len(text) and 0 < r.score <= 1


@pytest.mark.parametrize("recognizer", chatguard_recognizers(), ids=lambda r: r.name)
def test_common_non_pii_is_never_found(recognizer):
    for text in ["ZYW-4821-KX", "PROMO2026", "10:30", "12,99 zł", "2026-11-29", "iPhone 15 Pro", "What time do you open tomorrow?"]:
        assert found(recognizer, text) == [], text


def _fuzz_texts(count: int, seed: int = 20261129) -> list[str]:
    rng = random.Random(seed)
    pieces = ALL_MATCHING + ALL_NOT_MATCHING + [
        "hello", "ok", "tel", "ul.", "my name is", "jestem", "?", "#", "=", "@", "%40", "--", "\n",
        "12", "601", "234", "567", "00-950", "PL", "st", "Road", "https://example.com/p?", "email=",
    ]
    texts = []
    for _ in range(count):
        parts = rng.sample(pieces, rng.randint(1, 4))
        texts.append(rng.choice([" ", "", ", ", "\n"]).join(parts))
        # Cut one at random too: prefilters must hold on partial values.
        text = texts[-1]
        if len(text) > 4:
            a, b = sorted(rng.sample(range(len(text) + 1), 2))
            texts.append(text[a:b])
    return texts


@pytest.mark.parametrize("recognizer", chatguard_recognizers(), ids=lambda r: r.name)
def test_prefilters_never_change_results(recognizer):
    """PREFILTER and pattern guards only skip work: with them off, nothing more is found."""
    cls = type(recognizer)
    plain = unfiltered(cls)
    for text in ALL_MATCHING + ALL_NOT_MATCHING + _fuzz_texts(1500):
        expected = found(plain, text)
        assert found(recognizer, text) == expected, text
        if expected:
            assert cls.PREFILTER.search(text), text


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
    variants = {word, word.upper(), word.lower(), word.title(), word.swapcase(), word.replace("s", "ſ"), word.replace("i", "İ")}
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
