"""Erasure beside the worker's writes, on both databases: a batch in flight when the erasure comes
commits first and is then erased; a value sent before the erasure but processed after it (Kafka lag,
a replay) is not kept again; a value sent after it is kept, under a new key."""

from __future__ import annotations

import threading
import time

from sqlalchemy import func, select

from schemas.keeping import KeptValue
from vault.errors import RevealRefused
from vault.tables import entries, subjects

SUBJECT = "u_0123456789abcdef"
REASON = "customer asked to be called back"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def at(seconds: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


def count(vault, table) -> int:
    with vault.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def test_an_erasure_waits_for_a_write_in_flight_then_erases_it(make_vault):
    clock = Clock()
    vault = make_vault(clock=clock)
    erased = threading.Event()
    with vault.engine.begin() as conn:
        # The worker's batch: this subject's first value, not yet committed.
        vault.put_in(conn, [KeptValue("e1", "PHONE_NUMBER", SUBJECT, "+48 601 234 567", "c_1", at(clock.now))], 1)
        eraser = threading.Thread(target=lambda: (vault.erase(SUBJECT, "dpo", "GDPR request 2026-300"), erased.set()))
        eraser.start()
        time.sleep(1.0)
        assert not erased.is_set()  # it waits for the batch rather than missing its rows
    eraser.join(timeout=30)
    assert erased.is_set()
    assert count(vault, entries) == 0 and count(vault, subjects) == 0


def test_a_value_sent_before_the_erasure_is_not_kept_again(make_vault):
    clock = Clock()
    vault = make_vault(clock=clock)
    sent_before = at(clock.now - 60)
    vault.put_many([KeptValue("e1", "PHONE_NUMBER", SUBJECT, "+48 601 234 567", "c_1", sent_before)])
    clock.now += 10
    vault.erase(SUBJECT, "dpo", "GDPR request 2026-301")
    clock.now += 10
    # The same event again (a replay after a crash), and another sent before the erasure.
    late = vault.put_many(
        [
            KeptValue("e1", "PHONE_NUMBER", SUBJECT, "+48 601 234 567", "c_1", sent_before),
            KeptValue("e2", "EMAIL_ADDRESS", SUBJECT, "anna@example.com", "c_1", at(clock.now - 15)),
        ]
    )
    assert len(late) == 2 and count(vault, entries) == 0 and count(vault, subjects) == 0
    for ref in late:
        try:
            vault.reveal(ref, REASON, "moderator")
            raise AssertionError("a value of an erased subject was revealed")
        except RevealRefused:
            pass
    (fresh,) = vault.put_many([KeptValue("e3", "PHONE_NUMBER", SUBJECT, "+48 601 999 999", "c_1", at(clock.now))])
    assert vault.reveal(fresh, REASON, "moderator").value == "+48 601 999 999"


def test_the_record_of_an_erasure_goes_with_the_retention_period(make_vault):
    clock = Clock()
    vault = make_vault(clock=clock, retention_s=3600)
    vault.erase(SUBJECT, "dpo", "GDPR request 2026-302")
    clock.now += 3601
    vault.sweep()
    (ref,) = vault.put_many([KeptValue("e1", "PHONE_NUMBER", SUBJECT, "+48 601 234 567", "c_1", at(clock.now - 7200))])
    assert vault.reveal(ref, REASON, "moderator").value == "+48 601 234 567"
