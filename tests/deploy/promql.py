"""Helpers for the dashboard and alert tests: the metrics chatguard's code defines (read from its
source, no import), the metric and label names a PromQL expression uses, and promtool."""

from __future__ import annotations

import ast
import re
import subprocess
import tempfile
from pathlib import Path

import yaml

from tests.support.tools import require_tool

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("pipeline", "connectors", "schemas")

# The canary's metrics (connectors/canary.py), named here as well so these tests do not depend on
# which lands first; once the code defines them, its definitions (and their labels) take over.
ANNOUNCED = {
    "chatguard_canary_leaks_total": "counter",
    "chatguard_canary_last_success_timestamp_seconds": "gauge",
    "chatguard_canary_probes_total": "counter",
}
# Labels Prometheus adds to every scraped series.
TARGET_LABELS = {"job", "instance"}
PROMQL_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset", "and", "or", "unless"}


def code_metrics() -> dict[str, tuple[str, frozenset[str] | None]]:
    """Every Prometheus metric created in chatguard's packages: exposed family name -> (type, labels).

    Found by reading each module's syntax tree for ``Counter(...)``, ``Gauge(...)``, ``Histogram(...)``,
    ``Summary(...)`` calls whose name is a string literal or a module-level string constant.
    Labels are None where they are not a literal list.
    """
    found: dict[str, tuple[str, frozenset[str] | None]] = {}
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            tree = ast.parse(path.read_text(), str(path))
            constants = {
                t.id: node.value.value
                for node in tree.body
                if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
                for t in node.targets
                if isinstance(t, ast.Name)
            }
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                kind = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if kind not in {"Counter", "Gauge", "Histogram", "Summary"} or not node.args:
                    continue
                first = node.args[0]
                name = first.value if isinstance(first, ast.Constant) else constants.get(getattr(first, "id", ""))
                if not isinstance(name, str) or not name.startswith("chatguard_"):
                    continue
                labels_node = node.args[2] if len(node.args) > 2 else next(
                    (k.value for k in node.keywords if k.arg == "labelnames"), None
                )
                if labels_node is None:
                    labels: frozenset[str] | None = frozenset()
                elif isinstance(labels_node, (ast.List, ast.Tuple)) and all(isinstance(e, ast.Constant) for e in labels_node.elts):
                    labels = frozenset(e.value for e in labels_node.elts)
                else:
                    labels = None
                if kind == "Counter" and not name.endswith("_total"):
                    name += "_total"  # prometheus_client exposes counters with the suffix
                found[name] = (kind.lower(), labels)
    return found


def known_series() -> dict[str, frozenset[str] | None]:
    """Every series name a scrape of chatguard can show -> its labels (None: not known here)."""
    series: dict[str, frozenset[str] | None] = {name: None for name in ANNOUNCED}
    for name, (kind, labels) in code_metrics().items():
        series[name] = labels
        if kind in {"histogram", "summary"}:
            series[name + "_sum"] = labels
            series[name + "_count"] = labels
        if kind == "histogram":
            series[name + "_bucket"] = None if labels is None else labels | {"le"}
    return series


_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_SELECTOR = re.compile(r"\b(chatguard_[A-Za-z0-9_:]*)\s*(\{[^}]*\})?")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)")


def metric_names(expr: str) -> set[str]:
    """chatguard_* metric names used in ``expr`` (quoted label values ignored)."""
    return {m.group(1) for m in _SELECTOR.finditer(_STRING.sub('""', expr))}


def label_problems(expr: str, series: dict[str, frozenset[str] | None]) -> list[str]:
    """Metric names the code does not define; label names no metric in ``expr`` carries."""
    problems = []
    bare = _STRING.sub('""', expr)
    used = metric_names(expr)
    available = set(TARGET_LABELS)
    for name in sorted(used):
        if name not in series:
            problems.append(f"unknown metric {name}")
        elif series[name] is not None:
            available |= series[name]
    if problems or any(series[n] is None for n in used):
        return problems  # labels of a metric not defined here (yet) are not known: nothing more to check
    for match in _SELECTOR.finditer(bare):
        name, matchers = match.group(1), match.group(2) or ""
        for label in re.findall(r"([A-Za-z_][A-Za-z0-9_]*)\s*(?:=~|!~|!=|=)", matchers):
            if name in series and label not in (series[name] or set()) | TARGET_LABELS:
                problems.append(f"{name} has no label {label}")
    for group in _GROUPING.finditer(bare):
        for label in (x.strip() for x in group.group(1).split(",")):
            if label and label not in available:
                problems.append(f"no metric in the expression has label {label} (by/on clause)")
    return problems


def promtool_check_exprs(exprs: dict[str, str]) -> subprocess.CompletedProcess:
    """``promtool check rules`` on ``exprs`` written as recording rules: parses every expression."""
    promtool = require_tool("promtool", "apt-get install prometheus")
    rules = {"groups": [{"name": "exprs", "rules": [{"record": name, "expr": expr} for name, expr in exprs.items()]}]}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "exprs.yml"
        path.write_text(yaml.safe_dump(rules, sort_keys=False))
        return subprocess.run([promtool, "check", "rules", str(path)], capture_output=True, text=True, timeout=60)
