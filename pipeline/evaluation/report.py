"""The side-by-side table ``chatguard eval`` and ``make bench`` print."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pipeline.evaluation.labelled import DIRECT_IDENTIFIERS, LabelledMessage
from pipeline.evaluation.metrics import (
    ALL_DIRECT,
    CHAT_TARGETS,
    Redactor,
    Report,
    TargetCheck,
    Targets,
    TypeStats,
    evaluate,
)

_LABEL_W, _N_W, _GROUP_W, _TARGET_W = 22, 6, 20, 14


def _pct(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{100 * value:.{digits}f} %"


def _target_text(checks: list[TargetCheck]) -> str:
    parts = []
    for check in checks:
        if check.name.endswith("vs baseline"):
            parts.append("≤ base")
        else:
            parts.append(("≥ " if check.higher_is_better else "≤ ") + f"{100 * check.limit:g} %")
    return ", ".join(parts)


def _gate_cells(checks: list[TargetCheck]) -> str:
    if not checks:
        return " " * _TARGET_W + "        | "
    passed = all(c.passed for c in checks)
    return f"{_target_text(checks):>{_TARGET_W}}  {'pass' if passed else 'FAIL':<4}  | "


def format_report(
    reports: Mapping[str, Report],
    *,
    title: str | None = None,
    targets: Targets = CHAT_TARGETS,
) -> str:
    """Side-by-side table, one column group per redactor. The FIRST report is the one under
    test: its rows carry the targets and pass/FAIL marks; with ``targets.floor`` the SECOND
    report is the baseline each type's leak is held to."""
    if not reports:
        return "(no reports)"
    names = list(reports)
    first = reports[names[0]]
    baseline = reports[names[1]] if len(names) > 1 else None
    all_checks = first.targets(targets, baseline)
    by_row: dict[str, list[TargetCheck]] = {}
    for check in all_checks:
        row_name = check.name.removesuffix(" vs baseline").removesuffix(" leak")
        by_row.setdefault(row_name, []).append(check)
    present = {t for r in reports.values() for t in r.per_type}
    if targets.require_every_type:
        present |= set(targets.leak)
    types = [t for t in DIRECT_IDENTIFIERS if t in present]

    lines: list[str] = []
    if title:
        lines.append(title)
    head1 = (
        " " * (_LABEL_W + _N_W)
        + " | "
        + f"{'target':>{_TARGET_W}}  gate  | "
        + " | ".join(f"{n[:_GROUP_W]:^{_GROUP_W}}" for n in names)
    )
    head2 = (
        f"{'entity type':<{_LABEL_W}}{'n':>{_N_W}} | "
        + " " * _TARGET_W
        + "        | "
        + " | ".join(f"{'recall':>9}{'leak':>11}" for _ in names)
    )
    rule = "-" * len(head1)
    lines += [head1, head2, rule]

    def type_row(label: str, stats_of) -> None:
        stats: list[TypeStats | None] = [stats_of(r) for r in reports.values()]
        count = next((s.n for s in stats if s is not None), 0)
        cells = [f"{_pct(s.recall if s else None):>9}{_pct(s.leak_rate if s else None, 2):>11}" for s in stats]
        lines.append(f"{label:<{_LABEL_W}}{count:>{_N_W}} | " + _gate_cells(by_row.get(label, [])) + " | ".join(cells))

    for etype in types:
        type_row(etype, lambda r, t=etype: r.per_type.get(t))
    lines.append(rule)
    type_row(ALL_DIRECT, lambda r: r.all_direct)

    def row(label: str, n: int | str, checks: list[TargetCheck], values: list[str]) -> None:
        lines.append(
            f"{label:<{_LABEL_W}}{n!s:>{_N_W}} | "
            + _gate_cells(checks)
            + " | ".join(f"{v:>{_GROUP_W}}" for v in values)
        )

    row("precision", "", [], [f"{_pct(r.precision)} of {r.detected_spans}" for r in reports.values()])
    row(
        "PII-free unchanged",
        first.pii_free,
        by_row.get("PII-free unchanged", []),
        [_pct(r.pii_free_unchanged_rate) for r in reports.values()],
    )
    row("withheld (errors)", "", [], [str(r.withheld) for r in reports.values()])
    row(
        "msgs/s", first.messages, [], ["-" if r.throughput is None else f"{r.throughput:.1f}" for r in reports.values()]
    )
    failed = [c.name for c in all_checks if not c.passed]
    lines.append(rule)
    lines.append(
        f"{names[0]}: "
        + (
            "all targets met"
            if not failed
            else f"{len(failed)} of {len(all_checks)} targets FAILED: {', '.join(failed)}"
        )
        + f" ({targets.name} targets{'; base = ' + names[1] if targets.floor and baseline else ''})"
    )
    lines.append(
        "recall: value fully covered (spans of any type); leak: normalised value still readable in the output; "
        "precision: detected spans touching a labelled value"
    )
    return "\n".join(lines)


def compare_on_set(
    name: str,
    messages: Sequence[LabelledMessage],
    engine: Any,
    destination: str,
    baseline: Redactor | None,
    targets: Targets,
) -> tuple[str, bool]:
    """One labelled set through chatguard's ``engine`` (and ``baseline``, plain Presidio, when
    given): the side-by-side table, and whether chatguard met every target."""
    from pipeline.evaluation.redactors import chatguard_redactor

    langs = {lang: sum(1 for m in messages if m.lang == lang) for lang in ("en", "pl")}
    pii_free = sum(1 for m in messages if not m.identifiers)
    title = (
        f"chatguard eval: {name}: {len(messages)} messages ({langs['en']} en, {langs['pl']} pl), "
        f"{pii_free} PII-free; chatguard output: {destination} policy"
    )
    reports = {f"chatguard ({destination})": evaluate(messages, chatguard_redactor(engine, destination), warmup=20)}
    if baseline is not None:
        reports["plain Presidio"] = evaluate(messages, baseline, warmup=20)
    ours, *base = reports.values()
    passed = all(c.passed for c in ours.targets(targets, base[0] if base else None))
    return format_report(reports, title=title, targets=targets), passed
