"""Replace detected spans by one destination policy, and say where each replacement landed."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence

from pipeline.detection import Span
from pipeline.policies import Operator, Policy
from pipeline.spans import overlap_groups
from schemas.pseudonyms import Pseudonymiser
from schemas.redacted import Finding


def merge_overlaps(spans: Sequence[Span]) -> list[Span]:
    """Union overlapping spans, so no character a recognizer flagged survives.

    The merged span is named by the span that encloses the whole group, if one does (a URL
    carrying an e-mail is a URL_PII; an address containing a name is a STREET_ADDRESS),
    otherwise by its highest-scoring member (ties: the longer one). Its score is the best
    of the group.
    """
    merged = []
    for group in overlap_groups(spans, lambda s: (s.start, s.end)):
        start, end = group[0].start, max(s.end for s in group)
        enclosing = [s for s in group if s.start == start and s.end == end]
        best = max(enclosing or group, key=lambda s: (s.score, s.end - s.start))
        merged.append(Span(best.entity_type, start, end, max(s.score for s in group)))
    return merged


class ConversationNumbers:
    """``<PERSON_1>`` stays the same person for the rest of a conversation.

    Bounded: at most ``max_conversations`` conversations are remembered (least recently
    active dropped first), each with at most ``max_values`` values. Values are held as keyed
    pseudonyms, never in clear. Numbering lives in the worker process: conversations are keyed
    to one partition and so to one worker, but a restart or rebalance starts them afresh.
    """

    def __init__(self, max_conversations: int = 10_000, max_values: int = 200) -> None:
        self._max_conversations = max_conversations
        self._max_values = max_values
        self._conversations: OrderedDict[str, dict[str, int]] = OrderedDict()

    def remembered(self, conversation_id: str) -> int:
        """How many values this conversation's numbering holds (0 if forgotten)."""
        return len(self._conversations.get(conversation_id, ()))

    def number(self, conversation_id: str, entity_type: str, pseudonym: str) -> int:
        numbers = self._conversations.get(conversation_id)
        if numbers is None:
            numbers = self._conversations[conversation_id] = {}
            if len(self._conversations) > self._max_conversations:
                self._conversations.popitem(last=False)
        else:
            self._conversations.move_to_end(conversation_id)
        key = f"{entity_type}:{pseudonym}"
        number = numbers.get(key)
        if number is None:
            number = sum(1 for k in numbers if k.startswith(entity_type + ":")) + 1
            if len(numbers) < self._max_values:
                numbers[key] = number
        return number


class Anonymiser:
    def __init__(
        self, policy: Policy, pseudonymiser: Pseudonymiser, numbers: ConversationNumbers | None = None
    ) -> None:
        self.policy = policy
        self._pseudonymiser = pseudonymiser
        self.numbers = numbers or ConversationNumbers()  # kept across policy versions (engine.apply_policies)

    def replacement(self, operator: Operator, entity_type: str, value: str, conversation_id: str = "") -> str:
        if operator == "mask":
            return self.policy.mask_char * len(value)
        if operator == "placeholder":
            return f"<{entity_type}>"
        pseudonym = self._pseudonymiser.value(entity_type, value)
        if operator == "numbered":
            return f"<{entity_type}_{self.numbers.number(conversation_id, entity_type, pseudonym)}>"
        return f"<{entity_type}_{pseudonym}>"

    def apply(
        self, text: str, spans: Sequence[Span], conversation_id: str = "", refs: Sequence[str | None] | None = None
    ) -> tuple[str, tuple[Finding, ...]]:
        """``spans`` must not overlap (see merge_overlaps) and must lie within ``text``; ``refs``,
        when given, are the spans' vault refs, in the same order."""
        parts: list[str] = []
        findings: list[Finding] = []
        cursor = 0
        length = 0
        for i, span in enumerate(spans):
            parts.append(text[cursor : span.start])
            length += span.start - cursor
            operator = self.policy.operator_for(span.entity_type)
            new = self.replacement(operator, span.entity_type, text[span.start : span.end], conversation_id)
            ref = refs[i] if refs is not None else None
            findings.append(Finding(span.entity_type, length, length + len(new), round(span.score, 4), ref))
            parts.append(new)
            length += len(new)
            cursor = span.end
        parts.append(text[cursor:])
        return "".join(parts), tuple(findings)
