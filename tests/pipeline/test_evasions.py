"""Evasions found in review, end to end through the real engine (storage policy: masking).

Each value must be masked whole, by one finding of the right type, with any invisible
characters typed inside it. The engine is built once per session (conftest: ``real_engine``).
"""

from __future__ import annotations

import pytest

from pipeline.engine import Redaction

P2WPKH = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"  # BIP-173
P2TR = "bc1p0xlxvlhemja6c4dqv22uapctqupfhlxm9h8z3k2e72q4k9hcz7vqzk5jj0"  # BIP-350

MASKED = [
    # entity type, message, the value as typed
    # Invisible characters inside the value.
    ("EMAIL_ADDRESS", "write to anna\u200e@wp.pl", "anna\u200e@wp.pl"),
    ("EMAIL_ADDRESS", "mail john.doe\u202e@example.com", "john.doe\u202e@example.com"),
    ("EMAIL_ADDRESS", "mail anna\U000e0041@wp.pl", "anna\U000e0041@wp.pl"),
    ("PHONE_NUMBER", "call me 601\u200f234\u200f567", "601\u200f234\u200f567"),
    ("PHONE_NUMBER", "call me 601\u2066 234 567", "601\u2066 234 567"),
    ("PHONE_NUMBER", "tel 601\u2062234567", "601\u2062234567"),
    ("PHONE_NUMBER", "tel 601\ufe0f234567", "601\ufe0f234567"),
    ("PHONE_NUMBER", "tel 601\u034f234567", "601\u034f234567"),
    ("PHONE_NUMBER", "tel 601\u3164234567", "601\u3164234567"),
    ("CREDIT_CARD", "card 4111\u061c1111 1111 1111", "4111\u061c1111 1111 1111"),
    ("CREDIT_CARD", "card 4111\U000e01001111 1111 1111", "4111\U000e01001111 1111 1111"),
    ("CREDIT_CARD", "card 4111 1111\uffa0 1111 1111", "4111 1111\uffa0 1111 1111"),
    ("CREDIT_CARD", "card 4111 1111 \u115f1111 1111", "4111 1111 \u115f1111 1111"),
    # Digits joined across any separator.
    ("PHONE_NUMBER", "call me 601_234_567", "601_234_567"),
    ("PHONE_NUMBER", "call me 601.234.567", "601.234.567"),
    ("CREDIT_CARD", "card 4111_1111_1111_1111", "4111_1111_1111_1111"),
    ("CREDIT_CARD", "card 4111-1111-1111-1111", "4111-1111-1111-1111"),
    # Lookalike letters inside a number.
    ("PHONE_NUMBER", "call me 60l 234 567", "60l 234 567"),
    ("PHONE_NUMBER", "call me 5O1234567", "5O1234567"),
    ("PHONE_NUMBER", "call me 6O1 234 5\u04317", "6O1 234 5\u04317"),
    ("CREDIT_CARD", "card 4111 1111 1111 11l1", "4111 1111 1111 11l1"),
    # bech32 / bech32m Bitcoin addresses, either case.
    ("CRYPTO", f"my wallet {P2WPKH}", P2WPKH),
    ("CRYPTO", f"my wallet {P2WPKH.upper()}", P2WPKH.upper()),
    ("CRYPTO", f"send to {P2TR} thanks", P2TR),
    # PESEL and NIP in dotted groups.
    ("PL_PESEL", "pesel 440.514.013.59", "440.514.013.59"),
    ("PL_PESEL", "pesel 44.05.14.013.59", "44.05.14.013.59"),
    ("PL_NIP", "NIP 123.456.32.18", "123.456.32.18"),
    ("PL_NIP", "NIP 123.45.63.218", "123.45.63.218"),
    # IBANs with dashes or slashes.
    ("IBAN_CODE", "PL61-1090-1014-0000-0712-1981-2874", "PL61-1090-1014-0000-0712-1981-2874"),
    ("IBAN_CODE", "IBAN DE89/3704/0044/0532/0130/00", "DE89/3704/0044/0532/0130/00"),
    ("IBAN_CODE", "IBAN PL61/1090/1014/0000/0712/1981/2874", "PL61/1090/1014/0000/0712/1981/2874"),
    ("IBAN_CODE", "konto 61/1090/1014/0000/0712/1981/2874", "61/1090/1014/0000/0712/1981/2874"),
    ("IBAN_CODE", "IBAN GB82-WEST-1234-5698-7654-32", "GB82-WEST-1234-5698-7654-32"),
    ("IBAN_CODE", "IBAN DE89/3704-0044/0532-0130/00", "DE89/3704-0044/0532-0130/00"),
    # Kept as they were: real phone numbers near number words, an IP address.
    ("PHONE_NUMBER", "call me on 601 234 567", "601 234 567"),
    ("PHONE_NUMBER", "my number is 601234567", "601234567"),
    ("PHONE_NUMBER", "kontakt nr 601234567", "601234567"),
    ("IP_ADDRESS", "my ip is 192.168.1.12", "192.168.1.12"),
]

# Order, ticket and invoice numbers: never masked as a phone number.
NOT_PHONES = [
    ("Order #601234567", "601234567"),
    ("Ticket 2026-118834", "2026-118834"),
    ("Zamówienie 601 234 567", "601 234 567"),
    ("Invoice 601 234 567", "601 234 567"),
    ("faktura nr 601234567", "601234567"),
    ("Zamówienie nr 601 234 567", "601 234 567"),
    ("nr zamówienia 601234567", "601234567"),
    ("order number 601234567", "601234567"),
    ("Order #555-123-4567", "555-123-4567"),
    ("faktura nr 020 7946 0206", "020 7946 0206"),
]

UNCHANGED = [
    "Hello 2",
    "lol IOl",
    "we need 10l 5l 20l of paint",
    "Is the 0.5 l bottle still 3.99 PLN?",
    "\U0001f468\u200d\U0001f469\u200d\U0001f467 \u2764\ufe0f thanks!",
    "meeting on 12.03.2026 at 10:30",
    "Version 2.3.1 is broken",
]


def _redact(engine, raw_message, text: str) -> Redaction:
    (result,) = engine.redact_batch([raw_message(text=text)])
    assert isinstance(result, Redaction), result
    return result


@pytest.mark.parametrize("entity, text, value", MASKED, ids=[f"{e}-{i}" for i, (e, _, _) in enumerate(MASKED)])
def test_value_is_masked_whole(real_engine, raw_message, entity, text, value):
    storage = _redact(real_engine, raw_message, text).by_destination["storage"]
    at = text.index(value)
    covering = [f for f in storage.findings if f.start <= at and at + len(value) <= f.end]
    assert [f.entity_type for f in covering] == [entity], storage.findings
    assert storage.text[at : at + len(value)] == "*" * len(value)


@pytest.mark.parametrize("text, value", NOT_PHONES)
def test_identifier_numbers_are_not_phones(real_engine, raw_message, text, value):
    storage = _redact(real_engine, raw_message, text).by_destination["storage"]
    at = text.index(value)
    touching = [f for f in storage.findings if f.start < at + len(value) and at < f.end]
    assert [f for f in touching if f.entity_type == "PHONE_NUMBER"] == []
    assert value in storage.text


@pytest.mark.parametrize("text", UNCHANGED)
def test_ordinary_text_passes_unchanged(real_engine, raw_message, text):
    result = _redact(real_engine, raw_message, text)
    assert result.spans == ()
    assert result.by_destination["storage"].text == text


@pytest.mark.parametrize(
    "entity, text, value",
    [
        (
            "PHONE_NUMBER",
            "phone 6\ufe0f\u20e30\ufe0f\u20e31\ufe0f\u20e3 234 567",
            "6\ufe0f\u20e30\ufe0f\u20e31\ufe0f\u20e3 234 567",
        ),
        ("EMAIL_ADDRESS", "mail anna.kowalska@wp\u3002pl", "anna.kowalska@wp\u3002pl"),
        ("EMAIL_ADDRESS", "mail anna.kowalska@wp\uff61pl", "anna.kowalska@wp\uff61pl"),
        (
            "PHONE_NUMBER",
            "call me \u0666\u0660\u0661 \u0662\u0663\u0664 \u0665\u0666\u0667",
            "\u0666\u0660\u0661 \u0662\u0663\u0664 \u0665\u0666\u0667",
        ),
    ],
)
def test_other_scripts_and_keycaps(real_engine, raw_message, entity, text, value):
    result = real_engine.redact_batch([raw_message(text=text)])[0]
    assert isinstance(result, Redaction), result
    start = text.index(value)
    covered = [s for s in result.spans if s.start <= start and start + len(value) <= s.end]
    assert covered, (text, [(s.entity_type, text[s.start : s.end]) for s in result.spans])


def test_a_lone_surrogate_does_not_hold_the_message_back(real_engine, raw_message):
    text = "hi \ud800 Anna Kowalska, tel 601 234 567"
    result = real_engine.redact_batch([raw_message(text=text)])[0]
    assert isinstance(result, Redaction), result
    assert "601 234 567" not in result.by_destination["storage"].text


@pytest.mark.parametrize(
    "entity, text, value",
    [
        ("CREDIT_CARD", "card 4111 -- 1111 -- 1111 -- 1111", "4111 -- 1111 -- 1111 -- 1111"),
        ("CREDIT_CARD", "karta 4532|0151|1283|0366", "4532|0151|1283|0366"),
        ("PHONE_NUMBER", "tel 601·234·567", "601·234·567"),
        ("PHONE_NUMBER", "tel 601~234~567", "601~234~567"),
    ],
)
def test_more_digit_separators(real_engine, raw_message, entity, text, value):
    result = real_engine.redact_batch([raw_message(text=text)])[0]
    assert isinstance(result, Redaction), result
    assert value not in result.by_destination["storage"].text
    assert any(s.entity_type == entity for s in result.spans)
