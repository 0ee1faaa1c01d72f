"""The bounded seen-id window: size, TTL, and concurrent redeliveries."""

from __future__ import annotations

import asyncio

import pytest

from connectors.dedup import SeenIds


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_remembers_ids_until_their_ttl():
    clock = Clock()
    seen = SeenIds(size=10, ttl_s=60, clock=clock)
    seen.add("a")
    clock.now = 59
    assert seen.seen("a")
    clock.now = 61
    assert not seen.seen("a")


def test_keeps_at_most_size_ids_dropping_the_oldest():
    seen = SeenIds(size=3, ttl_s=60, clock=Clock())
    for event_id in "abcd":
        seen.add(event_id)
    assert len(seen) == 3
    assert not seen.seen("a")
    assert all(seen.seen(e) for e in "bcd")


@pytest.mark.parametrize("size, ttl", [(0, 1), (1, 0), (-1, 5)])
def test_refuses_unbounded_or_empty_windows(size, ttl):
    with pytest.raises(ValueError):
        SeenIds(size=size, ttl_s=ttl)


async def test_a_written_id_is_not_claimed_again():
    seen = SeenIds()
    assert await seen.claim("x")
    seen.release("x", written=True)
    assert not await seen.claim("x")


async def test_a_failed_write_lets_the_retry_in():
    seen = SeenIds()
    assert await seen.claim("x")
    seen.release("x", written=False)
    assert await seen.claim("x")


async def test_concurrent_redelivery_waits_for_the_first_write():
    seen = SeenIds()
    assert await seen.claim("x")
    second = asyncio.create_task(seen.claim("x"))
    await asyncio.sleep(0.01)
    assert not second.done()  # waits for the first write's outcome
    seen.release("x", written=True)
    assert await second is False


async def test_concurrent_redelivery_takes_over_when_the_first_write_fails():
    seen = SeenIds()
    assert await seen.claim("x")
    second = asyncio.create_task(seen.claim("x"))
    await asyncio.sleep(0.01)
    seen.release("x", written=False)
    assert await second is True
