"""The contract every registered recognizer keeps (``pipeline.recognizers.chatguard_recognizers``).

Each recognizer's own test module (``test_<module>.py``) documents it with MATCHING and
NOT_MATCHING tables; here every recognizer is held to the same rules over them: it has a name
and one entity, finds its examples, finds nothing in PII-free text, ignores other entities,
works without NLP artifacts, reports spans inside the text with scores in (0, 1], copes with an
empty and a 100 KB text, and its prefilters never change what it finds.
"""

from __future__ import annotations

import importlib
import random
import re
import time
from types import ModuleType

import pytest
from presidio_analyzer import EntityRecognizer, Pattern, PatternRecognizer

from pipeline.recognizers import chatguard_recognizers
from pipeline.recognizers._base import ChatguardRecognizer
from tests.support.recognizers import found, unfiltered

RECOGNIZERS = chatguard_recognizers()

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
PII_FREE = [
    "",
    "ZYW-4821-KX",
    "PROMO2026",
    "10:30",
    "12,99 zł",
    "2026-11-29",
    "iPhone 15 Pro",
    "What time do you open tomorrow?",
]


def tables(recognizer: EntityRecognizer) -> ModuleType:
    """The recognizer's own test module, holding its MATCHING and NOT_MATCHING tables."""
    name = type(recognizer).__module__.rsplit(".", 1)[-1]
    return importlib.import_module(f"tests.pipeline.recognizers.test_{name}")


MODULES = [tables(r) for r in RECOGNIZERS]
ALL_MATCHING = [row[0] for module in MODULES for row in module.MATCHING]
ALL_NOT_MATCHING = [text for module in MODULES for text in module.NOT_MATCHING]
each_recognizer = pytest.mark.parametrize("recognizer", RECOGNIZERS, ids=lambda r: type(r).__name__)


def _results_hold(recognizer: ChatguardRecognizer, text: str) -> None:
    for r in recognizer.analyze(text, entities=recognizer.supported_entities, nlp_artifacts=None):
        assert 0 <= r.start < r.end <= len(text), (text[:80], r)
        assert 0 < r.score <= 1, (text[:80], r)
        assert r.entity_type in recognizer.supported_entities


@each_recognizer
def test_class_contract(recognizer):
    """A named PatternRecognizer of one entity, with scored patterns both regex engines accept."""
    cls = type(recognizer)
    assert isinstance(recognizer, PatternRecognizer)
    assert isinstance(recognizer.name, str) and recognizer.name
    assert recognizer.supported_entities == [cls.ENTITY]
    assert cls.PATTERNS and all(isinstance(p, Pattern) and 0 < p.score <= 1 for p in cls.PATTERNS)
    assert isinstance(cls.PREFILTER, re.Pattern)
    if cls.__name__ in CONTEXT_WORDS:
        english, polish = CONTEXT_WORDS[cls.__name__]
        assert english in cls.CONTEXT and polish in cls.CONTEXT
    for pattern in cls.PATTERNS:
        # Both engines must accept each regex: presidio's `regex` (Pattern validates with it) and `re`.
        re.compile(pattern.regex)


@each_recognizer
def test_finds_its_own_examples(recognizer):
    module = tables(recognizer)
    assert module.MATCHING and module.NOT_MATCHING
    for text, value, *_ in module.MATCHING:
        assert value in [v for _, v, _ in found(recognizer, text)], text


@each_recognizer
def test_finds_nothing_in_pii_free_text(recognizer):
    for text in PII_FREE:
        assert found(recognizer, text) == [], text


@each_recognizer
def test_entities_filter_and_no_nlp_artifacts(recognizer):
    for text in ALL_MATCHING:
        assert recognizer.analyze(text, entities=["SOMETHING_ELSE"], nlp_artifacts=None) == []
    hits = [
        t for t in ALL_MATCHING if recognizer.analyze(t, entities=recognizer.supported_entities, nlp_artifacts=None)
    ]
    assert hits  # each recognizer finds something in the shared tables
    for text in hits:
        results = recognizer.analyze(text, entities=recognizer.supported_entities, nlp_artifacts=None)
        assert results == recognizer.analyze(text, entities=[], nlp_artifacts=None)  # [] means "all"


@each_recognizer
def test_spans_inside_the_text_and_scores_in_range(recognizer):
    for text in ALL_MATCHING + ALL_NOT_MATCHING + [t[:cut] for t in ALL_MATCHING for cut in (1, len(t) // 2)]:
        _results_hold(recognizer, text)


@each_recognizer
def test_empty_text(recognizer):
    assert recognizer.analyze("", entities=None, nlp_artifacts=None) == []


HUNDRED_KB = ("\n".join(ALL_MATCHING + ALL_NOT_MATCHING) * 100)[:100_000]


@each_recognizer
def test_100_kb_of_text(recognizer):
    """A 100 KB message full of PII: results stay in bounds, and it takes seconds at most."""
    started = time.perf_counter()
    _results_hold(recognizer, HUNDRED_KB)
    assert time.perf_counter() - started < 5.0


def _fuzz_texts(count: int, seed: int = 20261129) -> list[str]:
    rng = random.Random(seed)
    pieces = (
        ALL_MATCHING
        + ALL_NOT_MATCHING
        + [
            "hello",
            "ok",
            "tel",
            "ul.",
            "my name is",
            "jestem",
            "?",
            "#",
            "=",
            "@",
            "%40",
            "--",
            "\n",
            "12",
            "601",
            "234",
            "567",
            "00-950",
            "PL",
            "st",
            "Road",
            "https://example.com/p?",
            "email=",
        ]
    )
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


@each_recognizer
def test_prefilters_never_change_results(recognizer):
    """PREFILTER and pattern guards only skip work: with them off, nothing more is found."""
    cls = type(recognizer)
    plain = unfiltered(cls)
    for text in ALL_MATCHING + ALL_NOT_MATCHING + _fuzz_texts(1500):
        expected = found(plain, text)
        assert found(recognizer, text) == expected, text
        if expected:
            assert cls.PREFILTER.search(text), text
