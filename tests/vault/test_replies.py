"""Reply addresses on SQLite and a real PostgreSQL: where a sender can be reached again is kept
sealed under their key, opens only for its own sender and conversation, is written once a day
per pair, expires, and goes with an erasure (also when it arrives late)."""

from __future__ import annotations

import os
from datetime import UTC, datetime

from sqlalchemy import select, update

from schemas.keeping import ReplyAddress
from vault import replies
from vault.core import Item
from vault.keys import LocalKeys
from vault.tables import reply_to

ANNA, BOB = "u_00000000000000a1", "u_00000000000000b2"
HERE, THERE = "c_00000000000000a1", "c_00000000000000b2"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def address(subject: str = ANNA, conversation: str = HERE, sent_at: str = "", **ids: str) -> ReplyAddress:
    return ReplyAddress(
        subject, conversation, "telegram", ids.get("kind", "private"), ids.get("conversation_id", "tg-chat-70012345"),
        ids.get("sender_id", "tg-user-70012345"), sent_at,
    )  # fmt: skip


def found(vault, subject: str = ANNA, conversation: str = HERE):
    with vault.engine.connect() as conn:
        return replies.find(conn, vault.keys, subject, conversation, int(vault._clock()))


def rows(vault) -> list:
    with vault.engine.connect() as conn:
        return conn.execute(select(reply_to)).all()


def test_an_address_is_sealed_and_opens_for_its_sender_and_conversation(make_vault):
    vault = make_vault()
    assert vault.put_many([], [address(), address(BOB, THERE, sender_id="tg-user-999")]) == []
    stored = b"".join(row.sealed for row in rows(vault))
    assert b"tg-user-70012345" not in stored and b"tg-chat-70012345" not in stored
    got = found(vault)
    assert got is not None and got.address == address()
    assert found(vault, BOB, THERE).address.sender_id == "tg-user-999"
    assert found(vault, ANNA, THERE) is None and found(vault, BOB, HERE) is None
    assert "tg-user" not in repr(got.address)


def test_a_row_moved_to_another_sender_or_conversation_does_not_open(make_vault):
    vault = make_vault()
    vault.put_many([], [address(), address(BOB, THERE)])
    with vault.engine.begin() as conn:
        anna = conn.execute(select(reply_to.c.sealed).where(reply_to.c.subject == ANNA)).scalar_one()
        conn.execute(update(reply_to).where(reply_to.c.subject == BOB).values(sealed=anna))
    assert found(vault, BOB, THERE) is None
    assert found(vault) is not None


def test_written_once_a_day_per_pair_and_refreshed_after(make_vault):
    clock = Clock()
    vault = make_vault(clock=clock, retention_s=3 * 86_400)
    vault.put_many([], [address()])
    first = rows(vault)[0].updated_at
    clock.now += 3600
    vault.put_many([], [address(conversation_id="moved")])  # remembered today: not written
    assert rows(vault)[0].updated_at == first and found(vault).address.conversation_id == "tg-chat-70012345"
    clock.now += 86_400
    vault.put_many([], [address(conversation_id="moved")])
    assert rows(vault)[0].updated_at == first + 3600 + 86_400
    assert found(vault).address.conversation_id == "moved"


def test_another_process_refreshes_what_this_one_remembers(make_vault):
    """Two workers: each writes the pair once; the row stays one row."""
    clock, keys = Clock(), LocalKeys(os.urandom(32))
    one, two = make_vault(keys=keys, clock=clock), make_vault(keys=keys, clock=clock)
    one.put_many([], [address()])
    two.put_many([], [address(sender_id="tg-user-70012345")])
    assert len(rows(one)) == 1 and found(two) is not None


def test_addresses_expire_with_the_retention_period(make_vault):
    clock = Clock()
    vault = make_vault(clock=clock, retention_s=3600)
    vault.put_many([], [address()])
    clock.now += 3601
    assert found(vault) is None
    vault.sweep()
    assert rows(vault) == []


def test_erasure_removes_the_address_and_a_late_one_is_not_kept(make_vault):
    clock = Clock()
    vault = make_vault(clock=clock)
    sent = datetime.fromtimestamp(clock.now - 60, UTC).isoformat()
    vault.put_many([Item("ev1", "PERSON", ANNA, "Anna Nowak", HERE, sent)], [address(sent_at=sent)])
    vault.put_many([], [address(BOB, THERE)])
    clock.now += 10
    vault.erase(ANNA, "dpo", "GDPR request 2026/118")
    assert found(vault) is None and [r.subject for r in rows(vault)] == [BOB]
    vault.put_many([], [address(sent_at=sent)])  # Kafka lag: sent before the erasure, processed after
    assert rows(vault)[0].subject == BOB and len(rows(vault)) == 1
    after = datetime.fromtimestamp(clock.now + 5, UTC).isoformat()
    vault.put_many([], [address(sent_at=after)])  # they wrote again after it: reachable again
    assert found(vault) is not None


def test_off_keeps_no_address(make_vault):
    vault = make_vault()
    vault.keep_reply_addresses = False
    vault.put_many([Item("ev1", "PERSON", ANNA, "Anna Nowak")], [address()])
    assert rows(vault) == []


def test_a_batch_of_thousands_of_senders_is_kept_and_replaced(make_vault):
    clock = Clock()
    vault = make_vault(clock=clock)
    many = [address(f"u_{i:016x}", f"c_{i:016x}", sender_id=f"user-{i}") for i in range(2500)]
    vault.put_many([], many + many[:3])  # a pair twice in one batch: one row
    clock.now += 86_400
    vault.put_many([], [address(f"u_{i:016x}", f"c_{i:016x}", sender_id=f"moved-{i}") for i in range(2500)])
    assert len(rows(vault)) == 2500
    assert found(vault, "u_00000000000009c3", "c_00000000000009c3").address.sender_id == "moved-2499"


def test_the_channel_opens_from_the_sealed_value_not_the_clear_column(make_vault):
    vault = make_vault()
    vault.put_many([], [address()])
    with vault.engine.begin() as conn:
        conn.execute(update(reply_to).values(channel="slack"))
    assert found(vault).address.channel == "telegram"
