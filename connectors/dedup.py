"""The in-process window of event ids already written to chat.raw.

Bounded both ways: at most ``size`` ids, each forgotten after ``ttl_s``. Platforms retry
within minutes (Slack: 3 tries over ~5 min; Meta and Telegram: until a 200, backing off),
so the defaults (100,000 ids, 1 hour) cover their retry windows at ~30 messages/s.
The window is per process; ``event_id`` is deterministic, so downstream consumers can drop
the rare duplicate two replicas both let through.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable


class SeenIds:
    def __init__(self, size: int = 100_000, ttl_s: float = 3600.0, clock: Callable[[], float] = time.monotonic) -> None:
        if size < 1 or ttl_s <= 0:
            raise ValueError("SeenIds: size and ttl must be positive")
        self._size = size
        self._ttl = ttl_s
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()
        # Ids being written right now: a concurrent redelivery waits for that write's outcome.
        self._in_flight: dict[str, asyncio.Future[bool]] = {}

    def __len__(self) -> int:
        return len(self._seen)

    def _expire(self, now: float) -> None:
        while self._seen:
            oldest, at = next(iter(self._seen.items()))
            if now - at < self._ttl and len(self._seen) <= self._size:
                return
            del self._seen[oldest]

    def seen(self, event_id: str) -> bool:
        now = self._clock()
        self._expire(now)
        return event_id in self._seen

    def add(self, event_id: str) -> None:
        now = self._clock()
        self._seen[event_id] = now
        self._seen.move_to_end(event_id)
        self._expire(now)

    async def claim(self, event_id: str) -> bool:
        """True: the caller should write this id. False: it was (or is being) written already."""
        while True:
            if self.seen(event_id):
                return False
            pending = self._in_flight.get(event_id)
            if pending is None:
                self._in_flight[event_id] = asyncio.get_running_loop().create_future()
                return True
            if await asyncio.shield(pending):
                return False
            # The other write failed: loop and try to claim it ourselves.

    def release(self, event_id: str, written: bool) -> None:
        """End a claim: remember the id if Kafka acknowledged it, otherwise let a retry in."""
        if written:
            self.add(event_id)
        pending = self._in_flight.pop(event_id, None)
        if pending is not None and not pending.done():
            pending.set_result(written)
