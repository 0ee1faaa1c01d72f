"""The release quality gate on text nobody on this project wrote: the set generated with
presidio-evaluator's own templates (tests/data/generate_presidio_evaluator.py), chatguard's
real engine (storage policy) side by side with plain Presidio (AnalyzerEngine + AnonymizerEngine
defaults, the same spaCy model).

Targets (pipeline.evaluation.PUBLIC_TARGETS): every entity type's leak at most plain
Presidio's, all direct identifiers together <= 12 %, e-mail, card, IBAN, SSN and IP <= 2 %
each, phone numbers <= 5 %, PII-free sentences unchanged >= 98 %. One test per target, each
failing with the whole table. Do not loosen a target to make this pass; improve the engine.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from pipeline.evaluation import (
    PUBLIC_TARGETS,
    Report,
    chatguard_redactor,
    evaluate,
    format_report,
    load_labelled,
    presidio_redactor,
)
from pipeline.settings import DEFAULT_MODEL

DATASET = Path(__file__).resolve().parents[1] / "data" / "presidio_evaluator_generated.jsonl"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def gate() -> tuple[Report, Report, str]:
    from pipeline.engine import RedactionEngine
    from pipeline.settings import Settings

    engine = RedactionEngine.from_settings(Settings.from_env({"CHATGUARD_PSEUDONYM_KEY": secrets.token_hex(32)}))
    messages = load_labelled(DATASET)
    ours = evaluate(messages, chatguard_redactor(engine, "storage"), warmup=20)
    plain = evaluate(messages, presidio_redactor(DEFAULT_MODEL), warmup=20)
    title = f"quality gate: {DATASET.name}, {len(messages)} messages, chatguard engine (storage) and plain Presidio"
    table = format_report({"chatguard (storage)": ours, "plain Presidio": plain}, title=title, targets=PUBLIC_TARGETS)
    return ours, plain, table


def _target_names() -> list:
    names = [f"{t} leak" for t in PUBLIC_TARGETS.leak] + ["all direct identifiers leak", "PII-free unchanged"]
    floors = [
        f"{t} leak vs baseline"
        for t in (
            "PERSON",
            "EMAIL_ADDRESS",
            "PHONE_NUMBER",
            "CREDIT_CARD",
            "IBAN_CODE",
            "IP_ADDRESS",
            "STREET_ADDRESS",
            "US_SSN",
            "US_DRIVER_LICENSE",
            "all direct identifiers",
        )
    ]
    return names + floors


@pytest.mark.parametrize("target", _target_names())
def test_public_quality_target(gate, target):
    ours, plain, table = gate
    checks = {c.name: c for c in ours.targets(PUBLIC_TARGETS, plain)}
    assert target in checks, f"{target}: no labelled values in {DATASET.name}\n\n{table}"
    check = checks[target]
    etype = target.removesuffix(" vs baseline").removesuffix(" leak")
    lines = ours.pii_free_changed if target == "PII-free unchanged" else ours.leaked_examples.get(etype, ())
    more = " ..." if len(lines) > 20 else ""
    where = f"\nlines {', '.join(map(str, lines[:20]))}{more} of {DATASET.name}" if lines else ""
    assert check.passed, f"{target}: {check.value!r} misses {check.limit!r}\n\n{table}{where}"
