"""The union of overlapping spans, shared by redaction (``pipeline.anonymise``) and evaluation."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TypeVar

S = TypeVar("S")


def overlap_groups(spans: Iterable[S], bounds: Callable[[S], tuple[int, int]]) -> list[list[S]]:
    """``spans`` grouped where they overlap (spans that only touch stay apart), groups in text
    order, each sorted by start, the longer first. A group covers from its first member's
    start to its members' furthest end."""
    groups: list[list[S]] = []
    group_end = -1
    for span in sorted(spans, key=lambda s: (bounds(s)[0], -bounds(s)[1])):
        start, end = bounds(span)
        if groups and start < group_end:
            groups[-1].append(span)
            group_end = max(group_end, end)
        else:
            groups.append([span])
            group_end = end
    return groups
