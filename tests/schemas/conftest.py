"""Factories for event documents: valid by default, any field overridden or dropped.

Tables elsewhere are written as keyword arguments for these factories, e.g.
``{"drop": ("event_id",)}`` or ``{"channel": "Web"}``.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from typing import Any

import pytest

_RAW = {
    "schema_version": 1,
    "event_id": "web:msg-0001",
    "channel": "web",
    "channel_kind": "private",
    "conversation_id": "conv-42",
    "sender_id": "visitor-7",
    "sent_at": "2026-11-29T10:00:00Z",
    "text": "What time do you open tomorrow?",
    "metadata": {"locale": "en-GB", "retries": 0, "vip": False, "ratio": 0.5, "note": None},
}

_FINDING = {"entity_type": "EMAIL_ADDRESS", "start": 12, "end": 27, "score": 1.0, "vault_ref": None}

# The one finding covers the 15 stars: text[12:27].
_REDACTED = {
    "schema_version": 1,
    "event_id": "web:msg-0001",
    "channel": "web",
    "channel_kind": "private",
    "conversation_id": "conv-42",
    "sender": "u_0123456789abcdef",
    "sent_at": "2026-11-29T10:00:00+01:00",
    "text": "My email is *************** ok",
    "findings": [_FINDING],
    "policy": "storage",
    "policy_version": "1",
    "processed_at": "2026-11-29T09:00:00.123Z",
}


def _build(base: dict[str, Any], drop: Iterable[str], overrides: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(base)
    for key in drop:
        del doc[key]
    doc.update(overrides)
    return doc


def make_raw_doc(drop: Iterable[str] = (), **overrides: Any) -> dict[str, Any]:
    return _build(_RAW, drop, overrides)


def make_finding_doc(drop: Iterable[str] = (), **overrides: Any) -> dict[str, Any]:
    return _build(_FINDING, drop, overrides)


def make_redacted_doc(drop: Iterable[str] = (), **overrides: Any) -> dict[str, Any]:
    return _build(_REDACTED, drop, overrides)


@pytest.fixture
def raw_doc() -> Callable[..., dict[str, Any]]:
    """``raw_doc(drop=(...), **overrides)``: a RawMessage v1 document (decoded JSON)."""
    return make_raw_doc


@pytest.fixture
def finding_doc() -> Callable[..., dict[str, Any]]:
    return make_finding_doc


@pytest.fixture
def redacted_doc() -> Callable[..., dict[str, Any]]:
    """``redacted_doc(drop=(...), **overrides)``: a RedactedMessage v1 document."""
    return make_redacted_doc
