"""Keyed pseudonyms: deterministic per key, canonical for values, separated by domain."""

from __future__ import annotations

import re
import secrets

import pytest

from schemas.pseudonyms import Pseudonymiser


@pytest.fixture
def pseudonymiser() -> Pseudonymiser:
    return Pseudonymiser(secrets.token_bytes(32))


def test_deterministic_for_one_key():
    key = secrets.token_bytes(32)
    a, b = Pseudonymiser(key), Pseudonymiser(bytes(key))
    assert a.value("PERSON", "Anna Nowak") == b.value("PERSON", "Anna Nowak")
    assert a.sender("web", "visitor-1") == b.sender("web", "visitor-1")


def test_different_keys_differ():
    a, b = Pseudonymiser(secrets.token_bytes(32)), Pseudonymiser(secrets.token_bytes(32))
    assert a.value("PERSON", "Anna Nowak") != b.value("PERSON", "Anna Nowak")
    assert a.sender("web", "visitor-1") != b.sender("web", "visitor-1")


def test_formats(pseudonymiser):
    assert re.fullmatch(r"[0-9a-f]{16}", pseudonymiser.value("EMAIL_ADDRESS", "a@b.c"))
    assert re.fullmatch(r"u_[0-9a-f]{16}", pseudonymiser.sender("web", "visitor-1"))


@pytest.mark.parametrize(
    "entity, a, b",
    [
        ("PERSON", "Anna Nowak", "anna  nowak"),
        ("PERSON", "Anna Nowak", "ANNA NOWAK"),
        ("PERSON", "Anna Nowak", " Anna\tNowak\n"),
        ("PERSON", "Łukasz Żółć", "łukasz żółć"),
        ("PERSON", "Straße", "STRASSE"),  # casefold, not lower
        ("PHONE_NUMBER", "+48 601-234-567", "+48601234567"),
        ("PHONE_NUMBER", "(212) 555-0123", "212.555.0123"),
        ("EMAIL_ADDRESS", "Anna.Nowak@Example.com", "anna.nowak@example.com"),
        ("IBAN_CODE", "DE89 3704 0044 0532 0130 00", "de89370400440532013000"),
        ("CREDIT_CARD", "4111-1111-1111-1111", "4111 1111 1111 1111"),
    ],
)
def test_value_ignores_case_space_and_punctuation(pseudonymiser, entity, a, b):
    assert pseudonymiser.value(entity, a) == pseudonymiser.value(entity, b)


@pytest.mark.parametrize(
    "entity, a, b",
    [
        ("PERSON", "Anna Nowak", "Anna Nowacka"),
        ("PERSON", "Anna", "Anne"),
        ("PHONE_NUMBER", "+48 601 234 567", "+48 601 234 568"),
        ("EMAIL_ADDRESS", "anna@example.com", "anna@example.org"),
        ("PERSON", "Łukasz", "Lukasz"),  # accents are letters, not punctuation
    ],
)
def test_different_values_differ(pseudonymiser, entity, a, b):
    assert pseudonymiser.value(entity, a) != pseudonymiser.value(entity, b)


def test_entity_type_is_part_of_the_value_pseudonym(pseudonymiser):
    assert pseudonymiser.value("PERSON", "Jordan") != pseudonymiser.value("LOCATION", "Jordan")


def test_sender_and_value_domains_are_separated(pseudonymiser):
    # The same strings in the same order must not give the same token in both domains.
    assert pseudonymiser.sender("PERSON", "anna")[2:] != pseudonymiser.value("PERSON", "anna")
    assert pseudonymiser.sender("web", "anna")[2:] != pseudonymiser.value("web", "anna")


def test_sender_depends_on_channel_and_is_not_canonicalised(pseudonymiser):
    assert pseudonymiser.sender("web", "U123") != pseudonymiser.sender("slack", "U123")
    assert pseudonymiser.sender("web", "U123") != pseudonymiser.sender("web", "u123")  # ids are opaque
    assert pseudonymiser.sender("web", "a-b") != pseudonymiser.sender("web", "ab")


def test_parts_cannot_be_shifted_between_fields(pseudonymiser):
    # ("web", "x") and ("webx", "") or ("we", "bx") must not collide.
    tokens = {pseudonymiser.sender(c, s) for c, s in [("web", "x"), ("webx", ""), ("we", "bx"), ("w", "ebx")]}
    assert len(tokens) == 4


def test_pseudonym_does_not_contain_the_value(pseudonymiser):
    for value in ("anna", "601234567", "abc"):
        assert value not in pseudonymiser.value("PERSON", value)


@pytest.mark.parametrize("key", [b"", b"short", b"x" * 15])
def test_short_key_refused(key):
    with pytest.raises(ValueError, match="16 bytes"):
        Pseudonymiser(key)


def test_sixteen_byte_key_accepted():
    assert Pseudonymiser(b"x" * 16).value("PERSON", "Anna")


def test_conversation_ids_are_pseudonymised_per_channel(pseudonymiser):
    token = pseudonymiser.conversation("telegram", "123456789")
    assert re.fullmatch(r"c_[0-9a-f]{16}", token) and "123456789" not in token
    assert token == pseudonymiser.conversation("telegram", "123456789")
    assert token != pseudonymiser.conversation("messenger", "123456789")
    assert pseudonymiser.sender("telegram", "123456789")[2:] != token[2:]


def test_the_key_is_not_in_repr():
    key = secrets.token_hex(32).encode()
    assert key.decode() not in repr(Pseudonymiser(key))
