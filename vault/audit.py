"""The append-only, hash-chained audit log of the vault.

Each entry holds the previous entry's hash and its own hash over a canonical encoding (sorted-key
JSON of every field): editing an entry breaks its hash, deleting or reordering one breaks the
chain. ``verify`` reports the first broken place and the head hash; keep that head somewhere
else (a ticket, a log) to also notice a cut tail. Entries hold refs, pseudonyms and reasons,
never values.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import Connection, insert, select, update

from vault.tables import audit, audit_head

GENESIS = "0" * 64
FIELDS = ("seq", "at", "actor", "action", "ref", "subject", "reason", "outcome", "prev_hash")


def entry_hash(entry: Mapping[str, Any]) -> str:
    # ``origin`` (where a person acted from) came later: hashed only when present, so entries
    # written before it keep their hashes.
    fields = (*FIELDS, "origin") if entry.get("origin") is not None else FIELDS
    canonical = orjson.dumps({k: entry[k] for k in fields}, option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(canonical).hexdigest()


def append(
    conn: Connection,
    *,
    at: int,
    actor: str,
    action: str,
    outcome: str,
    ref: str | None = None,
    subject: str | None = None,
    reason: str | None = None,
    origin: str | None = None,
) -> dict[str, Any]:
    """Chain one entry onto the log inside ``conn``'s transaction; returns it."""
    conn.execute(update(audit_head).where(audit_head.c.id == 1).values(seq=audit_head.c.seq + 1))
    seq, prev = conn.execute(select(audit_head.c.seq, audit_head.c.hash).where(audit_head.c.id == 1)).one()
    prev_hash = prev
    entry: dict[str, Any] = {
        "seq": seq, "at": at, "actor": actor, "action": action, "ref": ref,
        "subject": subject, "reason": reason, "outcome": outcome, "prev_hash": prev_hash, "origin": origin,
    }  # fmt: skip
    entry["hash"] = entry_hash(entry)
    conn.execute(insert(audit).values(**entry))
    conn.execute(update(audit_head).where(audit_head.c.id == 1).values(hash=entry["hash"]))
    return entry


def ensure_head(conn: Connection) -> None:
    if conn.execute(select(audit_head.c.id)).first() is None:
        conn.execute(insert(audit_head).values(id=1, seq=0, hash=GENESIS))


@dataclass(frozen=True, slots=True)
class Verdict:
    entries: int
    head: str
    problem: str | None  # None: the chain holds

    @property
    def ok(self) -> bool:
        return self.problem is None


def verify(rows: Iterable[Mapping[str, Any]]) -> Verdict:
    """Check entries in ``seq`` order: consecutive numbers from 1, each hash right, each
    ``prev_hash`` the previous entry's hash."""
    expected_prev, count = GENESIS, 0
    for count, row in enumerate(rows, start=1):
        if row["seq"] != count:
            return Verdict(
                count - 1, expected_prev, f"entry {count}: found seq {row['seq']} (an entry deleted or moved)"
            )
        if row["prev_hash"] != expected_prev:
            return Verdict(
                count - 1, expected_prev, f"entry {count}: does not follow entry {count - 1} (reordered or replaced)"
            )
        if entry_hash(row) != row["hash"]:
            return Verdict(count - 1, expected_prev, f"entry {count}: its content does not match its hash (edited)")
        expected_prev = row["hash"]
    return Verdict(count, expected_prev, None)
