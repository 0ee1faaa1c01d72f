"""The one rule every chatguard secret follows, checked at start-up by every tier."""

from __future__ import annotations

MIN_SECRET_LENGTH = 16


MIN_DISTINCT = 8  # "aaaaaaaaaaaaaaaa" is 16 characters and no secret; hex from openssl has ~16


def check_secret(name: str, value: str) -> str:
    """``value`` if it can be a secret: at least MIN_SECRET_LENGTH visible characters (spaces
    do not count; control and format characters, e.g. zero-width spaces, are refused) of at
    least MIN_DISTINCT kinds. Otherwise ValueError naming the variable ``name`` (never quoting
    the value)."""
    trimmed = value.strip()
    visible = [ch for ch in trimmed if not ch.isspace()]
    printable = all(ch.isprintable() or ch == " " for ch in trimmed)  # no control or format characters
    if not printable or len(visible) < MIN_SECRET_LENGTH or len(set(visible)) < MIN_DISTINCT:
        raise ValueError(
            f"{name}: must be at least {MIN_SECRET_LENGTH} visible characters, {MIN_DISTINCT} of them "
            "different, and no invisible ones (generate one with: openssl rand -hex 32)"
        )
    return value


def masked(value: object) -> str:
    """What a repr shows for a secret: whether it is set, never the value."""
    return "None" if value is None else "'***'"
