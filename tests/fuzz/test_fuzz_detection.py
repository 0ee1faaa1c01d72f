"""Fuzz detection: the real engine (Presidio + spaCy, shipped policies) on
random Unicode — every category but surrogates (chat text arrives as JSON), combining marks,
right-to-left scripts and controls, emoji, digits of other scripts, invisible format
characters — mixed with PII-looking fragments (e-mails, phone numbers, card numbers, IBANs)
joined by random separators, up to a few KB a message.

Asserted for every batch: ``redact_batch`` raises nothing and returns one Redaction or
StepError per event, in order; no message runs past the detection budget (a StepError
``DeadlineExceeded``); no message is held back by any other error either (that is an
exception inside detection); every finding lies within its destination's text; and an
inserted e-mail ``x<n>@example.com``, set off by whitespace or punctuation, never reaches
``chat.storage`` (the sibling plain test shows each is found alone).

Bounded in time: fixed example counts, ``derandomize=True``, no example database, no
per-example deadline (the engine's own budget is what is tested). Self-contained: builds the
engine here, imports nothing from conftest.
"""

from __future__ import annotations

import secrets
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.engine import Redaction, RedactionEngine
from pipeline.errors import StepError
from pipeline.settings import Settings
from schemas.codec import decode_redacted, encode
from schemas.raw import RawMessage

pytestmark = pytest.mark.slow

DEADLINE_S = 5.0
MAX_TEXT = 4_096

FUZZ = settings(
    max_examples=120,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@pytest.fixture(scope="module")
def engine() -> RedactionEngine:
    return RedactionEngine.from_settings(
        Settings.from_env(
            {"CHATGUARD_PSEUDONYM_KEY": secrets.token_hex(32), "CHATGUARD_DETECT_DEADLINE_S": str(DEADLINE_S)}
        )
    )


def event(n: int, text: str) -> RawMessage:
    return RawMessage(
        event_id=f"fuzz-{n:04d}",
        channel="web",
        channel_kind="private",
        conversation_id="fuzz-conversation",
        sender_id="fuzz-sender",
        sent_at="2026-11-29T10:00:00Z",
        text=text,
    )


# -- random Unicode ----------------------------------------------------------------------------

any_char = st.characters(exclude_categories=("Cs",))  # everything JSON text can carry
combining = st.characters(categories=("Mn", "Mc", "Me"))
format_chars = st.characters(categories=("Cf",))  # ZWJ, ZWSP, RLO/LRO, BOM, soft hyphen, tags...
other_digits = st.characters(categories=("Nd",)).filter(lambda c: not c.isascii())
rtl = st.characters(min_codepoint=0x0590, max_codepoint=0x08FF)  # Hebrew, Arabic, Syriac, Thaana, NKo...
emoji = st.characters(min_codepoint=0x1F300, max_codepoint=0x1FAFF)
spaces = st.sampled_from([" ", "\u00a0", "\u2009", "\u3000", "\t", "\n", "\r", "\u2028", "\u200b", "\ufeff"])
alphabet = st.one_of(
    any_char,
    any_char,
    combining,
    format_chars,
    other_digits,
    rtl,
    emoji,
    spaces,
    st.sampled_from("0123456789+-()./@ _,:;#"),
)
noise = st.text(alphabet, max_size=400)

# -- PII-looking fragments ---------------------------------------------------------------------

separators = st.sampled_from(["", " ", "-", ".", "/", "\u00a0", "\u2009", "\u2011", "\u200b", " - ", "  ", "\u2013"])


@st.composite
def digits_joined(draw, groups: list[int], prefix: str = "") -> str:
    parts = ["".join(draw(st.sampled_from("0123456789")) for _ in range(g)) for g in groups]
    sep = draw(separators)
    return (
        prefix + sep.join(parts)
        if draw(st.booleans())
        else prefix + "".join(p + draw(separators) for p in parts).rstrip()
    )


phones = st.one_of(
    digits_joined([3, 3, 3], "+48 "),
    digits_joined([3, 3, 3]),
    digits_joined([3, 3, 4], "+1 "),
    digits_joined([4, 6], "+44 "),
    digits_joined([2, 3, 2, 2]),
)
cards = st.one_of(
    digits_joined([4, 4, 4, 4]),
    st.sampled_from(["4111 1111 1111 1111", "5500-0000-0000-0004", "3400 000000 00009", "4012888888881881"]),
)
ibans = st.sampled_from(
    [
        "PL61109010140000071219812874",
        "PL61 1090 1014 0000 0712 1981 2874",
        "DE89370400440532013000",
        "GB29 NWBK 6016 1331 9268 19",
    ]
)
other_pii = st.one_of(
    phones, cards, ibans, st.sampled_from(["44051401359", "192.168.12.34", "John Smith", "ul. Polna 12/4"])
)

email_number = st.integers(0, 99_999)
# What sets an inserted e-mail off from its neighbours: whitespace or punctuation a person types.
email_fences = st.sampled_from([" ", "\n", "\t", ", ", ": ", " (", ") ", "; ", " <", "> ", "\u00a0"])


@st.composite
def messages(draw) -> tuple[str, list[str]]:
    """A text and the e-mails inserted into it (each fenced off, so each is an e-mail alone)."""
    parts: list[str] = []
    emails: list[str] = []
    for _ in range(draw(st.integers(1, 40))):
        kind = draw(st.sampled_from(["noise", "noise", "email", "pii", "pii_glued"]))
        if kind == "noise":
            parts.append(draw(noise))
        elif kind == "email":
            address = f"x{draw(email_number)}@example.com"
            emails.append(address)
            parts.append(draw(email_fences) + address + draw(email_fences))
        elif kind == "pii":
            parts.append(draw(separators) + draw(other_pii) + draw(separators))
        else:  # glued to random neighbours: nothing asserted about it, only that nothing breaks
            parts.append(draw(other_pii))
    text = "".join(parts)
    if len(text) > MAX_TEXT:  # keep every inserted e-mail whole: drop parts from the end instead
        while parts and len("".join(parts)) > MAX_TEXT:
            parts.pop()
        text = "".join(parts)
        emails = [e for e in emails if e in text]
    repeat = draw(st.integers(2, 40)) if draw(st.integers(0, 3)) == 0 else 1  # often a longer message
    text = (text * repeat)[:MAX_TEXT]
    return text, [e for e in emails if e in text]


# -- the sibling plain test: each inserted e-mail form is detected alone -----------------------


@pytest.mark.parametrize("n", [0, 7, 42, 99_999])
@pytest.mark.parametrize("fence", [" ", "\n", ", ", " (", "\u00a0"])
def test_inserted_email_is_found_alone(engine: RedactionEngine, n: int, fence: str) -> None:
    address = f"x{n}@example.com"
    (result,) = engine.redact_batch([event(0, f"mail{fence}{address}{fence}thanks")])
    assert isinstance(result, Redaction), result
    assert address not in result.by_destination["storage"].text


# -- the fuzz tests ----------------------------------------------------------------------------


def check_batch(engine: RedactionEngine, batch: list[tuple[str, list[str]]]) -> None:
    events = [event(i, text) for i, (text, _) in enumerate(batch)]
    started = time.perf_counter()
    results = engine.redact_batch(events)
    took = time.perf_counter() - started
    assert len(results) == len(events)
    assert took < DEADLINE_S * len(events), f"batch took {took:.1f} s"
    for (text, emails), raw, result in zip(batch, events, results, strict=True):
        assert isinstance(result, (Redaction, StepError)), type(result)
        if isinstance(result, StepError):
            assert result.error_class != "DeadlineExceeded", f"over the {DEADLINE_S:g} s budget ({len(text)} chars)"
            pytest.fail(f"message held back by {result}: an exception inside {result.stage}")
        assert result.event_id == raw.event_id
        for span in result.spans:
            assert 0 <= span.start < span.end <= len(text), span
        for name, message in result.by_destination.items():
            for finding in message.findings:
                assert 0 <= finding.start <= finding.end <= len(message.text), (name, finding)
            assert decode_redacted(encode(message)) == message  # it is a valid clean-topic event
        storage = result.by_destination["storage"].text
        leaked = [e for e in emails if e in storage]
        assert not leaked, f"inserted e-mail(s) {leaked} reached chat.storage"


@FUZZ
@given(message=messages())
def test_detection_on_random_unicode_with_pii(engine: RedactionEngine, message: tuple[str, list[str]]) -> None:
    check_batch(engine, [message])


@settings(FUZZ, max_examples=40)
@given(batch=st.lists(messages(), min_size=2, max_size=6))
def test_detection_batches(engine: RedactionEngine, batch: list[tuple[str, list[str]]]) -> None:
    """Several messages at once: NER groups them, each still keeps its own result and budget."""
    check_batch(engine, batch)


@settings(FUZZ, max_examples=60)
@given(text=st.text(any_char, max_size=MAX_TEXT))
def test_detection_on_arbitrary_text(engine: RedactionEngine, text: str) -> None:
    check_batch(engine, [(text, [])])
