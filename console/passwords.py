"""Passwords as NIST SP 800-63B-4 (5.1.1.2) and OWASP ASVS 5 (V6) ask: at least 15 characters,
up to 128, any characters (no composition rules), checked against a blocklist of common and
breached passwords, hashed with Argon2id and re-hashed when the parameters change."""

from __future__ import annotations

import threading
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from schemas.errors import ChatguardError

MIN_LENGTH, MAX_LENGTH = 15, 128
# zxcvbn scores 0-4 by guesses needed; below 3 (10^8 guesses) falls to an offline attack at once.
MIN_SCORE = 3

_HASHER = PasswordHasher()  # argon2-cffi's defaults: Argon2id, RFC 9106's low-memory profile


class WeakPassword(ChatguardError):
    http_status = 422
    exit_code = 2
    metric_reason = "weak_password"


def normalise(password: str) -> str:
    """NFKC, as 800-63B asks, so the same password typed on another keyboard still matches."""
    return unicodedata.normalize("NFKC", password)


@cache
def _common() -> frozenset[str]:
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])  # 30,000 most common from breach corpora


def check(password: str, context: tuple[str, ...] = ()) -> str:
    """The normalised password, or WeakPassword saying why (never quoting it)."""
    text = normalise(password)
    if len(text) < MIN_LENGTH:
        raise WeakPassword(f"at least {MIN_LENGTH} characters, please (a few words make a good one)")
    if len(text) > MAX_LENGTH:
        raise WeakPassword(f"at most {MAX_LENGTH} characters")
    if not text.isprintable():
        raise WeakPassword("no control characters")
    folded = text.casefold()
    if folded in _common() or any(word and word.casefold() in folded for word in (*context, "chatguard")):
        raise WeakPassword("this password is on a list of common or breached passwords, or holds your name")
    from zxcvbn import zxcvbn

    verdict = zxcvbn(text[:72], user_inputs=[*context, "chatguard"])  # zxcvbn takes 72 at most
    if verdict["score"] < MIN_SCORE:
        hint = verdict["feedback"].get("warning") or "it follows a common pattern"
        raise WeakPassword(f"too easy to guess: {hint.rstrip('.')}")
    return text


class Busy(ChatguardError):
    http_status = 503
    exit_code = 3
    metric_reason = "busy"


# Argon2id takes 64 MiB and tens of milliseconds a go: a few at a time, so a flood of sign-ins
# cannot take the memory and the threads every other page needs.
_SLOTS = threading.BoundedSemaphore(4)


@contextmanager
def _slot() -> Iterator[None]:
    if not _SLOTS.acquire(timeout=10):
        raise Busy("too many sign-ins at once: try again in a moment")
    try:
        yield
    finally:
        _SLOTS.release()


def hash_password(password: str) -> str:
    with _slot():
        return _HASHER.hash(normalise(password))


def verify(stored: str, password: str) -> tuple[bool, str | None]:
    """(matches, a new hash if the stored one uses old parameters)."""
    with _slot():
        try:
            _HASHER.verify(stored, normalise(password))
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False, None
        needs = _HASHER.check_needs_rehash(stored)
    return True, hash_password(password) if needs else None


def burn_time(password: str) -> None:
    """Spend a verification's time for an unknown user, so timing does not tell which names exist."""
    verify(_dummy(), password)


@cache
def _dummy() -> str:
    return _HASHER.hash("not a real password, only for timing")
