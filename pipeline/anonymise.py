"""Replace detected spans by one destination policy, and say where each replacement landed."""

from __future__ import annotations

from typing import Sequence

from pipeline.detection import Span
from pipeline.policies import Operator, Policy
from pipeline.pseudonyms import Pseudonymiser
from schemas.redacted import Finding


def merge_overlaps(spans: Sequence[Span]) -> list[Span]:
    """Union overlapping spans, so no character a recognizer flagged survives.

    The merged span is named by the span that encloses the whole group, if one does (a URL
    carrying an e-mail is a URL_PII; an address containing a name is a STREET_ADDRESS),
    otherwise by its highest-scoring member (ties: the longer one). Its score is the best
    of the group.
    """
    groups: list[list[Span]] = []
    group_end = -1
    for span in sorted(spans, key=lambda s: (s.start, -s.end)):
        if groups and span.start < group_end:
            groups[-1].append(span)
            group_end = max(group_end, span.end)
        else:
            groups.append([span])
            group_end = span.end
    merged = []
    for group in groups:
        start, end = group[0].start, max(s.end for s in group)
        enclosing = [s for s in group if s.start == start and s.end == end]
        best = max(enclosing or group, key=lambda s: (s.score, s.end - s.start))
        merged.append(Span(best.entity_type, start, end, max(s.score for s in group)))
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
