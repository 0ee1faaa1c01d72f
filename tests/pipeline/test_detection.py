"""Detection with the real spaCy model and Presidio, through the engine the worker uses.

The engine is built once per session (tests/pipeline/conftest.py: ``real_engine``).
"""

from __future__ import annotations

import re
import socket

import pytest

from pipeline.detection import ChatDetector, load_spacy
from pipeline.engine import Redaction
from pipeline.errors import ConfigError
from pipeline.policies import load_policies
from pipeline.settings import DEFAULT_MODEL
from schemas.pseudonyms import Pseudonymiser


def luhn_valid(number: str) -> bool:
    digits = [int(c) for c in number if c.isdigit()]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def iban_valid(iban: str) -> bool:
    compact = iban.replace(" ", "").upper()
    rearranged = compact[4:] + compact[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


DETECTED = [
    # entity type, message, the value that must not survive
    ("EMAIL_ADDRESS", "My email is john.doe@example.com", "john.doe@example.com"),
    ("EMAIL_ADDRESS", "write to anna@firma.pl please", "anna@firma.pl"),
    ("EMAIL_ADDRESS", "MY EMAIL IS JOHN.DOE@EXAMPLE.COM", "JOHN.DOE@EXAMPLE.COM"),
    ("PHONE_NUMBER", "Call me at 212-555-0123", "212-555-0123"),
    ("PHONE_NUMBER", "Call me at (555) 123-4567 after six", "(555) 123-4567"),
    ("PHONE_NUMBER", "Call me at +48 601 234 567", "+48 601 234 567"),
    ("CREDIT_CARD", "My card is 4111 1111 1111 1111", "4111 1111 1111 1111"),
    ("CREDIT_CARD", "card 5555555555554444 exp 12/27", "5555555555554444"),
    ("IBAN_CODE", "IBAN: DE89 3704 0044 0532 0130 00", "DE89 3704 0044 0532 0130 00"),
    ("IBAN_CODE", "My IBAN is GB82WEST12345698765432", "GB82WEST12345698765432"),
    ("IP_ADDRESS", "My IP is 192.168.1.10", "192.168.1.10"),
    ("IP_ADDRESS", "reach me at 8.8.8.8", "8.8.8.8"),
    ("PERSON", "My name is John Smith", "John Smith"),
    ("PERSON", "I am Anna Nowak", "Anna Nowak"),
    ("PERSON", "my name is anna nowak", "anna nowak"),
    ("US_SSN", "My SSN is 536-90-4399", "536-90-4399"),
    ("URL_PII", "see https://example.com/reset?email=anna@wp.pl", "https://example.com/reset?email=anna@wp.pl"),
    ("UK_NHS", "I have NHS number 943 476 5919", "943 476 5919"),
    ("STREET_ADDRESS", "I live at 221B Baker Street, London", "221B Baker Street"),
    ("STREET_ADDRESS", "mieszkam na ul. Długa 5/4, 00-950 Warszawa", "ul. Długa 5/4, 00-950 Warszawa"),
    ("PL_PESEL", "mój pesel 44051401359", "44051401359"),
]


def test_table_values_are_real_identifiers():
    # The card and IBAN rows must be valid numbers, or a miss would prove nothing.
    for entity, text, value in DETECTED:
        assert value in text
        if entity == "CREDIT_CARD":
            assert luhn_valid(value), value
        if entity == "IBAN_CODE":
            assert iban_valid(value), value
    assert not luhn_valid("4111 1111 1111 1112")


def _redact(engine, raw_message, text: str) -> Redaction:
    (result,) = engine.redact_batch([raw_message(text=text)])
    assert isinstance(result, Redaction), result
    return result


@pytest.mark.parametrize("entity, text, value", DETECTED, ids=[f"{e}-{i}" for i, (e, _, _) in enumerate(DETECTED)])
def test_value_is_detected_and_removed(real_engine, raw_message, entity, text, value):
    result = _redact(real_engine, raw_message, text)
    storage = result.by_destination["storage"]
    at = text.index(value)
    # Masking keeps positions: a finding of the right type covers the whole value.
    covering = [f for f in storage.findings if f.start <= at and at + len(value) <= f.end]
    assert [f.entity_type for f in covering] == [entity], storage.findings
    assert storage.text[at : at + len(value)] == "*" * len(value)
    for name, message in result.by_destination.items():
        assert value not in message.text, name
        assert value.lower() not in message.text.lower(), name
    assert re.search(rf"<{entity}_\d+>", result.by_destination["nlp"].text)  # numbered per conversation
    assert re.search(rf"<{entity}_[0-9a-f]{{16}}>", result.by_destination["analytics"].text)


# Checked against the current engine: each of these passes unchanged.
UNCHANGED = [
    "What time do you open tomorrow?",
    "Thanks, that solved it!",
    "Is the 0.5 l bottle still 3.99 PLN?",
    "Is the 1.5 l bottle cheaper?",
    "Hello, can you help me?",
    "My order has not arrived yet.",
    "Can I pay by card?",
    "Please cancel my subscription.",
    "The app crashes when I click the button.",
    "I need a refund for order 12345.",
    "Is there a discount for students?",
    "How much is shipping?",
    "Great service, thank you!",
    "Is the store open on Sunday?",
    "I'd like to change my password.",
    "Version 2.3.1 is broken",
    "It costs 1,299.00 USD",
    "The meeting is at 10:30",
    "Why is my bill 49.99 this month?",
    "Is delivery free over 100 PLN?",
    "The coupon SAVE20 failed",
    "Can I return shoes after 30 days?",
    "Does the XL size fit?",
    "How do I use the app on iPhone?",
    "ok",
    "",
]


@pytest.mark.parametrize("text", UNCHANGED)
def test_ordinary_messages_pass_unchanged(real_engine, raw_message, text):
    result = _redact(real_engine, raw_message, text)
    assert result.spans == ()
    for name, message in result.by_destination.items():
        assert message.text == text, name
        assert message.findings == (), name


def test_several_values_in_one_message(real_engine, raw_message):
    text = "I'm John Smith, mail john.doe@example.com or call 212-555-0123, card 4111 1111 1111 1111."
    result = _redact(real_engine, raw_message, text)
    nlp = result.by_destination["nlp"]
    for value in ("John Smith", "john.doe@example.com", "212-555-0123", "4111 1111 1111 1111"):
        for message in result.by_destination.values():
            assert value not in message.text
    types = [f.entity_type for f in nlp.findings]
    assert {"PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD"} <= set(types)
    assert re.match(r"I'm <PERSON_\d+>, mail <EMAIL_ADDRESS_\d+>", nlp.text)
    for f in nlp.findings:
        assert re.fullmatch(rf"<{f.entity_type}_\d+>", nlp.text[f.start : f.end])


def test_analytics_pseudonyms_join_across_messages(real_engine, raw_message, engine_key):
    a = _redact(real_engine, raw_message, "My email is john.doe@example.com")
    b = _redact(
        real_engine,
        raw_message,
        "Please write to John.Doe@Example.com today",
    )
    token = "<EMAIL_ADDRESS_" + Pseudonymiser(engine_key.encode()).value("EMAIL_ADDRESS", "john.doe@example.com") + ">"
    assert token in a.by_destination["analytics"].text
    assert token in b.by_destination["analytics"].text
    c = _redact(real_engine, raw_message, "My email is jane.roe@example.com")
    assert token not in c.by_destination["analytics"].text


def test_batch_gives_the_same_result_as_one_by_one(real_engine, raw_message):
    texts = [text for _, text, _ in DETECTED[:8]] + UNCHANGED[:4]
    events = [raw_message(text=t) for t in texts]
    batched = real_engine.redact_batch(events)
    for event, together in zip(events, batched, strict=True):
        (alone,) = real_engine.redact_batch([event])
        assert together.spans == alone.spans, event.text


def test_no_network_during_load_and_detection(monkeypatch, tmp_path):
    import tldextract.tldextract as tld

    # Start from a cold public-suffix cache, as on a fresh host: tldextract's default
    # extractor would now download the list on first use.
    monkeypatch.setattr(tld, "TLD_EXTRACTOR", tld.TLDExtract(cache_dir=str(tmp_path / "tld-cache")))
    attempts: list[object] = []

    def refuse(*args, **kwargs):
        attempts.append(args)
        raise OSError("network access attempted during detection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)

    policies = load_policies()
    # A fresh detector: the e-mail recognizer's public-suffix lookup is set up here.
    detector = ChatDetector(DEFAULT_MODEL, policies.entities, policies.score_threshold)
    (spans,) = detector.detect(["mail me at someone@example.co.uk or see https://example.org/x?email=a@b.pl"])
    assert {"EMAIL_ADDRESS", "URL_PII"} <= {s.entity_type for s in spans}
    assert attempts == []


def test_unknown_model_is_a_config_error_without_download(monkeypatch):
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: pytest.fail("tried to resolve a host"))
    with pytest.raises(ConfigError, match="CHATGUARD_SPACY_MODEL"):
        load_spacy("en_core_web_nonexistent_model")


def test_unknown_entity_is_a_config_error():
    with pytest.raises(ConfigError, match="NOT_A_REAL_ENTITY"):
        ChatDetector(DEFAULT_MODEL, ["PERSON", "NOT_A_REAL_ENTITY"], 0.3)


def test_detector_returns_one_list_per_text_in_order():
    detector = ChatDetector(DEFAULT_MODEL, ["EMAIL_ADDRESS", "PERSON"], 0.3)
    texts = ["nothing", "a@example.com", "", "b@example.com and c@example.com"]
    found = detector.detect(texts)
    assert [len(spans) for spans in found] == [0, 1, 0, 2]
    for text, spans in zip(texts, found, strict=True):
        for span in spans:
            assert text[span.start : span.end].endswith("@example.com")
            assert 0 < span.score <= 1
    assert detector.detect([]) == []


def test_a_message_past_its_budget_is_held_back_and_its_neighbours_go_on(real_engine, raw_message):
    """The budget holds for every way a message can cost time: the recognizers, NER over a
    group of short messages (charged by length), and a text normalising grows."""
    from pipeline.detection import ChatDetector
    from pipeline.errors import StepError

    base = real_engine.detector
    detector = ChatDetector(base.model, base.entities, base.score_threshold, deadline_s=0.5)
    slow_patterns = ("1 - " * 20_000)[:65_000]  # libphonenumber: seconds per 64 KB
    slow_in_a_group = "Anna\n" + "1\n" * 8_150  # NER in a group with a short message
    expanding = "Hello " + "\ufdfa" * 8_000  # NFKC: 18 characters each, 144,000 in all
    texts = ["Hi Anna, call 601 234 567", slow_patterns, slow_in_a_group, "Hi Anna", expanding, "mail anna@wp.pl"]
    results = detector.detect(texts)
    held = [i for i, r in enumerate(results) if isinstance(r, StepError)]
    assert all(results[i].error_class == "DeadlineExceeded" for i in held)
    assert set(held) == {1, 2, 4}, held
    assert {s.entity_type for s in results[0]} >= {"PHONE_NUMBER", "PERSON"}
    assert {s.entity_type for s in results[5]} == {"EMAIL_ADDRESS"}
