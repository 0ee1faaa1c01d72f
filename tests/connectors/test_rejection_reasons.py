"""Every reason chatguard_ingest_rejections_total can carry is listed in the README's metrics
table: the reasons are read from the source (class defaults and the second argument of an
ingest error), so a new one cannot go undocumented."""

from __future__ import annotations

import ast
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ERRORS = {
    "IngestError",
    "BadRequest",
    "Unauthorized",
    "Forbidden",
    "PayloadTooLarge",
    "UnsupportedMediaType",
    "Unavailable",
    "TooManyRequests",
}


def reasons_in_source() -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "connectors").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "metric_reason" for t in node.targets):
                if isinstance(node.value, ast.Constant):
                    found.add(node.value.value)
            elif isinstance(node, ast.Call) and getattr(node.func, "id", None) in ERRORS and len(node.args) > 1:
                # (message, [retry-after,] metric reason): the reason is the last argument, a literal
                reason = node.args[-1]
                assert isinstance(reason, ast.Constant) and re.fullmatch(r"[a-z_]+", str(reason.value)), (
                    f"{path}:{node.lineno}: a metric reason must be a literal label"
                )
                found.add(reason.value)
    return found


def reasons_in_readme() -> set[str]:
    row = next(
        line for line in (ROOT / "README.md").read_text().splitlines() if "`chatguard_ingest_rejections_total`" in line
    )
    return set(re.findall(r"`([a-z_]+)`", row.split("refused:", 1)[1]))


def test_the_readme_lists_every_rejection_reason_and_no_other():
    source = reasons_in_source()
    assert len(source) >= 10  # the scan sees the reasons at all
    assert reasons_in_readme() == source
