"""pipeline.evaluation: metric arithmetic with fake redactors, leak normalisation, labelled-file
errors, the committed data set, and ``chatguard eval``'s input errors. No model is loaded."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

from pipeline.evaluation import (
    ENTITY_TYPES,
    LEAK_TARGETS,
    Entity,
    LabelledDataError,
    LabelledMessage,
    Report,
    TypeStats,
    evaluate,
    format_report,
    is_digit_heavy,
    load_labelled,
    merge_spans,
    normalise_for_leak,
)
from runtime.cli import main as chatguard

DATA = Path(__file__).resolve().parents[1] / "data"
DATASET = DATA / "chat_pii_labelled.jsonl"


def labelled(text: str, *values: tuple[str, str], lang: str = "en") -> LabelledMessage:
    """A message whose entities are the given (type, value) pairs, each occurring once in text."""
    entities = []
    for etype, value in values:
        assert text.count(value) == 1, value
        start = text.index(value)
        entities.append(Entity(etype, start, start + len(value)))
    return LabelledMessage(text, tuple(entities), lang)


# The 5-message set: 2 PII-free controls, 5 labelled values (one a 3-letter name).
MESSAGES = [
    labelled(
        "Hi, I'm Anna Nowak, mail anna.nowak@example.com",
        ("PERSON", "Anna Nowak"),
        ("EMAIL_ADDRESS", "anna.nowak@example.com"),
    ),
    labelled("Call me on 601 234 567 please", ("PHONE_NUMBER", "601 234 567"), lang="pl"),
    labelled("My order number is 58213"),
    labelled("Promo code ZYW-4821-KX does not work", lang="pl"),
    labelled("Jan here, card 4111 1111 1111 1111", ("PERSON", "Jan"), ("CREDIT_CARD", "4111 1111 1111 1111")),
]


def mask(text: str, spans) -> str:
    chars = list(text)
    for start, end, _ in spans:
        chars[start:end] = "*" * (end - start)
    return "".join(chars)


class FakeRedactor:
    """Masks the labelled spans, minus ``skip`` (type, message index) pairs, plus ``extra`` spans."""

    def __init__(self, messages, skip=(), extra=None, withhold=(), rewrite=None):
        self.by_text = {m.text: i for i, m in enumerate(messages)}
        self.messages = messages
        self.skip = set(skip)
        self.extra = extra or {}
        self.withhold = set(withhold)
        self.rewrite = rewrite or {}
        self.calls: list[list[str]] = []

    def __call__(self, texts):
        self.calls.append(list(texts))
        out = []
        for text in texts:
            i = self.by_text[text]
            if i in self.withhold:
                out.append((None, []))
                continue
            spans = [(e.start, e.end, e.type) for e in self.messages[i].entities if (e.type, i) not in self.skip]
            spans += self.extra.get(i, [])
            redacted = mask(text, spans)
            for old, new in self.rewrite.get(i, []):
                redacted = redacted.replace(old, new)
            out.append((redacted, spans))
        return out


def test_perfect_redactor_scores_perfectly():
    report = evaluate(MESSAGES, FakeRedactor(MESSAGES))
    assert report.messages == 5
    assert {t: (s.n, s.found, s.leaked) for t, s in report.per_type.items()} == {
        "PERSON": (2, 2, 0),
        "EMAIL_ADDRESS": (1, 1, 0),
        "PHONE_NUMBER": (1, 1, 0),
        "CREDIT_CARD": (1, 1, 0),
    }
    assert list(report.per_type) == ["PERSON", "EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD"]  # ENTITY_TYPES order
    assert (report.detected_spans, report.spans_on_pii, report.precision) == (5, 5, 1.0)
    assert (report.pii_free, report.pii_free_unchanged, report.pii_free_unchanged_rate) == (2, 2, 1.0)
    assert report.withheld == 0
    assert report.per_type["PERSON"].recall == 1.0 and report.per_type["PERSON"].leak_rate == 0.0


def test_a_missed_email_is_a_leak_and_a_miss():
    report = evaluate(MESSAGES, FakeRedactor(MESSAGES, skip={("EMAIL_ADDRESS", 0)}))
    email = report.per_type["EMAIL_ADDRESS"]
    assert (email.n, email.found, email.leaked, email.recall, email.leak_rate) == (1, 0, 1, 0.0, 1.0)
    assert all(report.per_type[t].leaked == 0 for t in ("PERSON", "PHONE_NUMBER", "CREDIT_CARD"))
    assert (report.detected_spans, report.spans_on_pii) == (4, 4)
    assert report.pii_free_unchanged == 2
    assert report.leaked_examples == {"EMAIL_ADDRESS": (0,)}  # line numbers; 0 = built in code


def test_over_redacting_a_pii_free_message_costs_precision_and_unchanged_share():
    order = MESSAGES[2].text.index("58213")
    report = evaluate(MESSAGES, FakeRedactor(MESSAGES, extra={2: [(order, order + 5, "US_BANK_NUMBER")]}))
    assert (report.detected_spans, report.spans_on_pii) == (6, 5)
    assert report.precision == pytest.approx(5 / 6)
    assert (report.pii_free, report.pii_free_unchanged, report.pii_free_unchanged_rate) == (2, 1, 0.5)
    assert report.pii_free_changed == (0,)  # line numbers; 0 = built in code
    assert all(s.leaked == 0 and s.found == s.n for s in report.per_type.values())


def test_recall_needs_every_visible_character_covered_but_not_the_spaces():
    text = MESSAGES[1].text
    parts = [(text.index(p), text.index(p) + 3, "PHONE_NUMBER") for p in ("601", "234", "567")]
    report = evaluate(MESSAGES[1:2], lambda texts: [(mask(text, parts), parts)])
    assert report.per_type["PHONE_NUMBER"].found == 1  # spaces between the groups need no cover
    report = evaluate(MESSAGES[1:2], lambda texts: [(mask(text, parts[:2]), parts[:2])])
    phone = report.per_type["PHONE_NUMBER"]
    assert (phone.found, phone.leaked) == (0, 0)  # partly masked: missed, but not readable whole


def test_recall_counts_spans_of_any_type():
    text = MESSAGES[1].text
    start = text.index("601")
    spans = [(start, start + 11, "US_SSN")]
    report = evaluate(MESSAGES[1:2], lambda texts: [(mask(text, spans), spans)])
    assert report.per_type["PHONE_NUMBER"].found == 1


def test_a_digit_value_reformatted_in_the_output_still_leaks():
    redactor = FakeRedactor(MESSAGES, skip={("PHONE_NUMBER", 1)}, rewrite={1: [("601 234 567", "601-234.567")]})
    assert evaluate(MESSAGES, redactor).per_type["PHONE_NUMBER"].leaked == 1


def test_a_short_value_is_judged_by_coverage():
    # "Jan" (3 characters): a substring check would match "January"; coverage decides instead.
    report = evaluate(MESSAGES, FakeRedactor(MESSAGES, skip={("PERSON", 4)}))
    assert (report.per_type["PERSON"].found, report.per_type["PERSON"].leaked) == (1, 1)
    jan = LabelledMessage("Jan here, see you in January", (Entity("PERSON", 0, 3),), "en")
    report = evaluate([jan], lambda texts: [(texts[0].replace("Jan ", "*** "), [(0, 3, "PERSON")])])
    assert (report.per_type["PERSON"].found, report.per_type["PERSON"].leaked) == (1, 0)


def test_a_withheld_message_leaks_nothing_but_is_not_unchanged():
    report = evaluate(MESSAGES, FakeRedactor(MESSAGES, withhold={1, 3}))
    assert report.withheld == 2
    assert (report.per_type["PHONE_NUMBER"].found, report.per_type["PHONE_NUMBER"].leaked) == (0, 0)
    assert (report.pii_free, report.pii_free_unchanged) == (2, 1)


def test_warmup_runs_first_and_throughput_is_messages_over_time():
    redactor = FakeRedactor(MESSAGES)
    report = evaluate(MESSAGES, redactor, warmup=2)
    assert [len(c) for c in redactor.calls] == [2, 5]
    assert report.seconds > 0 and report.throughput == pytest.approx(5 / report.seconds)


def test_a_redactor_returning_the_wrong_count_is_an_error():
    with pytest.raises(ValueError, match="4 results for 5 texts"):
        evaluate(MESSAGES, lambda texts: FakeRedactor(MESSAGES)(texts)[:4])


def test_merge_spans_unions_overlaps():
    assert merge_spans([(5, 9, "B"), (0, 3, "A"), (2, 6, "C"), (12, 14, "D")]) == [(0, 9, "A"), (12, 14, "D")]


def _report(**leaked: int) -> Report:
    per_type = {t: TypeStats(t, 200, 200, leaked.get(t, 0)) for t in LEAK_TARGETS}
    return Report(1000, per_type, 100, 100, 100, 98, 0, 1.0)


def test_targets_pass_at_the_limit_and_fail_past_it():
    assert all(c.passed for c in _report(EMAIL_ADDRESS=1, PERSON=6, STREET_ADDRESS=10).targets())  # 0.5 %, 3 %, 5 %
    failed = [c.name for c in _report(EMAIL_ADDRESS=2, PERSON=7, STREET_ADDRESS=11).targets() if not c.passed]
    assert failed == ["EMAIL_ADDRESS leak", "PERSON leak", "STREET_ADDRESS leak"]
    unchanged = Report(1000, _report().per_type, 100, 100, 100, 97, 0, 1.0)
    assert [c.name for c in unchanged.targets() if not c.passed] == ["PII-free unchanged"]


def test_a_type_without_labelled_values_fails_its_target():
    report = evaluate(MESSAGES, FakeRedactor(MESSAGES))
    failed = {c.name for c in report.targets() if not c.passed}
    assert failed == {"IBAN_CODE leak", "PL_PESEL leak", "IP_ADDRESS leak", "STREET_ADDRESS leak"}


def test_format_report_puts_redactors_side_by_side_and_marks_the_first():
    reports = {
        "chatguard (storage)": evaluate(MESSAGES, FakeRedactor(MESSAGES, skip={("EMAIL_ADDRESS", 0)})),
        "plain Presidio": evaluate(MESSAGES, FakeRedactor(MESSAGES)),
    }
    text = format_report(reports, title="tiny")
    lines = text.splitlines()
    assert lines[0] == "tiny"
    assert "chatguard (storage)" in lines[1] and "plain Presidio" in lines[1]
    email = next(line for line in lines if line.startswith("EMAIL_ADDRESS"))
    assert "FAIL" in email and email.count("100.00 %") == 1 and email.count("0.00 %") == 2
    assert "pass" in next(line for line in lines if line.startswith("PHONE_NUMBER"))
    iban = next(line for line in lines if line.startswith("IBAN_CODE"))  # a target row with no data
    assert "FAIL" in iban and iban.split("|")[0].split()[-1] == "0"
    assert "pass" in next(line for line in lines if line.startswith("PII-free unchanged"))
    assert "msgs/s" in text and "precision" in text
    assert "targets FAILED" in text and "EMAIL_ADDRESS leak" in lines[-2]


# --- normalise_for_leak -------------------------------------------------------------------------

CYR_A, CYR_O, CYR_E = "\u0430", "\u043e", "\u0435"


@pytest.mark.parametrize(
    "value, expected",
    [
        ("Anna.Kowalska@WP.pl", "anna.kowalska@wp.pl"),
        (f"{CYR_A}nna.k{CYR_O}walska@wp.pl", "anna.kowalska@wp.pl"),  # Cyrillic а, о
        (f"j{CYR_E}ss{CYR_E}@EXAMPLE.COM", "jesse@example.com"),
        ("\u0397ELLO", "hello"),  # Greek capital eta
        ("an\u200bna@w\u200cp\u200d.p\u2060l\ufeff", "anna@wp.pl"),  # zero-width characters
        ("kowal\u00adska", "kowalska"),  # soft hyphen
        ("Straße", "strasse"),  # casefold, not lower
        ("６０１２３４５６７", "601234567"),  # fullwidth digits: NFKC
        ("+48 601-234-567", "48601234567"),  # digit-heavy: alphanumerics only
        ("6 0 1 2 3 4 5 6 7", "601234567"),
        ("601\u00ad234\u00ad567", "601234567"),
        ("PL61 1090 1014 0000 0712 1981 2874", "pl61109010140000071219812874"),
        ("ABC 123456", "abc123456"),  # 6 digits of 9: digit-heavy
        ("192.168.1.20", "192168120"),
        ("ul. Długa 12/4, 00-950 Warszawa", "ul. długa 12/4, 00-950 warszawa"),  # mostly letters: kept
        ("anna dot kowalska at wp dot pl", "anna dot kowalska at wp dot pl"),
    ],
)
def test_normalise_for_leak(value, expected):
    assert normalise_for_leak(value) == expected


def test_normalise_for_leak_alnum_only_can_be_forced_either_way():
    assert normalise_for_leak("call 601-234-567!", alnum_only=True) == "call601234567"
    assert normalise_for_leak("601-234-567", alnum_only=False) == "601-234-567"
    assert is_digit_heavy("601-234-567") and not is_digit_heavy("anna@wp.pl") and not is_digit_heavy("")


# --- load_labelled -----------------------------------------------------------------------------

GOOD = json.dumps(
    {"text": "mail anna@wp.pl", "entities": [{"type": "EMAIL_ADDRESS", "start": 5, "end": 15}], "lang": "pl"}
)


def _file(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "labelled.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_load_labelled_reads_lines_and_skips_blank_ones(tmp_path):
    messages = load_labelled(_file(tmp_path, GOOD, "", GOOD.replace('"pl"', '"en"')))
    assert [(m.line, m.lang) for m in messages] == [(1, "pl"), (3, "en")]
    assert messages[0].value(messages[0].entities[0]) == "anna@wp.pl"


@pytest.mark.parametrize(
    "bad, message",
    [
        ('{"text": "x", "entities": [], ', "invalid JSON"),
        ('["text"]', "must be a JSON object"),
        ('{"text": "x", "entities": [], "lang": "en", "id": 1}', "unknown field 'id'"),
        ('{"text": "x", "lang": "en"}', "missing field 'entities'"),
        ('{"text": 5, "entities": [], "lang": "en"}', "'text' must be a string"),
        ('{"text": "x", "entities": [], "lang": "de"}', "'lang' must be one of en, pl"),
        ('{"text": "x", "entities": {}, "lang": "en"}', "'entities' must be a list"),
        (
            '{"text": "abc", "entities": [{"type": "PERSON", "start": 1, "end": 4}], "lang": "en"}',
            "entities[0]: offsets 1..4 out of range",
        ),
        (
            '{"text": "abc", "entities": [{"type": "PERSON", "start": 2, "end": 2}], "lang": "en"}',
            "offsets 2..2 out of range",
        ),
        ('{"text": "abc", "entities": [{"type": "PERSON", "start": -1, "end": 2}], "lang": "en"}', "out of range"),
        ('{"text": "abc", "entities": [{"type": "PERSON", "start": "0", "end": 2}], "lang": "en"}', "must be integers"),
        (
            '{"text": "abc", "entities": [{"type": "PERSON", "start": true, "end": 2}], "lang": "en"}',
            "must be integers",
        ),
        (
            '{"text": "abc", "entities": [{"type": "NAME", "start": 0, "end": 2}], "lang": "en"}',
            "unknown entity type 'NAME'",
        ),
        (
            '{"text": "abc", "entities": [{"type": "PERSON", "start": 0, "end": 2, "score": 1}], "lang": "en"}',
            "entities[0]: unknown field 'score'",
        ),
        (
            '{"text": "abc", "entities": [{"type": "PERSON", "start": 0}], "lang": "en"}',
            "entities[0]: missing field 'end'",
        ),
        ('{"text": "abc", "entities": ["PERSON"], "lang": "en"}', "entities[0] must be an object"),
    ],
)
def test_load_labelled_names_the_bad_line(tmp_path, bad, message):
    path = _file(tmp_path, GOOD, "", bad, GOOD)
    with pytest.raises(LabelledDataError) as caught:
        load_labelled(path)
    assert str(caught.value).startswith(f"{path}:3: ")
    assert message in str(caught.value)


def test_load_labelled_unreadable_file(tmp_path):
    with pytest.raises(LabelledDataError, match="cannot read"):
        load_labelled(tmp_path / "missing.jsonl")
    (tmp_path / "latin1.jsonl").write_bytes(b'{"text": "\xe9"}\n')
    with pytest.raises(LabelledDataError, match="not UTF-8"):
        load_labelled(tmp_path / "latin1.jsonl")


# --- chatguard eval: input errors stop before any model loads -------------------------------------


def test_eval_command_names_the_bad_line_and_exits_2(tmp_path, capsys):
    path = _file(
        tmp_path, GOOD, '{"text": "abc", "entities": [{"type": "PERSON", "start": 0, "end": 9}], "lang": "en"}'
    )
    assert chatguard(["eval", str(path), "--baseline", "none"]) == 2
    err = capsys.readouterr().err
    assert f"{path}:2: entities[0]: offsets 0..9 out of range" in err


def test_eval_command_missing_file_exits_2(tmp_path, capsys):
    assert chatguard(["eval", str(tmp_path / "nope.jsonl")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_eval_command_rejects_a_bad_limit(tmp_path):
    with pytest.raises(SystemExit) as caught:
        chatguard(["eval", str(_file(tmp_path, GOOD)), "--limit", "0"])
    assert caught.value.code == 2


# --- the committed data set --------------------------------------------------------------------


def _generator():
    spec = importlib.util.spec_from_file_location("generate_labelled", DATA / "generate_labelled.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["generate_labelled"] = module  # dataclasses look their module up
    try:
        spec.loader.exec_module(module)
    finally:
        del sys.modules["generate_labelled"]
    return module


def test_committed_data_set_is_what_the_generator_writes():
    gen = _generator()
    messages = gen.generate()
    gen.self_check(messages)  # checksums of every identifier, size, PII-free share, template count
    assert gen.render(messages) == DATASET.read_text(encoding="utf-8"), (
        "stale: run python tests/data/generate_labelled.py"
    )


def test_committed_data_set_composition():
    messages = load_labelled(DATASET)
    assert len(messages) >= 2000
    langs = [m.lang for m in messages]
    assert 0.4 <= langs.count("en") / len(langs) <= 0.6
    assert sum(1 for m in messages if not m.entities) / len(messages) >= 0.25
    counts = {t: sum(1 for m in messages for e in m.entities if e.type == t) for t in ENTITY_TYPES}
    assert all(counts[t] > 0 for t in ENTITY_TYPES), counts
    assert all(counts[t] >= 200 for t in LEAK_TARGETS), counts  # a 0.5 % target needs a few hundred
    for m in messages:
        for e in m.entities:
            value = m.value(e)
            assert value == value.strip(), (m.line, value)
