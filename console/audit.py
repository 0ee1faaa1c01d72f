"""Every action a person takes in the console goes into the vault's hash-chained audit log: who,
what, when (UTC, Unix seconds), from where, and for a reveal the reason. Never a value or a
password. ``console.audit_relay`` copies the log to ``chat.audit`` for a SIEM."""

from __future__ import annotations

import re
import time

from sqlalchemy import Connection, Engine

from vault import audit as chain

PSEUDONYM = re.compile(r"[uc]_[0-9a-f]{16}")


def record(
    conn: Connection,
    actor: str,
    action: str,
    outcome: str,
    origin: str,
    *,
    ref: str | None = None,
    subject: str | None = None,
    reason: str | None = None,
) -> None:
    """One entry inside ``conn``'s transaction (it commits or rolls back with the action). Callers
    pass a ref or subject only in a shape the system issues (``shaped``): a pasted phone number must
    not reach the log, nor an export of it; control characters are dropped here whatever comes."""
    chain.append(
        conn, at=int(time.time()), actor=f"console:{actor}"[:200], action=action, outcome=outcome[:40],
        ref=_shaped(ref), subject=_shaped(subject), reason=reason, origin=origin[:64],
    )  # fmt: skip


def shaped(value: str, pattern: re.Pattern[str]) -> str:
    """``value`` if it has the shape the system gives such ids, else ``<malformed>``."""
    return value if pattern.fullmatch(value) else "<malformed>"


def _shaped(value: str | None) -> str | None:
    return None if value is None else "".join(ch for ch in value if ch.isprintable())


def record_alone(engine: Engine, actor: str, action: str, outcome: str, origin: str, **extra: str | None) -> None:
    """One entry in a transaction of its own: for refusals, which change nothing else."""
    with engine.begin() as conn:
        record(conn, actor, action, outcome, origin, **extra)
