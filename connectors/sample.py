"""Synthetic chat traffic with personal data in it, for ``make run``, tests and benchmarks.

Every value is generated (valid checksums where the format has one), never a real person's.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from schemas.raw import ChannelKind, RawMessage

FIRST = ["Anna", "Piotr", "Katarzyna", "Tomasz", "John", "Emily", "Michael", "Sarah", "Marek", "Olivia"]
LAST = ["Kowalska", "Nowak", "Wiśniewski", "Smith", "Johnson", "Brown", "Lewandowski", "Taylor", "Wójcik", "Miller"]
CHANNELS: list[tuple[str, ChannelKind]] = [
    ("web", "private"),
    ("mobile", "private"),
    ("messenger", "public"),
    ("slack", "public"),
    ("telegram", "public"),
]

TEMPLATES = [
    "Hi, my name is {name} and my phone number is {phone}",
    "You can reach me at {email}, thanks!",
    "I won the contest! I'm {name}, send the prize to {email}",
    "Please charge my card {card}, name on card {name}",
    "My IBAN is {iban}, the refund should go there",
    "Call me back on {phone} after 5pm please",
    "Hello, this is {name}. My email is {email} and my number is {phone}",
    "The login failed from {ip}, can you check?",
    "What time do you open tomorrow?",
    "Is the 0.5 l bottle still 3.99 PLN?",
    "My order number is 58213, where is it?",
    "Thanks, that solved it!",
]


@dataclass(frozen=True, slots=True)
class SampleValues:
    """The PII a sample message was built with, so tests can check none of it leaked."""

    values: tuple[str, ...]


# Polish mobile prefixes: sample senders type mobile numbers, as chat users mostly do.
PL_MOBILE_PREFIXES = ("500", "501", "509", "510", "530", "570", "601", "606", "660", "691", "721", "790", "880")


def pl_mobile(rng: random.Random) -> str:
    return f"+48 {rng.choice(PL_MOBILE_PREFIXES)} {rng.randrange(100, 999)} {rng.randrange(100, 999)}"


def luhn_complete(prefix: str) -> str:
    digits = [int(d) for d in prefix]
    total = 0
    for i, d in enumerate(reversed(digits)):
        if i % 2 == 0:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return prefix + str((10 - total % 10) % 10)


def iban_pl(rng: random.Random) -> str:
    bban = "".join(str(rng.randrange(10)) for _ in range(24))
    # ISO 13616 check digits: move "PL00" to the end, letters to numbers, mod 97.
    check = 98 - int(bban + "2521" + "00") % 97
    return f"PL{check:02d}{bban}"


class SampleTraffic:
    def __init__(self, seed: int = 7) -> None:
        self._rng = random.Random(seed)
        self._seed = seed
        self._start = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)

    def _values(self) -> dict[str, str]:
        rng = self._rng
        first, last = rng.choice(FIRST), rng.choice(LAST)
        return {
            "name": f"{first} {last}",
            "email": f"{first.lower()}.{last.lower().replace('ś', 's').replace('ó', 'o')}{rng.randrange(100)}@example.com",
            "phone": rng.choice([pl_mobile(rng), f"(212) 555-{rng.randrange(1000, 9999)}"]),
            "card": luhn_complete("4" + "".join(str(rng.randrange(10)) for _ in range(14))),
            "iban": iban_pl(rng),
            "ip": f"192.0.2.{rng.randrange(1, 255)}",
        }

    def message(self, index: int) -> tuple[RawMessage, SampleValues]:
        rng = self._rng
        template = rng.choice(TEMPLATES)
        values = self._values()
        used = tuple(v for k, v in values.items() if "{" + k + "}" in template)
        channel, kind = rng.choice(CHANNELS)
        conversation = f"conv-{rng.randrange(1, 200)}"
        event_id = hashlib.sha256(f"sample:{self._seed}:{index}".encode()).hexdigest()[:32]
        sent_at = (self._start + timedelta(seconds=index)).isoformat().replace("+00:00", "Z")
        raw = RawMessage(
            event_id=event_id,
            channel=channel,
            channel_kind=kind,
            conversation_id=conversation,
            sender_id=f"user-{rng.randrange(1, 500)}",
            sent_at=sent_at,
            text=template.format(**values),
        )
        return raw, SampleValues(used)

    def messages(self, count: int | None = None) -> Iterator[tuple[RawMessage, SampleValues]]:
        index = 0
        while count is None or index < count:
            yield self.message(index)
            index += 1
