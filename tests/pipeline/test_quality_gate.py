"""The release quality gate: chatguard's real engine, storage policy, on the committed labelled set.

Targets (pipeline.evaluation.LEAK_TARGETS / PII_FREE_UNCHANGED_TARGET): leak <= 0.5 % for
EMAIL_ADDRESS, PHONE_NUMBER, CREDIT_CARD, IBAN_CODE, PL_PESEL, IP_ADDRESS; <= 3 % PERSON;
<= 5 % STREET_ADDRESS; >= 98 % of PII-free messages unchanged. One test per target, each failing
with the whole report. Do not loosen a target to make this pass; improve the engine.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from pipeline.evaluation import (
    LEAK_TARGETS,
    Report,
    chatguard_redactor,
    evaluate,
    format_report,
    load_labelled,
)

DATASET = Path(__file__).resolve().parents[1] / "data" / "chat_pii_labelled.jsonl"
TARGETS = [f"{t} leak" for t in LEAK_TARGETS] + ["PII-free unchanged"]

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def gate() -> tuple[Report, str]:
    from pipeline.engine import RedactionEngine
    from pipeline.settings import Settings

    engine = RedactionEngine.from_settings(Settings.from_env({"CHATGUARD_PSEUDONYM_KEY": secrets.token_hex(32)}))
    messages = load_labelled(DATASET)
    report = evaluate(messages, chatguard_redactor(engine, "storage"), warmup=20)
    title = f"quality gate: {DATASET.name}, {len(messages)} messages, chatguard engine, storage policy"
    return report, format_report({"chatguard (storage)": report}, title=title)


@pytest.mark.parametrize("target", TARGETS)
def test_quality_target(gate, target):
    report, table = gate
    check = next(c for c in report.targets() if c.name == target)
    etype = target.removesuffix(" leak")
    lines = report.pii_free_changed if target == "PII-free unchanged" else report.leaked_examples.get(etype, ())
    what = "altered PII-free messages" if target == "PII-free unchanged" else "leaked values"
    more = " ..." if len(lines) > 20 else ""
    where = f"\n{what} are on lines {', '.join(map(str, lines[:20]))}{more} of {DATASET.name}" if lines else ""
    assert check.passed, f"{target}: {check.value!r} misses the target\n\n{table}{where}"
