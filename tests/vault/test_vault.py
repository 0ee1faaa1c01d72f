"""The vault on SQLite and on a real PostgreSQL: seal, reveal with a reason, erase, expire,
rotate the master key, and an audit chain that notices tampering."""

from __future__ import annotations

import os
import time

import pytest
from sqlalchemy import delete, select, text, update

from vault.core import Item, Vault
from vault.errors import BadReason, RevealRefused
from vault.keys import LocalKeys
from vault.store import open_engine
from vault.tables import audit, entries, subjects

REASON = "ship the contest prize to the winner"
ANNA, BOB = "u_00000000000000a1", "u_00000000000000b2"


def items() -> list[Item]:
    return [
        Item("ev1", "PERSON", ANNA, "Anna Nowak"),
        Item("ev1", "PHONE_NUMBER", ANNA, "+48 601 234 567"),
        Item("ev2", "EMAIL_ADDRESS", BOB, "bob@example.org"),
        Item("ev3", "STREET_ADDRESS", ANNA, "ul. Długa 5, 00-238 Warszawa"),
    ]


def test_values_are_sealed_and_revealed_with_a_reason(make_vault):
    vault = make_vault()
    refs = vault.put_many(items())
    assert len(set(refs)) == 4 and all(r.startswith("v_") and len(r) == 34 for r in refs)
    with vault.engine.connect() as conn:
        stored = b"".join(row.sealed for row in conn.execute(select(entries)))
        keys = b"".join(row.wrapped_key for row in conn.execute(select(subjects)))
    for item in items():
        assert item.value.encode() not in stored and item.value.encode() not in keys
    got = [vault.reveal(ref, REASON, "moderator-1") for ref in refs]
    assert [(g.value, g.entity_type, g.subject, g.event_id) for g in got] == [
        (i.value, i.entity_type, i.subject, i.event_id) for i in items()
    ]
    assert "Anna" not in repr(got[0])


def test_refs_are_random_not_derived_from_the_value(make_vault):
    vault = make_vault()
    first = vault.put_many([Item("ev1", "PERSON", ANNA, "Anna Nowak")])
    again = vault.put_many([Item("ev1", "PERSON", ANNA, "Anna Nowak")])
    assert first != again


@pytest.mark.parametrize("reason", [None, "", "   ", "too short", "x" * 501, "valid length\x00control"])
def test_a_reveal_without_an_acceptable_reason_is_refused_and_audited(make_vault, reason):
    vault = make_vault()
    (ref,) = vault.put_many(items()[:1])
    with pytest.raises(BadReason):
        vault.reveal(ref, reason, "moderator-1")
    with vault.engine.connect() as conn:
        last = conn.execute(select(audit).order_by(audit.c.seq.desc())).first()
    assert (last.action, last.ref, last.outcome, last.actor) == ("reveal", ref, "bad_reason", "moderator-1")


def test_unknown_refs_are_refused_the_same_way_and_audited(make_vault):
    vault = make_vault()
    vault.put_many(items())
    for ref in ("v_" + "0" * 32, "nonsense", "' OR 1=1 --", "v_" + "f" * 500):
        with pytest.raises(RevealRefused, match="unknown, expired or erased"):
            vault.reveal(ref, REASON, "moderator-1")
    verdict = vault.verify_audit()
    assert verdict.ok and verdict.entries == 4


def test_erasure_destroys_the_key_so_no_copy_of_the_values_opens(make_vault):
    vault = make_vault()
    refs = vault.put_many(items())
    with vault.engine.connect() as conn:
        backup = [dict(row._mapping) for row in conn.execute(select(entries).where(entries.c.subject == ANNA))]
    erased = vault.erase(ANNA, "dpo", "GDPR request 2026-117")
    assert (erased.had_key, erased.values) == (True, 3)
    for ref in (refs[0], refs[1], refs[3]):
        with pytest.raises(RevealRefused):
            vault.reveal(ref, REASON, "moderator-1")
    assert vault.reveal(refs[2], REASON, "moderator-1").value == "bob@example.org"  # others untouched
    # A backup of the erased subject's value rows, restored: ciphertext without a key.
    with vault.engine.begin() as conn:
        conn.execute(entries.insert(), backup)
    for ref in (refs[0], refs[1], refs[3]):
        with pytest.raises(RevealRefused):
            vault.reveal(ref, REASON, "moderator-1")
    # A new message from the same sender after erasure gets a new key; the old rows stay shut.
    later = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 2))  # sent after the erasure
    (new_ref,) = vault.put_many([Item("ev9", "PERSON", ANNA, "Anna N.", sent_at=later)])
    assert vault.reveal(new_ref, REASON, "moderator-1").value == "Anna N."
    with pytest.raises(RevealRefused):
        vault.reveal(refs[0], REASON, "moderator-1")


def test_a_value_moved_onto_another_ref_or_subject_does_not_open(make_vault):
    vault = make_vault()
    refs = vault.put_many(items())
    with vault.engine.begin() as conn:
        sealed = conn.execute(select(entries.c.sealed).where(entries.c.ref == refs[0])).scalar_one()
        conn.execute(update(entries).where(entries.c.ref == refs[1]).values(sealed=sealed))
    with pytest.raises(RevealRefused):
        vault.reveal(refs[1], REASON, "moderator-1")
    with vault.engine.connect() as conn:
        outcome = conn.execute(select(audit.c.outcome).order_by(audit.c.seq.desc())).scalar()
    assert outcome == "undecryptable"


def test_values_expire_after_the_retention_and_sweep_removes_them(make_vault):
    now = [1_000_000.0]
    vault = make_vault(retention_s=3600, clock=lambda: now[0])
    refs = vault.put_many(items())
    now[0] += 3599
    assert vault.reveal(refs[0], REASON, "m").value == "Anna Nowak"
    now[0] += 2
    with pytest.raises(RevealRefused):
        vault.reveal(refs[0], REASON, "m")
    assert vault.sweep() == 4
    with vault.engine.connect() as conn:
        assert conn.execute(select(entries)).first() is None


def test_master_key_rotation_rewraps_every_subject_key(make_vault):
    old, new = os.urandom(32), os.urandom(32)
    vault = make_vault(keys=LocalKeys(old))
    refs = vault.put_many(items())
    assert vault.rotate_master(LocalKeys(new, old), "admin") == 2
    rotated = make_vault(keys=LocalKeys(new))  # the old key is no longer needed
    assert [rotated.reveal(r, REASON, "m").value for r in refs] == [i.value for i in items()]
    stale = make_vault(keys=LocalKeys(old))
    with pytest.raises(Exception, match="not loaded"):
        stale.reveal(refs[0], REASON, "m")


def test_the_audit_chain_notices_an_edited_a_deleted_and_a_reordered_entry(make_vault):
    vault = make_vault()
    refs = vault.put_many(items())
    for ref in refs:
        vault.reveal(ref, REASON, "moderator-1")
    vault.erase(BOB, "dpo", "GDPR request 2026-118")
    good = vault.verify_audit()
    assert good.ok and good.entries == 5
    with vault.engine.begin() as conn:
        conn.execute(update(audit).where(audit.c.seq == 2).values(reason="routine check of the data"))
    assert "entry 2" in (vault.verify_audit().problem or "")
    with vault.engine.begin() as conn:
        conn.execute(update(audit).where(audit.c.seq == 2).values(reason=" ".join(REASON.split())))
    assert vault.verify_audit().ok
    with vault.engine.begin() as conn:
        conn.execute(delete(audit).where(audit.c.seq == 3))
    assert "entry 3" in (vault.verify_audit().problem or "")


def test_the_audit_holds_refs_and_pseudonyms_never_values(make_vault):
    vault = make_vault()
    refs = vault.put_many(items())
    vault.reveal(refs[0], REASON, "moderator-1")
    vault.erase(ANNA, "dpo", "GDPR request 2026-119")
    with vault.engine.connect() as conn:
        dump = repr([tuple(r) for r in conn.execute(select(audit))])
    assert all(i.value not in dump for i in items())
    assert refs[0] in dump and ANNA in dump


def test_two_writers_chain_the_audit_and_share_a_new_subjects_key(make_vault):
    import threading

    first, second = make_vault(keys=(keys := LocalKeys(os.urandom(32)))), make_vault(keys=keys)
    refs: list[str] = []
    errors: list[BaseException] = []

    def write(vault, n):  # type: ignore[no-untyped-def]
        try:
            for i in range(20):
                (ref,) = vault.put_many([Item(f"e{n}-{i}", "PERSON", "u_00000000000000c3", f"name {n}-{i}")])
                refs.append(ref)
                vault.reveal(ref, REASON, f"writer-{n}")
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(v, n)) for n, v in enumerate((first, second))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert first.verify_audit().ok and first.verify_audit().entries == 40
    with first.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM vault_subjects")).scalar() == 1
    assert {first.reveal(r, REASON, "m").value for r in refs} == {f"name {n}-{i}" for n in (0, 1) for i in range(20)}


def test_erasing_a_subject_the_vault_never_saw_says_so(make_vault):
    vault = make_vault()
    vault.put_many(items())
    erased = vault.erase("u_00000000000000ff", "dpo", "GDPR request 2026-121")
    assert (erased.had_key, erased.values) == (False, 0)
    with vault.engine.connect() as conn:
        assert conn.execute(select(audit.c.outcome).order_by(audit.c.seq.desc())).scalar() == "no key held"


def test_an_erased_key_and_its_values_leave_the_sqlite_files(tmp_path):
    """SQLite's files only: PostgreSQL keeps dead rows until VACUUM (README, Vault and erasure)."""
    database = tmp_path / "vault.db"
    keys = LocalKeys(os.urandom(32))
    vault = Vault(open_engine(f"sqlite:///{database}"), keys, 3600)
    reader = Vault(open_engine(f"sqlite:///{database}"), keys, 3600)  # another connection, as the worker keeps one
    refs = vault.put_many(items())
    assert reader.reveal(refs[2], REASON, "m").value == "bob@example.org"
    with vault.engine.connect() as conn:
        wrapped = conn.execute(select(subjects.c.wrapped_key).where(subjects.c.subject == ANNA)).scalar_one()
        sealed = [r.sealed for r in conn.execute(select(entries.c.sealed).where(entries.c.subject == ANNA))]
    assert vault.erase(ANNA, "dpo", "GDPR request 2026-122").scrubbed
    on_disk = b"".join(p.read_bytes() for p in (database, tmp_path / "vault.db-wal") if p.exists())
    assert wrapped not in on_disk
    assert not any(s[13:45] in on_disk for s in sealed)  # a stretch of each sealed value's ciphertext


def test_verify_notices_entries_cut_off_the_end(make_vault):
    vault = make_vault()
    refs = vault.put_many(items())
    for ref in refs:
        vault.reveal(ref, REASON, "moderator-1")
    with vault.engine.begin() as conn:
        conn.execute(delete(audit).where(audit.c.seq == 4))
    verdict = vault.verify_audit()
    assert not verdict.ok and "cut off the end" in (verdict.problem or "")


@pytest.mark.parametrize("actor", ["", "   ", "alice\x1b[2J", "x" * 201])
def test_an_actor_must_be_a_short_printable_name(make_vault, actor):
    vault = make_vault()
    (ref,) = vault.put_many(items()[:1])
    with pytest.raises(BadReason, match="actor"):
        vault.reveal(ref, REASON, actor)


def test_writes_sweep_expired_values_once_an_hour(make_vault):
    now = [1_000_000.0]
    vault = make_vault(retention_s=600, clock=lambda: now[0])
    first = vault.put_many(items()[:2])
    now[0] += 601  # expired, but the next sweep is due only an hour after the first write
    vault.put_many(items()[2:3])
    with vault.engine.connect() as conn:
        assert {r.ref for r in conn.execute(select(entries.c.ref))} >= set(first)
    now[0] += 3600
    vault.put_many(items()[3:])
    with vault.engine.connect() as conn:
        left = {r.ref for r in conn.execute(select(entries.c.ref))}
    assert not left & set(first) and len(left) == 1
