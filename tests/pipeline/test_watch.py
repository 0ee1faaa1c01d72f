"""The live view: parsing real Prometheus text and rendering rates."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest

from connectors.metrics import IngestMetrics
from pipeline.metrics import PipelineMetrics
from pipeline.watch import parse, render


def exposition(events: int, findings: int, accepted: int) -> str:
    registry = CollectorRegistry()
    metrics = PipelineMetrics(registry)
    metrics.events_in.labels("chat.raw").inc(events)
    metrics.events_out.labels("chat.storage").inc(events)
    metrics.findings.labels("EMAIL_ADDRESS").inc(findings)
    metrics.redacted_events.inc(findings)
    ingest = IngestMetrics(registry)
    ingest.messages.labels("slack").inc(accepted)
    ingest.rejections.labels("slack", "bad_signature").inc(2)
    return generate_latest(registry).decode()


def test_rates_and_counts_from_two_readings():
    before = parse(exposition(100, 40, 100), at=10.0)
    after = parse(exposition(300, 90, 300), at=12.0)
    lines = render(before, after)
    assert "300 events" in lines[0] and "100.0/s" in lines[0]
    assert "30.0% of events had PII" in lines[0]
    assert any("chat.storage" in line and "100.0/s" in line for line in lines)
    assert any("EMAIL_ADDRESS=90" in line for line in lines)
    assert any("slack=300" in line and "rejected: 2" in line for line in lines)
