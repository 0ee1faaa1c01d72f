"""The widget's fan-out: conversation pseudonym -> live event streams, and a small replay buffer.

Keyed by the conversation *pseudonym* the worker writes to ``chat.nlp`` (schemas.pseudonyms),
never by the raw conversation id. Bounded everywhere: subscribers in all, per conversation and
per client address; queue length per subscriber; replay buffer by count and bytes.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from dataclasses import dataclass, field

REPLAY_SLACK_MS = 2_000
CLOSE = object()  # queue sentinel: the stream must end (service stopping, or subscriber lagged)


@dataclass(eq=False)
class Subscriber:
    conversation_id: str
    queue: asyncio.Queue
    client: str | None = None


@dataclass
class Hub:
    """Conversation pseudonym -> live subscribers, plus a small buffer of recent events for replay."""

    queue_size: int = 32
    max_subscribers: int = 10_000
    max_per_conversation: int = 8
    max_per_client: int = 16
    recent_events: int = 2_000
    recent_bytes: int = 4 * 1024 * 1024
    _by_conversation: dict[str, set[Subscriber]] = field(default_factory=dict)
    _by_client: dict[str, int] = field(default_factory=dict)
    _count: int = 0
    # (conversation, event_id, chunk, received at in Unix ms), oldest first; bounded by count and bytes.
    _recent: deque = field(default_factory=deque)
    _recent_size: int = 0

    def has_room(self, conversation_id: str) -> bool:
        """Room overall and in this conversation (a 503 otherwise: nothing the client did)."""
        return (
            self._count < self.max_subscribers
            and len(self._by_conversation.get(conversation_id, ())) < self.max_per_conversation
        )

    def client_has_room(self, client: str | None) -> bool:
        """Room for one more stream from this client address (a 429 otherwise)."""
        return client is None or self._by_client.get(client, 0) < self.max_per_client

    def subscribe(self, conversation_id: str, client: str | None = None) -> Subscriber:
        subscriber = Subscriber(conversation_id, asyncio.Queue(self.queue_size), client)
        self._by_conversation.setdefault(conversation_id, set()).add(subscriber)
        if client is not None:
            self._by_client[client] = self._by_client.get(client, 0) + 1
        self._count += 1
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        subscribers = self._by_conversation.get(subscriber.conversation_id)
        if subscribers is None or subscriber not in subscribers:
            return
        subscribers.discard(subscriber)
        self._count -= 1
        if subscriber.client is not None:
            left = self._by_client.get(subscriber.client, 1) - 1
            if left > 0:
                self._by_client[subscriber.client] = left
            else:
                self._by_client.pop(subscriber.client, None)
        if not subscribers:
            del self._by_conversation[subscriber.conversation_id]

    def publish(self, conversation_id: str, event_id: str, chunk: bytes) -> None:
        self._remember(conversation_id, event_id, chunk)
        for subscriber in list(self._by_conversation.get(conversation_id, ())):
            try:
                subscriber.queue.put_nowait(chunk)
            except asyncio.QueueFull:
                # Lagging: end its stream; the page reconnects and replays what it missed.
                self.unsubscribe(subscriber)
                close_queue(subscriber.queue)

    def replay(self, conversation_id: str, cursor: str) -> list[bytes]:
        """Buffered events of this conversation after ``cursor``: an event id (all of them if
        that id is no longer buffered: eviction is oldest first, so every one left is newer), or
        ``t<Unix ms>`` from a ``ready`` event (with a little slack for another replica's clock;
        the page drops events it already shows)."""
        mine = [(eid, chunk, at) for cid, eid, chunk, at in self._recent if cid == conversation_id]
        if cursor[:1] == "t" and cursor[1:].isdigit():
            since = int(cursor[1:]) - REPLAY_SLACK_MS
            return [chunk for _, chunk, at in mine if at >= since]
        ids = [eid for eid, _, _ in mine]
        start = len(ids) - ids[::-1].index(cursor) if cursor in ids else 0
        return [chunk for _, chunk, _ in mine[start:]]

    def close_all(self) -> None:
        for subscribers in list(self._by_conversation.values()):
            for subscriber in list(subscribers):
                self.unsubscribe(subscriber)
                close_queue(subscriber.queue)

    def _remember(self, conversation_id: str, event_id: str, chunk: bytes) -> None:
        self._recent.append((conversation_id, event_id, chunk, int(time.time() * 1000)))
        self._recent_size += len(chunk)
        while self._recent and (len(self._recent) > self.recent_events or self._recent_size > self.recent_bytes):
            self._recent_size -= len(self._recent.popleft()[2])


def close_queue(queue: asyncio.Queue) -> None:
    while not queue.empty():
        queue.get_nowait()
    queue.put_nowait(CLOSE)
