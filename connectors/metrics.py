"""The ingest tier's Prometheus metrics. Labels: channel, status, reason — never ids or text."""

from __future__ import annotations

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram


class IngestMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        # None means the process-wide default registry, as prometheus_client itself defaults to.
        registry = registry if registry is not None else REGISTRY
        self.requests = Counter(
            "chatguard_ingest_requests_total",
            "Requests, by channel and HTTP status.",
            ["channel", "status"],
            registry=registry,
        )
        self.rejections = Counter(
            "chatguard_ingest_rejections_total",
            "Rejected requests, by channel and reason.",
            ["channel", "reason"],
            registry=registry,
        )
        self.messages = Counter(
            "chatguard_ingest_messages_total",
            "Messages written to chat.raw and acknowledged.",
            ["channel"],
            registry=registry,
        )
        self.duplicates = Counter(
            "chatguard_ingest_duplicates_total",
            "Redelivered messages dropped (already written).",
            ["channel"],
            registry=registry,
        )
        self.ignored = Counter(
            "chatguard_ingest_ignored_events_total",
            "Platform events acknowledged but not chat text (reactions, joins, attachments...).",
            ["channel"],
            registry=registry,
        )
        self.produce_errors = Counter(
            "chatguard_ingest_produce_errors_total",
            "Writes Kafka did not acknowledge in time.",
            ["channel"],
            registry=registry,
        )
        self.ack_latency = Histogram(
            "chatguard_ingest_ack_latency_seconds",
            "From request received to Kafka's acknowledgement of its messages.",
            ["channel"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            registry=registry,
        )
