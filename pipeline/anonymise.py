"""Replace detected spans by one destination policy, and say where each replacement landed."""

from __future__ import annotations

from typing import Sequence

from pipeline.detection import Span
from pipeline.policies import Operator, Policy
from pipeline.pseudonyms import Pseudonymiser
from schemas.redacted import Finding


def merge_overlaps(spans: Sequence[Span]) -> list[Span]:
    """Union overlapping spans, so no character a recognizer flagged survives.

    The merged span takes the type of its highest-scoring member (ties: the longer one).
    """
    merged: list[Span] = []
    best_of_last: Span | None = None  # highest-scoring member of merged[-1]
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if best_of_last is None or span.start >= merged[-1].end:
            merged.append(span)
            best_of_last = span
            continue
        if (span.score, span.end - span.start) > (best_of_last.score, best_of_last.end - best_of_last.start):
            best_of_last = span
        last = merged[-1]
        merged[-1] = Span(best_of_last.entity_type, last.start, max(last.end, span.end), max(last.score, span.score))
    return merged


class Anonymiser:
    def __init__(self, policy: Policy, pseudonymiser: Pseudonymiser) -> None:
        self.policy = policy
        self._pseudonymiser = pseudonymiser

    def replacement(self, operator: Operator, entity_type: str, value: str) -> str:
        if operator == "mask":
            return self.policy.mask_char * len(value)
        if operator == "placeholder":
            return f"<{entity_type}>"
        return f"<{entity_type}_{self._pseudonymiser.value(entity_type, value)}>"

    def apply(self, text: str, spans: Sequence[Span]) -> tuple[str, tuple[Finding, ...]]:
        """``spans`` must not overlap (see merge_overlaps) and must lie within ``text``."""
        parts: list[str] = []
        findings: list[Finding] = []
        cursor = 0
        length = 0
        for span in spans:
            parts.append(text[cursor : span.start])
            length += span.start - cursor
            new = self.replacement(self.policy.operator_for(span.entity_type), span.entity_type, text[span.start : span.end])
            findings.append(Finding(span.entity_type, length, length + len(new), round(span.score, 4)))
            parts.append(new)
            length += len(new)
            cursor = span.end
        parts.append(text[cursor:])
        return "".join(parts), tuple(findings)
