"""The one rule every chatguard secret follows, checked at start-up (connectors and pipeline)."""

from __future__ import annotations

MIN_SECRET_LENGTH = 16


def check_secret(name: str, value: str) -> str:
    """``value`` if it can be a secret: at least MIN_SECRET_LENGTH characters and not made of
    whitespace only. Otherwise ValueError naming the variable ``name`` (never quoting the value)."""
    if len(value) < MIN_SECRET_LENGTH or not value.strip():
        raise ValueError(
            f"{name}: must be at least {MIN_SECRET_LENGTH} characters and not only whitespace "
            "(generate one with: openssl rand -hex 32)"
        )
    return value


def masked(value: object) -> str:
    """What a repr shows for a secret: whether it is set, never the value."""
    return "None" if value is None else "'***'"


def masked_repr(obj: object, secret_fields: frozenset[str]) -> str:
    """A dataclass's repr with every field in ``secret_fields`` shown as ``'***'`` when set."""
    from dataclasses import fields

    shown = []
    for f in fields(obj):  # type: ignore[arg-type]
        value = getattr(obj, f.name)
        shown.append(f"{f.name}={masked(value) if f.name in secret_fields and value else repr(value)}")
    return f"{type(obj).__name__}({', '.join(shown)})"
