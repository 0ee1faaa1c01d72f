"""deploy/grafana/dashboards/chatguard.json: well-formed, provisioned by compose, every PromQL
expression parses (promtool) and uses only metrics and labels the code defines."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from tests.deploy.promql import REPO, known_series, label_problems, metric_names, promtool_check_exprs

DASHBOARD = REPO / "deploy" / "grafana" / "dashboards" / "chatguard.json"
PROVIDER = REPO / "deploy" / "grafana" / "provisioning" / "dashboards" / "chatguard.yml"
DATASOURCES = REPO / "deploy" / "grafana" / "provisioning" / "datasources" / "prometheus.yml"
COMPOSE = REPO / "deploy" / "compose.yaml"

# Grafana's built-in variables, replaced the way Grafana would before the query reaches Prometheus.
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "30s", "$__range": "6h"}

# What the dashboard must show (the list), as metric names.
REQUIRED = {
    "chatguard_events_in_total",
    "chatguard_events_out_total",
    "chatguard_findings_total",
    "chatguard_redacted_events_total",
    "chatguard_quarantined_events_total",
    "chatguard_detection_duration_seconds_bucket",
    "chatguard_consumer_lag_messages",
    "chatguard_ingest_requests_total",
    "chatguard_ingest_rejections_total",
    "chatguard_ingest_ack_latency_seconds_bucket",
    "chatguard_canary_leaks_total",
    "chatguard_canary_last_success_timestamp_seconds",
}


def _dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def _panels(panels: list[dict]):
    for panel in panels:
        yield panel
        yield from _panels(panel.get("panels", []))


def _exprs() -> dict[str, str]:
    """Every target's expr, keyed 'panel title / refId', Grafana variables replaced."""
    exprs = {}
    for panel in _panels(_dashboard()["panels"]):
        for target in panel.get("targets", []):
            expr = target["expr"]
            for variable, value in GRAFANA_VARIABLES.items():
                expr = expr.replace(variable, value)
            exprs[f"{panel['title']} / {target['refId']}"] = expr
    return exprs


def test_dashboard_is_well_formed():
    dashboard = _dashboard()
    assert dashboard["uid"] == "chatguard" and dashboard["title"]
    panels = list(_panels(dashboard["panels"]))
    ids = [p["id"] for p in panels]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    datasource_uid = yaml.safe_load(DATASOURCES.read_text())["datasources"][0]["uid"]
    for panel in panels:
        assert {"type", "title", "gridPos"} <= set(panel), panel.get("title")
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        if panel["type"] == "row":
            continue
        assert panel["description"], f"{panel['title']}: say what the panel shows"
        assert panel["targets"], panel["title"]
        # Every query goes to the provisioned Prometheus data source, by its uid.
        for holder in (panel, *panel["targets"]):
            assert holder["datasource"] == {"type": "prometheus", "uid": datasource_uid}, panel["title"]
        ref_ids = [t["refId"] for t in panel["targets"]]
        assert len(ref_ids) == len(set(ref_ids)), panel["title"]
    # Panels must not overlap: no two share a grid cell.
    cells = set()
    for panel in panels:
        g = panel["gridPos"]
        for x in range(g["x"], g["x"] + g["w"]):
            for y in range(g["y"], g["y"] + g["h"]):
                assert (x, y) not in cells, f"{panel['title']} overlaps another panel at {(x, y)}"
                cells.add((x, y))


def test_no_template_variables_left_unresolved():
    for name, expr in _exprs().items():
        assert "$" not in expr, f"{name}: unknown Grafana variable in {expr!r}"


def test_every_expr_parses_with_promtool():
    exprs = _exprs()
    assert len(exprs) >= 15
    records = {f"dashboard:expr_{i}": expr for i, expr in enumerate(exprs.values())}
    result = promtool_check_exprs(records)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(records)} rules found" in result.stdout


def test_every_metric_and_label_exists_in_the_code():
    series = known_series()
    problems = {name: p for name, expr in _exprs().items() if (p := label_problems(expr, series))}
    assert not problems, problems


def test_dashboard_shows_everything_operators_need():
    used = set().union(*(metric_names(e) for e in _exprs().values()))
    assert REQUIRED <= used, REQUIRED - used
    titles = " ".join(p["title"].lower() for p in _panels(_dashboard()["panels"]))
    for word in ("throughput", "findings", "redaction rate", "quarantined", "latency", "lag", "rejections", "canary"):
        assert word in titles, word


@pytest.mark.parametrize("quantile", ["0.5", "0.95", "0.99"])
def test_detection_latency_percentiles(quantile):
    exprs = _exprs().values()
    assert any(
        re.search(rf"histogram_quantile\({quantile}, sum by \(le\) \(rate\(chatguard_detection_duration_seconds_bucket", e)
        for e in exprs
    )


def test_provisioned_by_compose():
    provider = yaml.safe_load(PROVIDER.read_text())
    assert provider["apiVersion"] == 1
    (entry,) = provider["providers"]
    assert entry["type"] == "file"
    path = entry["options"]["path"]
    compose = yaml.safe_load(COMPOSE.read_text())
    volumes = compose["services"]["grafana"]["volumes"]
    assert f"./grafana/dashboards:{path}:ro" in volumes
    assert "./grafana/provisioning:/etc/grafana/provisioning:ro" in volumes
