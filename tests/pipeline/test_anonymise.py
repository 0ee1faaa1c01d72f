"""merge_overlaps and Anonymiser: no flagged character survives; findings point at replacements."""

from __future__ import annotations

import random
import re

import pytest

from pipeline.anonymise import Anonymiser, merge_overlaps
from pipeline.detection import Span
from pipeline.policies import Policy
from schemas.pseudonyms import Pseudonymiser
from schemas.redacted import RedactedMessage

KEY = b"k" * 32


def S(entity: str, start: int, end: int, score: float = 0.5) -> Span:
    return Span(entity, start, end, score)


MERGE_CASES = [
    # id, input spans, expected merged spans
    ("empty", [], []),
    ("single", [S("A", 2, 5)], [S("A", 2, 5)]),
    ("disjoint-sorted", [S("A", 0, 3), S("B", 5, 9)], [S("A", 0, 3), S("B", 5, 9)]),
    ("disjoint-unsorted", [S("B", 5, 9), S("A", 0, 3)], [S("A", 0, 3), S("B", 5, 9)]),
    ("adjacent-not-merged", [S("A", 0, 5), S("B", 5, 9)], [S("A", 0, 5), S("B", 5, 9)]),
    ("nested-outer-wins", [S("PERSON", 0, 10, 0.85), S("PHONE", 3, 5, 0.4)], [S("PERSON", 0, 10, 0.85)]),
    ("enclosing-names-the-group", [S("URL_PII", 0, 10, 0.6), S("EMAIL", 2, 4, 1.0)], [S("URL_PII", 0, 10, 1.0)]),
    ("enclosing-listed-last", [S("EMAIL", 2, 4, 1.0), S("URL_PII", 0, 10, 0.6)], [S("URL_PII", 0, 10, 1.0)]),
    ("overlap-second-wins", [S("A", 0, 5, 0.5), S("B", 3, 8, 0.9)], [S("B", 0, 8, 0.9)]),
    ("overlap-first-wins", [S("A", 0, 5, 0.9), S("B", 3, 8, 0.5)], [S("A", 0, 8, 0.9)]),
    ("chain", [S("A", 0, 5, 0.3), S("B", 4, 9, 0.4), S("C", 8, 12, 0.35)], [S("B", 0, 12, 0.4)]),
    ("chain-best-last", [S("A", 0, 5, 0.3), S("B", 4, 9, 0.4), S("C", 8, 12, 0.9)], [S("C", 0, 12, 0.9)]),
    ("chain-then-gap", [S("A", 0, 5), S("B", 4, 9), S("C", 10, 12, 0.9)], [S("A", 0, 9), S("C", 10, 12, 0.9)]),
    ("tie-longer-wins", [S("A", 0, 4, 0.5), S("B", 2, 10, 0.5)], [S("B", 0, 10, 0.5)]),
    ("tie-longer-first", [S("A", 0, 10, 0.5), S("B", 2, 4, 0.5)], [S("A", 0, 10, 0.5)]),
    ("same-range-best-score", [S("A", 3, 7, 0.4), S("B", 3, 7, 0.6)], [S("B", 3, 7, 0.6)]),
    (
        "two-groups",
        [S("A", 10, 14), S("B", 0, 3, 0.2), S("C", 12, 20, 0.7), S("D", 1, 2, 0.9)],
        [S("B", 0, 3, 0.9), S("C", 10, 20, 0.7)],
    ),
]


@pytest.mark.parametrize("case_id, spans, expected", MERGE_CASES, ids=[c[0] for c in MERGE_CASES])
def test_merge_overlaps(case_id, spans, expected):
    assert merge_overlaps(spans) == expected


def _covered(spans) -> set[int]:
    return {i for s in spans for i in range(s.start, s.end)}


@pytest.mark.parametrize("seed", range(25))
def test_merge_keeps_exactly_the_flagged_characters(seed):
    rng = random.Random(seed)
    spans = []
    for _ in range(rng.randint(0, 12)):
        start = rng.randint(0, 60)
        spans.append(S(rng.choice("ABC"), start, start + rng.randint(1, 12), round(rng.random(), 2)))
    merged = merge_overlaps(spans)
    assert _covered(merged) == _covered(spans)
    for left, right in zip(merged, merged[1:], strict=False):
        assert left.end <= right.start  # sorted, no overlaps
    for m in merged:
        members = [s for s in spans if m.start <= s.start and s.end <= m.end]
        assert members and m.score == max(s.score for s in members)
        enclosing = [s for s in members if (s.start, s.end) == (m.start, m.end)]
        if enclosing:  # the span enclosing the whole group names it
            assert m.entity_type in {s.entity_type for s in enclosing}
        else:
            assert m.entity_type in {s.entity_type for s in members if s.score == m.score}


# --- Anonymiser -------------------------------------------------------------------------

TEXT = "Hi, I'm Anna Nowak, mail anna.nowak@example.com or call +48 601 234 567."
VALUES = {"PERSON": "Anna Nowak", "EMAIL_ADDRESS": "anna.nowak@example.com", "PHONE_NUMBER": "+48 601 234 567"}


def _spans(text: str = TEXT, values: dict[str, str] = VALUES) -> list[Span]:
    spans = []
    for entity, value in values.items():
        start = text.index(value)
        spans.append(Span(entity, start, start + len(value), 0.87654321))
    return sorted(spans, key=lambda s: s.start)


def _anonymiser(operator: str, mask_char: str = "*", overrides=None) -> Anonymiser:
    return Anonymiser(Policy("p", "1", operator, mask_char, overrides or {}), Pseudonymiser(KEY))


def _expected_replacement(operator: str, entity: str, value: str, mask_char: str = "*") -> re.Pattern[str]:
    if operator == "mask":
        return re.compile(re.escape(mask_char * len(value)))
    if operator == "placeholder":
        return re.compile(re.escape(f"<{entity}>"))
    return re.compile(rf"<{entity}_[0-9a-f]{{16}}>")


@pytest.mark.parametrize(
    "operator, mask_char", [("mask", "*"), ("mask", "#"), ("placeholder", "*"), ("pseudonym", "*")]
)
def test_apply_findings_point_at_replacements(operator, mask_char):
    text, findings = _anonymiser(operator, mask_char).apply(TEXT, _spans())
    assert [f.entity_type for f in findings] == [s.entity_type for s in _spans()]
    for finding in findings:
        replaced = text[finding.start : finding.end]
        value = VALUES[finding.entity_type]
        assert _expected_replacement(operator, finding.entity_type, value, mask_char).fullmatch(replaced)
        assert finding.vault_ref is None
        assert finding.score == pytest.approx(0.8765, abs=1e-4)
    for value in VALUES.values():
        assert value not in text
    # Everything between the values is kept, in order.
    assert text.startswith("Hi, I'm ")
    assert ", mail " in text and " or call " in text and text.endswith(".")


@pytest.mark.parametrize("operator", ["mask", "placeholder", "pseudonym"])
def test_apply_output_is_a_valid_redacted_message(operator):
    text, findings = _anonymiser(operator).apply(TEXT, _spans())
    doc = {
        "event_id": "e1",
        "channel": "web",
        "channel_kind": "private",
        "conversation_id": "c",
        "sender": "u_1",
        "sent_at": "2026-11-29T10:00:00Z",
        "text": text,
        "findings": [
            {"entity_type": f.entity_type, "start": f.start, "end": f.end, "score": f.score} for f in findings
        ],
        "policy": "p",
        "policy_version": "1",
        "processed_at": "2026-11-29T10:00:00Z",
    }
    assert RedactedMessage.from_dict(doc).findings == findings


@pytest.mark.parametrize(
    "text, values",
    [
        ("anna@example.com", {"EMAIL_ADDRESS": "anna@example.com"}),  # the whole text
        ("anna@example.com wrote", {"EMAIL_ADDRESS": "anna@example.com"}),  # at the start
        ("write to anna@example.com", {"EMAIL_ADDRESS": "anna@example.com"}),  # at the end
        ("Anna NowakAnna", {"PERSON": "Anna Nowak"}),
        ("ąę Anna Nowak 🙂 x", {"PERSON": "Anna Nowak"}),  # non-ASCII before and after
    ],
)
@pytest.mark.parametrize("operator", ["mask", "placeholder", "pseudonym"])
def test_apply_at_the_edges(text, values, operator):
    redacted, findings = _anonymiser(operator).apply(text, _spans(text, values))
    (finding,) = findings
    (value,) = values.values()
    assert _expected_replacement(operator, finding.entity_type, value).fullmatch(redacted[finding.start : finding.end])
    assert redacted[: finding.start] == text[: text.index(value)]
    assert redacted[finding.end :] == text[text.index(value) + len(value) :]


def test_adjacent_spans_get_separate_replacements():
    text = "AnnaNowak"
    spans = [Span("PERSON", 0, 4, 0.9), Span("LOCATION", 4, 9, 0.6)]
    redacted, findings = _anonymiser("placeholder").apply(text, spans)
    assert redacted == "<PERSON><LOCATION>"
    assert [redacted[f.start : f.end] for f in findings] == ["<PERSON>", "<LOCATION>"]


def test_no_spans_leaves_text_unchanged():
    for operator in ("mask", "placeholder", "pseudonym"):
        assert _anonymiser(operator).apply(TEXT, []) == (TEXT, ())


def test_mask_keeps_length_and_positions():
    text, findings = _anonymiser("mask", "x").apply(TEXT, _spans())
    assert len(text) == len(TEXT)
    assert [(f.start, f.end) for f in findings] == [(s.start, s.end) for s in _spans()]


def test_pseudonym_is_stable_and_value_specific():
    anonymiser = _anonymiser("pseudonym")
    first, _ = anonymiser.apply("mail anna@example.com", [Span("EMAIL_ADDRESS", 5, 21, 1.0)])
    again, _ = anonymiser.apply("mail ANNA@example.com", [Span("EMAIL_ADDRESS", 5, 21, 1.0)])
    other, _ = anonymiser.apply("mail jan@example.com", [Span("EMAIL_ADDRESS", 5, 20, 1.0)])
    assert first == again  # case does not make another value
    assert first != other
    other_key = Anonymiser(Policy("p", "1", "pseudonym"), Pseudonymiser(b"z" * 32))
    assert other_key.apply("mail anna@example.com", [Span("EMAIL_ADDRESS", 5, 21, 1.0)])[0] != first


def test_overrides_change_one_entity_type_only():
    anonymiser = _anonymiser("placeholder", overrides={"EMAIL_ADDRESS": "mask", "PHONE_NUMBER": "pseudonym"})
    text, findings = anonymiser.apply(TEXT, _spans())
    by_type = {f.entity_type: text[f.start : f.end] for f in findings}
    assert by_type["PERSON"] == "<PERSON>"
    assert by_type["EMAIL_ADDRESS"] == "*" * len(VALUES["EMAIL_ADDRESS"])
    assert re.fullmatch(r"<PHONE_NUMBER_[0-9a-f]{16}>", by_type["PHONE_NUMBER"])


# --- numbered placeholders (nlp) ----------------------------------------------------------


def test_numbered_placeholders_are_stable_within_a_conversation(engine_key):
    from pipeline.anonymise import Anonymiser
    from pipeline.policies import Policy
    from schemas.pseudonyms import Pseudonymiser

    key = engine_key if isinstance(engine_key, bytes) else engine_key.encode()
    anonymiser = Anonymiser(Policy("nlp", "2", "numbered"), Pseudonymiser(key))

    def name(text: str, conversation: str) -> str:
        start = text.index(" ") + 1  # the name is everything after the first word
        return anonymiser.apply(text, [Span("PERSON", start, len(text), 0.9)], conversation)[0]

    assert name("hi Anna Nowak", "c1") == "hi <PERSON_1>"
    assert name("hi Piotr Lis", "c1") == "hi <PERSON_2>"
    assert name("bye anna  nowak", "c1") == "bye <PERSON_1>"  # same person, typed differently
    assert name("hi Piotr Lis", "c2") == "hi <PERSON_1>"  # numbering is per conversation


def test_numbered_placeholders_keep_bounded_state():
    from pipeline.anonymise import ConversationNumbers

    numbers = ConversationNumbers(max_conversations=2, max_values=3)
    assert numbers.number("a", "PERSON", "p1") == 1
    numbers.number("b", "PERSON", "p1")
    numbers.number("c", "PERSON", "p1")  # "a" is dropped: least recently active
    assert numbers.remembered("a") == 0
    for i in range(10):
        numbers.number("b", "EMAIL_ADDRESS", f"e{i}")
    assert numbers.remembered("b") == 3
    assert numbers.remembered("a") == 0
