"""Where each sender can be reached again (``schemas.keeping.ReplyAddress``), kept as values are.

One row per (sender, conversation): the raw ids sealed under the sender's data key, bound to the
row's subject and conversation, so erasure shreds them with the values and a copied row opens
nowhere else. The worker refreshes a row at most once a day per process (``Recent``): an address
written today is not written again on every message, and each row expires with the retention
period after the sender's last message.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import orjson
from sqlalchemy import Connection, delete, insert, select, tuple_

from schemas.keeping import ReplyAddress
from vault.crypto import associated_data, open_sealed, seal
from vault.keys import KeyProvider
from vault.tables import reply_to, subjects

REFRESH_S = 86_400
REMEMBERED = 100_000  # pairs one process remembers having written (about 11 MB)
CHUNK = 400  # pairs per DELETE: two parameters each, well inside every database's limits
_ENTITY = "REPLY_ADDRESS"


def _aad(subject: str, conversation: str) -> bytes:
    return associated_data("reply:" + conversation, "", _ENTITY, subject)


class Recent:
    """The (sender, conversation) pairs this process wrote in the last day: not written again."""

    def __init__(self) -> None:
        self._written: dict[tuple[str, str], int] = {}

    def fresh(self, addresses: Sequence[ReplyAddress], now: int) -> list[ReplyAddress]:
        return [a for a in addresses if self._written.get((a.subject, a.conversation), -REFRESH_S) <= now - REFRESH_S]

    def remember(self, addresses: Iterable[ReplyAddress], now: int) -> None:
        if len(self._written) >= REMEMBERED:
            self._written.clear()  # costs one extra write per pair, once
        for a in addresses:
            self._written[(a.subject, a.conversation)] = now

    def forget(self, subject: str) -> None:
        """After an erasure in this process: the sender's next message keeps a new address."""
        for pair in [p for p in self._written if p[0] == subject]:
            del self._written[pair]


def keep(
    conn: Connection, data_keys: dict[str, bytes], addresses: Sequence[ReplyAddress], now: int, expires_at: int
) -> None:
    """Replace the rows of ``addresses``' pairs (the caller holds their subjects' locks)."""
    if not addresses:
        return
    addresses = list({(a.subject, a.conversation): a for a in addresses}.values())  # one row a pair
    pairs = sorted((a.subject, a.conversation) for a in addresses)
    for start in range(0, len(pairs), CHUNK):  # a batch may bring thousands of senders
        conn.execute(
            delete(reply_to).where(
                tuple_(reply_to.c.subject, reply_to.c.conversation).in_(pairs[start : start + CHUNK])
            )
        )
    conn.execute(
        insert(reply_to),
        [
            {
                "subject": a.subject,
                "conversation": a.conversation,
                "channel": a.channel,
                "sealed": seal(
                    data_keys[a.subject],
                    orjson.dumps([a.channel, a.channel_kind, a.conversation_id, a.sender_id]).decode(),
                    _aad(a.subject, a.conversation),
                ),
                "updated_at": now,
                "expires_at": expires_at,
            }
            for a in addresses
        ],
    )


@dataclass(frozen=True, slots=True)
class Found:
    address: ReplyAddress
    updated_at: int


def find(conn: Connection, keys: KeyProvider, subject: str, conversation: str, now: int) -> Found | None:
    """The address of ``subject`` in ``conversation``, if one is kept and opens (None otherwise:
    never seen, expired, erased, or sealed under a master key not loaded)."""
    row = conn.execute(
        select(reply_to, subjects.c.key_id, subjects.c.wrapped_key)
        .join(subjects, subjects.c.subject == reply_to.c.subject)
        .where(reply_to.c.subject == subject, reply_to.c.conversation == conversation, reply_to.c.expires_at > now)
    ).first()
    if row is None:
        return None
    try:
        data_key = keys.unwrap(row.key_id, row.wrapped_key, subject)
        channel, kind, conversation_id, sender_id = orjson.loads(
            open_sealed(data_key, row.sealed, _aad(subject, conversation))
        )
    except Exception:  # tampered with, or a retired master key: as good as absent
        return None
    # The sealed channel, not the column (kept in clear for operators, so not trusted).
    return Found(ReplyAddress(subject, conversation, channel, kind, conversation_id, sender_id), row.updated_at)
