"""Declarative settings: each one's environment variable, type, default, bounds and help, once.

A settings class is a frozen dataclass whose fields are ``setting(...)`` (or ``nested()`` for a
group of its own, e.g. the Kafka connection). ``load(cls, environ)`` reads them all the same
way, and ``markdown_rows`` writes the README's table from the same declarations, so the two
cannot drift. Errors are ``ConfigError`` naming the variable, never quoting its value (it may be
a secret). A secret never appears in ``repr``: ``masked_repr`` shows only whether it is set.
"""

from __future__ import annotations

import dataclasses
import os
import types
import typing
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, Protocol, TypeVar

from runtime.secrets import check_secret, masked
from schemas.errors import ConfigError


class _Dataclass(Protocol):
    """What ``dataclasses.fields`` needs: a settings class is a dataclass."""

    __dataclass_fields__: ClassVar[dict[str, dataclasses.Field[Any]]]


T = TypeVar("T", bound=_Dataclass)
_SPEC = "chatguard.setting"
_NESTED = "chatguard.nested"
TRUE, FALSE = frozenset({"1", "true", "yes", "on"}), frozenset({"0", "false", "no", "off"})


@dataclass(frozen=True, slots=True)
class Spec:
    env: str
    help: str
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] | None = None
    secret: bool = False  # masked in repr
    strong: bool = False  # must follow runtime.secrets' rule (length, variety)
    parse: Callable[[str], Any] | None = None  # for a type the loader does not know; raises ValueError
    shown_default: str | None = None  # how the README shows the default, when repr() would not do


def setting(
    env: str,
    default: Any,
    help: str,
    *,
    low: float | None = None,
    high: float | None = None,
    choices: tuple[str, ...] | None = None,
    secret: bool = False,
    strong: bool | None = None,
    parse: Callable[[str], Any] | None = None,
    shown_default: str | None = None,
) -> Any:
    """A dataclass field read from ``env``; unset or empty means ``default``. A ``secret`` is
    masked in repr and, unless ``strong=False`` (a password chosen elsewhere), must follow the
    secret rule."""
    spec = Spec(env, help, low, high, choices, secret, secret if strong is None else strong, parse, shown_default)
    # A secret is left out of the dataclass's own repr, so a class that forgets masked_repr
    # still never prints it.
    if isinstance(default, (dict, list, set)):
        return dataclasses.field(
            default_factory=lambda: type(default)(default), metadata={_SPEC: spec}, repr=not secret
        )
    return dataclasses.field(default=default, metadata={_SPEC: spec}, repr=not secret)


def nested(cls: type) -> Any:
    """A field holding another settings class, loaded from the same environment."""
    return dataclasses.field(default_factory=cls, metadata={_NESTED: True})


def load(cls: type[T], environ: Mapping[str, str] | None = None, **overrides: Any) -> T:
    """An instance of ``cls`` from ``environ`` (default: the process's), ``overrides`` winning."""
    env = os.environ if environ is None else environ
    hints = typing.get_type_hints(cls)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(cls):
        if f.name in overrides:
            continue
        if f.metadata.get(_NESTED):
            values[f.name] = load(hints[f.name], env)
            continue
        spec: Spec | None = f.metadata.get(_SPEC)
        if spec is None:
            continue
        raw = env.get(spec.env)
        if raw is None or raw == "":  # whitespace is a value: a blank secret must be refused
            continue
        values[f.name] = _convert(spec, hints[f.name], raw)
    values.update(overrides)
    return cls(**values)


def _convert(spec: Spec, hint: Any, raw: str) -> Any:
    kind = _base_type(hint)
    try:
        if spec.strong:
            check_secret(spec.env, raw)
        if spec.parse is not None:
            value = spec.parse(raw)
        elif kind is bool:
            value = _boolean(raw)
        elif kind is int:
            text = raw.strip()
            if not (text.isascii() and text.lstrip("-").isdigit()):
                raise ValueError("not an integer")
            value = int(text)
        elif kind is float:
            value = float(raw)
            if value != value or value in (float("inf"), float("-inf")):
                raise ValueError("not a finite number")
        elif kind is bytes:
            value = raw.encode()
        elif kind is Path:
            value = Path(raw)
        else:
            value = raw.strip() if not spec.secret else raw
    except ValueError as exc:
        # check_secret's and our own messages name the variable or the rule, never the value.
        reason = str(exc) if spec.secret or spec.parse is not None else f"must be {_kind_name(kind)}"
        raise ConfigError(reason if reason.startswith(spec.env) else f"{spec.env}: {reason}") from None
    if spec.choices is not None and value not in spec.choices:
        raise ConfigError(f"{spec.env}: must be one of {', '.join(spec.choices)}")
    if (spec.low is not None and value < spec.low) or (spec.high is not None and value > spec.high):
        raise ConfigError(f"{spec.env}: must be between {_number(spec.low)} and {_number(spec.high)}")
    return value


def _boolean(raw: str) -> bool:
    text = raw.strip().lower()
    if text in TRUE:
        return True
    if text in FALSE:
        return False
    raise ValueError("must be 1 or 0")


def _base_type(hint: Any) -> Any:
    """``int`` from ``int | None``; the hint itself otherwise."""
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        args = [a for a in typing.get_args(hint) if a is not type(None)]
        return args[0] if len(args) == 1 else hint
    return hint


def _kind_name(kind: Any) -> str:
    return {int: "an integer", float: "a number", bool: "1 or 0"}.get(kind, "valid")


def _number(value: float | None) -> str:
    return "" if value is None else f"{value:g}"


def specs(cls: type) -> Iterator[tuple[str, Spec, Any]]:
    """(field name, spec, default) of every setting of ``cls`` and its nested groups."""
    hints = typing.get_type_hints(cls)
    for f in dataclasses.fields(cls):
        if f.metadata.get(_NESTED):
            yield from specs(hints[f.name])
        elif _SPEC in f.metadata:
            if f.default is not dataclasses.MISSING:
                default = f.default
            elif f.default_factory is not dataclasses.MISSING:
                default = f.default_factory()
            else:  # setting() always gives one of the two
                raise TypeError(f"setting {f.name!r} has no default")
            yield f.name, f.metadata[_SPEC], default


def markdown_rows(*classes: type) -> str:
    """The README's settings table: one row per variable, in declaration order, each once."""
    lines = ["| variable | default | meaning |", "|---|---|---|"]
    seen: set[str] = set()
    for cls in classes:
        for _, spec, default in specs(cls):
            if spec.env in seen:
                continue
            seen.add(spec.env)
            lines.append(f"| `{spec.env}` | {_shown(spec, default)} | {spec.help} |")
    return "\n".join(lines) + "\n"


def _shown(spec: Spec, default: Any) -> str:
    if spec.shown_default is not None:
        return spec.shown_default
    if default is None or default == "" or default == {} or default == frozenset():
        return "unset"
    if isinstance(default, bool):
        return f"`{int(default)}`"
    if isinstance(default, float):
        return f"`{default:g}`"
    return f"`{default}`"


def masked_repr(obj: Any) -> str:
    """``obj``'s repr with every secret setting shown as ``'***'`` when set, never its value."""
    shown = []
    for f in dataclasses.fields(obj):
        value = getattr(obj, f.name)
        spec: Spec | None = f.metadata.get(_SPEC)
        secret = spec is not None and spec.secret
        shown.append(f"{f.name}={masked(value) if secret and value else repr(value)}")
    return f"{type(obj).__name__}({', '.join(shown)})"


def pseudonym_key_setting() -> Any:
    """CHATGUARD_PSEUDONYM_KEY, one declaration for every tier that derives pseudonyms (the
    worker, ``chatguard redact``, the widget)."""
    return setting(
        "CHATGUARD_PSEUDONYM_KEY",
        None,
        "secret of the keyed HMAC pseudonyms of senders, conversations and analytics values, required by "
        "the worker, `chatguard redact` and the widget (≥ 16 visible characters, 8 of them different: the "
        "rule of every secret, `runtime/secrets.py`). `openssl rand -hex 32` makes one; `make run` "
        "generates one into `.run/`",
        secret=True,
        shown_default="**required**",
    )


def metrics_addr_setting() -> Any:
    """CHATGUARD_METRICS_ADDR, shared by the worker and the canary (one ConfigMap sets both)."""
    return setting(
        "CHATGUARD_METRICS_ADDR",
        "127.0.0.1",
        "address of the worker's and the canary's metrics endpoints; `0.0.0.0` in a pod or container",
    )


def vault_mode_setting() -> Any:
    """CHATGUARD_VAULT: read by the vault and by the loader that looks for it (runtime/plugins.py)."""
    return setting(
        "CHATGUARD_VAULT",
        "on",
        "`off` runs without a vault: detected values are redacted and kept nowhere, `vault_ref` stays null",
        choices=("on", "off"),
        parse=lambda raw: raw.strip().lower(),
    )
