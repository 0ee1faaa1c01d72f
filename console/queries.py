"""Reading the stored clean events (``console_messages``): conversations, messages, contest entries,
statistics. Masked text only: the table never holds an original."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Engine, func, select

from console.tables import messages, winners

CONTEST_CODE = re.compile(r"\b[A-Z0-9]{4}-[A-Z0-9]{4}\b")  # as printed under a bottle cap: 8K3F-Q9ZT
REF = re.compile(r"v_[0-9a-f]{32}")
PSEUDONYM = re.compile(r"[uc]_[0-9a-f]{16}")


@dataclass(frozen=True, slots=True)
class Message:
    event_id: str
    channel: str
    conversation: str
    sender: str
    sent_at: str
    text: str
    findings: list[dict[str, Any]]
    form: list[dict[str, Any]]

    @classmethod
    def of(cls, row: Any) -> Message:
        return cls(
            row.event_id, row.channel, row.conversation, row.sender, row.sent_at, row.text,
            orjson.loads(row.findings), orjson.loads(row.form),
        )  # fmt: skip

    def refs(self) -> dict[str, str]:
        """Each vault ref in this message and its entity type."""
        found = {f["vault_ref"]: f["entity_type"] for f in self.findings if f.get("vault_ref")}
        found |= {f["vault_ref"]: f["entity_type"] for f in self.form}
        return found


def _day(text: str) -> int | None:
    try:
        return int(datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC).timestamp())
    except ValueError:
        return None


def conversations(engine: Engine, channel: str = "", sender: str = "", day: str = "", limit: int = 200) -> list[Any]:
    query = select(
        messages.c.conversation,
        messages.c.channel,
        func.min(messages.c.sender).label("sender"),
        func.count().label("messages"),
        func.max(messages.c.sent_at).label("last"),
    ).group_by(messages.c.conversation, messages.c.channel)
    if channel:
        query = query.where(messages.c.channel == channel)
    if sender:
        query = query.where((messages.c.sender == sender) | (messages.c.conversation == sender))
    start = _day(day) if day else None
    if start is not None:
        query = query.where(messages.c.sent_ts >= start, messages.c.sent_ts < start + 86_400)
    with engine.connect() as conn:
        return list(conn.execute(query.order_by(func.max(messages.c.sent_ts).desc()).limit(limit)))


def channels(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return [r[0] for r in conn.execute(select(messages.c.channel).distinct().order_by(messages.c.channel))]


def conversation(engine: Engine, conversation_id: str, limit: int = 500) -> list[Message]:
    with engine.connect() as conn:
        rows = conn.execute(
            select(messages)
            .where(messages.c.conversation == conversation_id)
            .order_by(messages.c.sent_ts, messages.c.event_id)
            .limit(limit)
        )
        return [Message.of(r) for r in rows]


def holding_ref(engine: Engine, ref: str) -> Message | None:
    """The stored message that carries ``ref`` (the object a reveal is checked against)."""
    if not REF.fullmatch(ref):
        return None
    with engine.connect() as conn:
        # A ref is 32 random hex digits: a substring match finds only its own message.
        rows = conn.execute(
            select(messages).where(messages.c.findings.contains(ref) | messages.c.form.contains(ref)).limit(2)
        ).all()
    found = [Message.of(r) for r in rows]
    return found[0] if len(found) == 1 and ref in found[0].refs() else None


def is_contest_entry(message: Message) -> bool:
    return bool(CONTEST_CODE.search(message.text)) or any(f["field"] == "contest_code" for f in message.form)


def contest_entries(engine: Engine, limit: int = 300) -> list[tuple[Message, Any]]:
    """Messages holding a contest code (typed, or sent through a secure form), newest first, with
    the winner mark if any."""
    with engine.connect() as conn:
        rows = conn.execute(
            select(messages, winners.c.marked_by, winners.c.marked_at)
            .outerjoin(winners, winners.c.event_id == messages.c.event_id)
            .order_by(messages.c.sent_ts.desc())
            .limit(20_000)
        )
        out = []
        for row in rows:
            message = Message.of(row)
            if is_contest_entry(message) or _winner_form(message):
                out.append((message, row.marked_by))
            if len(out) >= limit:
                break
        return out


def _winner_form(message: Message) -> bool:
    return any(f["field"] in ("address", "name") for f in message.form)


def statistics(engine: Engine, days: int = 14, now: float | None = None) -> dict[str, Any]:
    """Volumes per channel and day, entity types found, the share of messages with personal data:
    counts only, no text."""
    now = datetime.now(UTC).timestamp() if now is None else now
    since = int(now // 86_400 - days + 1) * 86_400
    per_day: Counter[str] = Counter()
    redacted_per_day: Counter[str] = Counter()
    per_channel: Counter[str] = Counter()
    types: Counter[str] = Counter()
    with engine.connect() as conn:
        rows = conn.execute(
            select(messages.c.channel, messages.c.sent_ts, messages.c.findings).where(messages.c.sent_ts >= since)
        )
        for channel, sent_ts, findings in rows:
            day = datetime.fromtimestamp(sent_ts, UTC).strftime("%Y-%m-%d")
            found = orjson.loads(findings)
            per_day[day] += 1
            per_channel[channel] += 1
            if found:
                redacted_per_day[day] += 1
            types.update(f["entity_type"] for f in found)
    days_list = [datetime.fromtimestamp(since + i * 86_400, UTC).strftime("%Y-%m-%d") for i in range(days)]
    total = sum(per_day.values())
    return {
        "days": [
            {
                "day": d,
                "messages": per_day[d],
                "with_personal_data": redacted_per_day[d],
                "rate": round(redacted_per_day[d] / per_day[d], 3) if per_day[d] else 0.0,
            }
            for d in days_list
        ],
        "channels": dict(per_channel.most_common()),
        "entity_types": dict(types.most_common()),
        "messages": total,
        "rate": round(sum(redacted_per_day.values()) / total, 3) if total else 0.0,
    }


def winner_senders(engine: Engine) -> frozenset[str]:
    """Senders with an entry marked as a winner: a Contest Moderator opens only their addresses."""
    with engine.connect() as conn:
        rows = conn.execute(select(messages).join(winners, winners.c.event_id == messages.c.event_id))
        return frozenset(m.sender for m in map(Message.of, rows) if is_contest_entry(m))


def winning_entry(engine: Engine, event_id: str) -> Message | None:
    """The entry ``event_id`` if it is marked as a winner (a form goes to winners only)."""
    with engine.connect() as conn:
        row = conn.execute(
            select(messages)
            .join(winners, winners.c.event_id == messages.c.event_id)
            .where(messages.c.event_id == event_id)
        ).first()
    message = None if row is None else Message.of(row)
    return message if message is not None and is_contest_entry(message) else None
