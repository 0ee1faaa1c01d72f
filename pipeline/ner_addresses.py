"""Addresses the recognizers found, for the NER rules (``pipeline.ner``): a place NER tags is
part of an address when it overlaps one or continues it (the city and country lines of a block)."""

from __future__ import annotations

import re
from collections.abc import Iterable

# Between an address and the place that continues it: separators, postcodes, a line break.
_ADDRESS_GAP = re.compile(r"[\s,;\-–/()0-9]{0,24}")


class Addresses:
    """Where addresses stand in a text, and whether a span continues one: it overlaps one, or
    follows one across an ``_ADDRESS_GAP``. Per span, work is bounded by the span's and the
    gap's length, not by the number of addresses (64 KB of "Apt. 5 " holds thousands)."""

    _GAP = 24

    def __init__(self, text: str, addresses: Iterable[tuple[int, int]]) -> None:
        self._text = text
        self._covered = bytearray(len(text) + 1)
        self._ends: set[int] = set()
        for start, end in addresses:
            self.add(start, end)

    def add(self, start: int, end: int) -> None:
        self._covered[start:end] = b"\x01" * (end - start)
        self._ends.add(end)

    def continued_by(self, start: int, end: int) -> bool:
        if any(self._covered[start:end]):
            return True
        return any(
            a_end in self._ends and _ADDRESS_GAP.fullmatch(self._text, a_end, start)
            for a_end in range(max(0, start - self._GAP), start + 1)
        )
