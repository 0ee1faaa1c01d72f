"""The worker's Prometheus metrics. Labels are topic, entity type, stage or error class:
bounded sets that never carry ids or text; and the version of the detection policy applied
(one series at a time)."""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram


class PipelineMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        # None means prometheus_client's default registry (passing registry=None would register nowhere).
        reg = REGISTRY if registry is None else registry
        self.events_in = Counter("chatguard_events_in_total", "Events read, by topic.", ["topic"], registry=reg)
        self.events_out = Counter(
            "chatguard_events_out_total", "Events written and acknowledged by Kafka, by topic.", ["topic"], registry=reg
        )
        self.findings = Counter(
            "chatguard_findings_total", "PII values found, by entity type.", ["entity_type"], registry=reg
        )
        self.redacted_events = Counter(
            "chatguard_redacted_events_total", "Events that had at least one value redacted.", registry=reg
        )
        self.detection_seconds = Histogram(
            "chatguard_detection_duration_seconds",
            "Time to detect and anonymise one batch of events.",
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=reg,
        )
        self.batch_size = Histogram(
            "chatguard_batch_size_events",
            "Events per detection batch.",
            buckets=(1, 4, 16, 64, 128, 256, 512, 1024),
            registry=reg,
        )
        self.quarantined = Counter(
            "chatguard_quarantined_events_total",
            "Events held back on chat.quarantine, by failed stage and error class.",
            ["stage", "error_class"],
            registry=reg,
        )
        self.errors = Counter("chatguard_errors_total", "Errors, by stage.", ["stage"], registry=reg)
        self.policy_version = Gauge(
            "chatguard_policy_version",
            "1 for the detection policy version in force, labelled with it and where it came from (file, topic).",
            ["version", "source"],
            registry=reg,
        )
        self.policy_rejected = Counter(
            "chatguard_policy_rejected_total",
            "chat.policy records not applied (the policy in force stays), by reason.",
            ["reason"],
            registry=reg,
        )

    def observe_redacted(self, findings: Mapping[str, int], redacted: int) -> None:
        """A batch's redactions, once Kafka has them: spans per entity type, events redacted."""
        for entity_type, count in findings.items():
            self.findings.labels(entity_type).inc(count)
        self.redacted_events.inc(redacted)

    def observe_policy(self, version: str, source: str) -> None:
        """The policy version now in force: its series alone is 1."""
        self.policy_version.clear()
        self.policy_version.labels(version, source).set(1)

    def observe_quarantine(self, stage: str, error_class: str) -> None:
        self.quarantined.labels(stage, error_class).inc()
        self.errors.labels(stage).inc()
