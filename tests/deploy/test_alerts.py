"""deploy/prometheus/alerts.yml: valid rules (promtool check rules), passing unit tests
(promtool test rules alerts_test.yml), loaded by prometheus.yml, runbooks on every alert, and
only metrics the code defines."""

from __future__ import annotations

import subprocess

import yaml

from tests.deploy.promql import REPO, known_series, label_problems
from tests.support.tools import require_tool

PROMETHEUS_DIR = REPO / "deploy" / "prometheus"
ALERTS = PROMETHEUS_DIR / "alerts.yml"
ALERTS_TEST = PROMETHEUS_DIR / "alerts_test.yml"

EXPECTED = {
    "ChatguardConsumerLagGrowing": "warning",
    "ChatguardQuarantineNonZero": "warning",
    "ChatguardNoTraffic": "warning",
    "ChatguardIngest5xx": "warning",
    "ChatguardIngestDown": "critical",
    "ChatguardCanaryLeak": "critical",
    "ChatguardCanaryStale": "warning",
    "ChatguardWorkerDown": "critical",
}


def _rules() -> list[dict]:
    return [rule for group in yaml.safe_load(ALERTS.read_text())["groups"] for rule in group["rules"]]


def test_promtool_check_rules():
    promtool = require_tool("promtool", "apt-get install prometheus")
    result = subprocess.run([promtool, "check", "rules", str(ALERTS)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(_rules())} rules found" in result.stdout


def test_promtool_unit_tests():
    promtool = require_tool("promtool", "apt-get install prometheus")
    # rule_files in the test file are relative to it: run from its folder.
    result = subprocess.run(
        [promtool, "test", "rules", ALERTS_TEST.name], cwd=PROMETHEUS_DIR, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_unit_tests_cover_at_least_three_alerts():
    tests = yaml.safe_load(ALERTS_TEST.read_text())["tests"]
    firing = {
        case["alertname"] for test in tests for case in test.get("alert_rule_test", []) if case.get("exp_alerts")
    }
    assert len(firing & set(EXPECTED)) >= 3, firing
    assert {"ChatguardCanaryLeak", "ChatguardWorkerDown", "ChatguardQuarantineNonZero"} <= firing


def test_every_expected_alert_with_severity_and_runbook():
    rules = {r["alert"]: r for r in _rules() if "alert" in r}
    assert set(EXPECTED) <= set(rules), set(EXPECTED) - set(rules)
    for name, rule in rules.items():
        assert rule["labels"]["severity"] == EXPECTED.get(name, rule["labels"]["severity"]), name
        assert rule["labels"]["severity"] in {"critical", "warning"}, name
        annotations = rule["annotations"]
        for key in ("summary", "description", "runbook"):
            assert len(annotations.get(key, "")) > 20, f"{name}: annotation {key} missing or too short"


def test_alerts_use_only_metrics_the_code_defines():
    series = known_series()
    problems = {r["alert"]: p for r in _rules() if (p := label_problems(r["expr"], series))}
    assert not problems, problems


def test_specific_expressions():
    rules = {r["alert"]: r for r in _rules()}
    assert "increase(chatguard_quarantined_events_total[5m])" in rules["ChatguardQuarantineNonZero"]["expr"]
    assert "increase(chatguard_canary_leaks_total[15m]) > 0" in rules["ChatguardCanaryLeak"]["expr"]
    assert "time() - chatguard_canary_last_success_timestamp_seconds > 3600" in rules["ChatguardCanaryStale"]["expr"]
    assert 'up{job="chatguard-worker"} == 0' in rules["ChatguardWorkerDown"]["expr"]
    no_traffic = rules["ChatguardNoTraffic"]["expr"]
    assert "rate(chatguard_events_in_total" in no_traffic and "[10m]" in no_traffic and "absent(" in no_traffic
    assert 'status=~"5.."' in rules["ChatguardIngest5xx"]["expr"]


def test_prometheus_config_loads_the_rules():
    config = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    assert "alerts.yml" in config["rule_files"]
    jobs = {c["job_name"] for c in config["scrape_configs"]}
    # The alerts select these job names.
    assert {"chatguard-worker", "chatguard-ingest"} <= jobs
    compose = yaml.safe_load((REPO / "deploy" / "compose.yaml").read_text())
    assert "./prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro" in compose["services"]["prometheus"]["volumes"]
    promtool = require_tool("promtool", "apt-get install prometheus")
    result = subprocess.run(
        [promtool, "check", "config", str(PROMETHEUS_DIR / "prometheus.yml")], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 rule files found" in result.stdout
