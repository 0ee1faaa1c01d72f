"""Pipeline fixtures: event factories, a fake detector for pure-logic tests, the real engine once."""

from __future__ import annotations

import itertools
import re
import secrets
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from pipeline.detection import Span
from pipeline.engine import RedactionEngine
from pipeline.policies import PolicySet, load_policies
from pipeline.settings import Settings
from schemas.pseudonyms import Pseudonymiser
from schemas.raw import RawMessage

FIXED_NOW = "2026-11-29T12:00:00.000Z"


@pytest.fixture(scope="session")
def engine_key() -> str:
    """A fresh pseudonym key per test session, as CHATGUARD_PSEUDONYM_KEY would hold it."""
    return secrets.token_hex(32)


@pytest.fixture
def raw_message() -> Callable[..., RawMessage]:
    """``raw_message(**overrides)``: a valid RawMessage; each call gets a new event_id."""
    counter = itertools.count(1)

    def make(**overrides: Any) -> RawMessage:
        n = next(counter)
        fields: dict[str, Any] = dict(
            event_id=f"web:msg-{n:04d}",
            channel="web",
            channel_kind="private",
            conversation_id="conv-1",
            sender_id="visitor-1",
            sent_at="2026-11-29T10:00:00Z",
            text="What time do you open tomorrow?",
            metadata={},
        )
        fields.update(overrides)
        return RawMessage(**fields)

    return make


class FakeDetector:
    """Satisfies pipeline.detection.Detector with plain rules; no model.

    - ``word@host.tld`` is an EMAIL_ADDRESS (score 1.0); each name in ``names`` is a PERSON (0.85).
    - A text containing ``poison`` makes ``detect`` raise, quoting the text as libraries do.
    - ``extra(text) -> list[Span]`` adds arbitrary spans (overlapping, out of range, ...).
    - ``calls`` records every batch it was given.
    """

    EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")

    def __init__(
        self,
        names: Sequence[str] = ("Anna Nowak", "John Smith"),
        poison: str = "POISON",
        extra: Callable[[str], list[Span]] | None = None,
        drop_last: bool = False,
    ) -> None:
        self.names = tuple(names)
        self.poison = poison
        self.extra = extra
        self.drop_last = drop_last
        self.calls: list[list[str]] = []

    def spans(self, text: str) -> list[Span]:
        if self.poison and self.poison in text:
            raise ValueError(f"recognizer choked on {text!r}")
        found = [Span("EMAIL_ADDRESS", m.start(), m.end(), 1.0) for m in self.EMAIL.finditer(text)]
        for name in self.names:
            found += [Span("PERSON", m.start(), m.end(), 0.85) for m in re.finditer(re.escape(name), text)]
        if self.extra:
            found += self.extra(text)
        return found

    def detect(self, texts: Sequence[str]) -> list[list[Span]]:
        self.calls.append(list(texts))
        out = [self.spans(t) for t in texts]
        if self.drop_last and len(out) > 1:
            out = out[:-1]
        return out


@pytest.fixture
def make_engine(engine_key: str) -> Callable[..., RedactionEngine]:
    """``make_engine(detector=None, policies=None)``: an engine around a fake detector and fixed clock."""

    def make(detector: Any = None, policies: PolicySet | None = None) -> RedactionEngine:
        return RedactionEngine(
            detector if detector is not None else FakeDetector(),
            policies if policies is not None else load_policies(),
            Pseudonymiser(engine_key.encode()),
            clock=lambda: FIXED_NOW,
        )

    return make


@pytest.fixture
def fixed_now() -> str:
    """What ``make_engine``'s clock always says."""
    return FIXED_NOW


@pytest.fixture
def fake_detector() -> type[FakeDetector]:
    return FakeDetector


@pytest.fixture(scope="session")
def real_engine(engine_key: str) -> RedactionEngine:
    """The real Presidio + spaCy engine with the shipped policies; loaded once per session."""
    return RedactionEngine.from_settings(Settings.from_env({"CHATGUARD_PSEUDONYM_KEY": engine_key}))
