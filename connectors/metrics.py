"""The ingest tier's Prometheus metrics. Labels: channel, status, reason — never ids or text."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram


class IngestMetrics:
    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        kw = {"registry": registry} if registry is not None else {}
        self.requests = Counter(
            "chatguard_ingest_requests_total", "Requests, by channel and HTTP status.", ["channel", "status"], **kw
        )
        self.rejections = Counter(
            "chatguard_ingest_rejections_total",
            "Rejected requests, by channel and reason.",
            ["channel", "reason"],
            **kw,
        )
        self.messages = Counter(
            "chatguard_ingest_messages_total", "Messages written to chat.raw and acknowledged.", ["channel"], **kw
        )
        self.duplicates = Counter(
            "chatguard_ingest_duplicates_total", "Redelivered messages dropped (already written).", ["channel"], **kw
        )
        self.ignored = Counter(
            "chatguard_ingest_ignored_events_total",
            "Platform events acknowledged but not chat text (reactions, joins, attachments...).",
            ["channel"],
            **kw,
        )
        self.produce_errors = Counter(
            "chatguard_ingest_produce_errors_total", "Writes Kafka did not acknowledge in time.", ["channel"], **kw
        )
        self.ack_latency = Histogram(
            "chatguard_ingest_ack_latency_seconds",
            "From request received to Kafka's acknowledgement of its messages.",
            ["channel"],
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
            **kw,
        )
