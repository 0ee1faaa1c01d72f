"""The vault: store detected values per data subject, reveal with a reason, erase by key.

Writes come in batches (one detection batch, one transaction). Each subject (the sender's keyed
pseudonym) has a random data key, wrapped by the master key (``vault.keys``); values are sealed
under it (``vault.crypto``). Every reveal, refused reveal, erasure, sweep and rotation is chained
into the audit log (``vault.audit``).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from cryptography.exceptions import InvalidTag
from sqlalchemy import Connection, Engine, Row, delete, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from schemas.errors import ConfigError
from schemas.forms import VAULT_REF
from schemas.keeping import KeptValue, ReplyAddress
from vault import audit as audit_log
from vault import replies
from vault.crypto import associated_data, new_data_key, open_sealed, seal
from vault.errors import BadReason, RevealRefused
from vault.keys import KeyProvider, UnknownMasterKey
from vault.settings import VaultSettings
from vault.store import scrub
from vault.tables import audit, audit_head, entries, erasures, forms, reply_to, subjects

MIN_REASON, MAX_REASON = 10, 500
SWEEP_EVERY_S = 3600
FORM_KEPT_S = 86_400


Item = KeptValue  # what the vault keeps is what the pipeline hands over


@dataclass(frozen=True, slots=True)
class Revealed:
    ref: str
    event_id: str
    entity_type: str
    subject: str
    value: str

    def __repr__(self) -> str:
        return f"Revealed(ref={self.ref!r}, entity_type={self.entity_type!r}, value=***)"


def new_ref() -> str:
    return "v_" + secrets.token_hex(16)


@dataclass(frozen=True, slots=True)
class Erased:
    had_key: bool  # False: the vault held nothing for this subject
    values: int
    scrubbed: bool  # False: SQLite's log still holds old pages; a later sweep retries


def check_actor(actor: str) -> str:
    """Who acts, as they say (the OS user by default): self-asserted, so printable only and short."""
    text = " ".join(actor.split())
    if not 1 <= len(text) <= 200 or not text.isprintable():
        raise BadReason("an actor name of 1 to 200 printable characters is required")
    return text


def check_reason(reason: str | None) -> str:
    text = " ".join((reason or "").split())
    if not MIN_REASON <= len(text) <= MAX_REASON or not text.isprintable():
        raise BadReason(f"a reason of {MIN_REASON} to {MAX_REASON} printable characters is required")
    return text


class Vault:
    def __init__(
        self,
        engine: Engine,
        keys: KeyProvider,
        retention_s: int,
        clock: Callable[[], float] = time.time,
        keep_reply_addresses: bool = True,
    ) -> None:
        self.engine = engine
        self.keys = keys
        self.retention_s = retention_s
        self._clock = clock
        self._next_sweep = 0.0  # the first write sweeps: a worker that starts after a pause cleans up
        self.keep_reply_addresses = keep_reply_addresses
        self._recent = replies.Recent()

    def _now(self) -> int:
        return int(self._clock())

    # -- writing --------------------------------------------------------------------------------

    def put_many(self, items: Sequence[Item], reply_to: Sequence[ReplyAddress] = ()) -> list[str]:
        """Seal and store ``items`` and ``reply_to`` in one transaction; the items' refs, in order."""
        now = self._now()
        reply_to = self._recent.fresh(reply_to, now) if self.keep_reply_addresses else []
        if not items and not reply_to:
            return []
        if now >= self._next_sweep:  # the worker's writes keep retention without a cron job
            self._next_sweep = now + SWEEP_EVERY_S
            self.sweep(actor="worker")
        with self.engine.begin() as conn:
            refs, addresses = self._put(conn, items, now, reply_to)
        self._recent.remember(addresses, now)  # once committed, and only those kept
        return refs

    def put_in(self, conn: Connection, items: Sequence[Item], now: int) -> list[str]:
        """``put_many`` inside the caller's transaction (a secure form's values and its claim)."""
        return self._put(conn, items, now, ())[0]

    def _put(
        self, conn: Connection, items: Sequence[Item], now: int, reply_to: Sequence[ReplyAddress]
    ) -> tuple[list[str], list[ReplyAddress]]:
        refs = [new_ref() for _ in items]
        wanted = {item.subject for item in items} | {a.subject for a in reply_to}
        lock_subjects(conn, wanted)
        erased = dict(
            conn.execute(
                select(erasures.c.subject, erasures.c.erased_at).where(erasures.c.subject.in_(sorted(wanted)))
            ).all()
        )
        # A value sent before its sender's erasure is not kept: its ref opens nothing.
        kept = [(ref, item) for ref, item in zip(refs, items, strict=True) if not _before(item, erased, now)]
        addresses = [a for a in reply_to if not _before(a, erased, now)]
        if not kept and not addresses:
            return refs, addresses
        data_keys = self._data_keys(conn, {item.subject for _, item in kept} | {a.subject for a in addresses}, now)
        replies.keep(conn, data_keys, addresses, now, now + self.retention_s)
        if not kept:
            return refs, addresses
        conn.execute(
            insert(entries),
            [
                {
                    "ref": ref,
                    "subject": item.subject,
                    "conversation": item.conversation or None,
                    "event_id": item.event_id,
                    "entity_type": item.entity_type,
                    "sealed": seal(
                        data_keys[item.subject],
                        item.value,
                        associated_data(ref, item.event_id, item.entity_type, item.subject),
                    ),
                    "created_at": now,
                    "expires_at": now + self.retention_s,
                }
                for ref, item in kept
            ],
        )
        return refs, addresses

    def open_entry(self, row: Row) -> str:
        """The value of an ``entries`` row joined with its subject's ``key_id`` and ``wrapped_key``.
        Raises InvalidTag (tampered or wrong key) or UnknownMasterKey."""
        data_key = self.keys.unwrap(row.key_id, row.wrapped_key, row.subject)
        return open_sealed(data_key, row.sealed, associated_data(row.ref, row.event_id, row.entity_type, row.subject))

    def _data_keys(self, conn: Connection, wanted: set[str], now: int) -> dict[str, bytes]:
        rows = conn.execute(select(subjects).where(subjects.c.subject.in_(sorted(wanted)))).all()
        found = {r.subject: self.keys.unwrap(r.key_id, r.wrapped_key, r.subject) for r in rows}
        for subject in sorted(wanted - found.keys()):
            data_key = new_data_key()
            key_id, wrapped = self.keys.wrap(data_key, subject)
            try:
                with conn.begin_nested():
                    conn.execute(
                        insert(subjects).values(subject=subject, key_id=key_id, wrapped_key=wrapped, created_at=now)
                    )
                found[subject] = data_key
            except IntegrityError:  # another worker made it first: use theirs
                row = conn.execute(select(subjects).where(subjects.c.subject == subject)).one()
                found[subject] = self.keys.unwrap(row.key_id, row.wrapped_key, subject)
        return found

    # -- reading --------------------------------------------------------------------------------

    def reveal(self, ref: str, reason: str | None, actor: str) -> Revealed:
        """The original value of ``ref``; every attempt, refused or not, is audited."""
        now = self._now()
        actor = check_actor(actor)
        if not VAULT_REF.fullmatch(ref):  # a pasted value or control characters: never into the log
            with self.engine.begin() as conn:
                audit_log.append(conn, at=now, actor=actor, action="reveal", ref="<malformed>", outcome="refused")
            raise RevealRefused("no value for this ref (unknown, expired or erased)")
        try:
            text = check_reason(reason)
        except BadReason:
            with self.engine.begin() as conn:
                audit_log.append(conn, at=now, actor=actor, action="reveal", ref=ref, outcome="bad_reason")
            raise
        with self.engine.begin() as conn:
            row = conn.execute(
                select(entries, subjects.c.key_id, subjects.c.wrapped_key)
                .join(subjects, subjects.c.subject == entries.c.subject)
                .where(entries.c.ref == ref, entries.c.expires_at > now)
            ).first()
            outcome, revealed, missing_key = "refused", None, None
            if row is not None:
                try:
                    value = self.open_entry(row)
                    outcome, revealed = "revealed", Revealed(row.ref, row.event_id, row.entity_type, row.subject, value)
                except InvalidTag:
                    outcome = "undecryptable"
                except UnknownMasterKey as exc:
                    outcome, missing_key = "key_not_loaded", exc
            audit_log.append(
                conn, at=now, actor=actor, action="reveal", ref=ref,
                subject=row.subject if row is not None else None, reason=text, outcome=outcome,
            )  # fmt: skip
        if missing_key is not None:
            raise missing_key  # the operator's configuration, not the ref: say so
        if revealed is None:
            raise RevealRefused("no value for this ref (unknown, expired or erased)")
        return revealed

    # -- forgetting -----------------------------------------------------------------------------

    def erase(self, subject: str, actor: str, reason: str | None = None) -> Erased:
        """Destroy ``subject``'s key and delete its values."""
        actor = check_actor(actor)
        now = self._now()
        with self.engine.begin() as conn:
            lock_subjects(conn, {subject})  # a write of theirs in flight commits first, then goes
            conn.execute(delete(erasures).where(erasures.c.subject == subject))
            conn.execute(insert(erasures).values(subject=subject, erased_at=now))
            had_key = bool(conn.execute(delete(subjects).where(subjects.c.subject == subject)).rowcount)
            removed = conn.execute(delete(entries).where(entries.c.subject == subject)).rowcount
            conn.execute(delete(forms).where(forms.c.subject == subject))  # open forms hold raw ids
            conn.execute(delete(reply_to).where(reply_to.c.subject == subject))
            audit_log.append(
                conn, at=now, actor=actor, action="erase", subject=subject,
                reason=" ".join(reason.split()) if reason else None,
                outcome=f"erased {removed}" if had_key else "no key held",
            )  # fmt: skip
        self._recent.forget(subject)
        return Erased(had_key, int(removed), scrub(self.engine))

    def sweep(self, actor: str = "sweep") -> int:
        """Delete values past their retention; returns how many."""
        now = self._now()
        with self.engine.begin() as conn:
            removed = int(conn.execute(delete(entries).where(entries.c.expires_at <= now)).rowcount)
            conn.execute(delete(reply_to).where(reply_to.c.expires_at <= now))
            conn.execute(delete(erasures).where(erasures.c.erased_at <= now - self.retention_s))
            # An expired form keeps its row a day, to answer "expired" rather than "unknown".
            conn.execute(delete(forms).where(forms.c.expires_at <= now - FORM_KEPT_S))
            conn.execute(update(forms).where(forms.c.expires_at <= now).values(conversation_id=None, sender_id=None))
            if removed:
                audit_log.append(conn, at=now, actor=actor, action="sweep", outcome=f"expired {removed}")
        scrub(self.engine)
        return removed

    def rotate_master(self, new_keys: KeyProvider, actor: str) -> int:
        """Re-wrap every subject key under ``new_keys``' current master key (which must also
        unwrap the old one); returns how many were re-wrapped."""
        done = 0
        with self.engine.begin() as conn:
            stale = conn.execute(select(subjects).where(subjects.c.key_id != new_keys.key_id)).all()
            for row in stale:
                key_id, wrapped = new_keys.wrap(new_keys.unwrap(row.key_id, row.wrapped_key, row.subject), row.subject)
                conn.execute(
                    update(subjects).where(subjects.c.subject == row.subject).values(key_id=key_id, wrapped_key=wrapped)
                )
                done += 1
            audit_log.append(conn, at=self._now(), actor=actor, action="rotate_master", outcome=f"rewrapped {done}")
        self.keys = new_keys
        scrub(self.engine)  # the old wrapped keys' page images
        return done

    def stale_keys(self) -> int:
        """Subjects whose key is wrapped by another master key than the current one."""
        with self.engine.connect() as conn:
            return len(conn.execute(select(subjects.c.subject).where(subjects.c.key_id != self.keys.key_id)).all())

    def verify_audit(self) -> audit_log.Verdict:
        with self.engine.connect() as conn:
            rows: Iterable = (r._mapping for r in conn.execute(select(audit).order_by(audit.c.seq)))
            verdict = audit_log.verify(rows)
            head = conn.execute(select(audit_head.c.seq, audit_head.c.hash)).first()
        if verdict.ok and head is not None and (head.seq, head.hash) != (verdict.entries, verdict.head):
            problem = f"the log ends at entry {verdict.entries}, its head says {head.seq} (entries cut off the end)"
            return audit_log.Verdict(verdict.entries, verdict.head, problem)
        return verdict


def lock_subjects(conn: Connection, wanted: set[str]) -> None:
    """Serialise writes and erasures of the same subjects until ``conn``'s transaction ends, so an
    erasure never runs beside a write of that subject's values (PostgreSQL's READ COMMITTED would
    let each miss the other's rows)."""
    if conn.dialect.name == "postgresql":
        for subject in sorted(wanted):  # one order everywhere: no deadlock between two writers
            conn.execute(text("SELECT pg_advisory_xact_lock(hashtextextended(:s, 7))"), {"s": subject})
    else:  # SQLite has one writer: take its lock now, so what is read next is current
        conn.execute(update(audit_head).where(audit_head.c.id == -1).values(seq=audit_head.c.seq))


def _before(item: Item | ReplyAddress, erased: dict[str, int], now: int) -> bool:
    erased_at = erased.get(item.subject)
    if erased_at is None:
        return False
    sent = datetime.fromisoformat(item.sent_at.upper()).timestamp() if item.sent_at else now
    return sent <= erased_at


def open_vault(settings: VaultSettings) -> Vault:
    """The vault ``settings`` name: its master key read, its database opened and migrated."""
    from vault.keys import LocalKeys, read_master_key
    from vault.store import open_engine

    if settings.master_key_file is None:
        raise ConfigError("CHATGUARD_VAULT_MASTER_KEY_FILE: required")
    keys = LocalKeys(read_master_key(settings.master_key_file), *map(read_master_key, settings.previous_keys))
    return Vault(
        open_engine(settings.url),
        keys,
        settings.retention_days * 86_400,
        keep_reply_addresses=settings.reply_addresses,
    )
