"""A probe's outcome, as the command prints it and as Prometheus counts it."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from connectors.canary.values import CanaryValues
from schemas.topics import CLEAN_TOPICS

OUTCOMES = ("ok", "leak", "timeout", "error")
EXIT_STATUS = {"ok": 0, "leak": 1, "timeout": 2, "error": 2}
CLEAN_TOPIC_NAMES = tuple(spec.name for spec in CLEAN_TOPICS.values())


@dataclass(frozen=True, slots=True)
class Leak:
    topic: str
    partition: int
    offset: int
    markers: tuple[str, ...]


@dataclass
class ProbeResult:
    outcome: str
    event_id: str | None
    values: CanaryValues | None
    duration_s: float
    arrived: dict[str, float] = field(default_factory=dict)  # clean topic -> seconds after sending
    leaks: list[Leak] = field(default_factory=list)
    detail: str = ""

    @property
    def exit_status(self) -> int:
        return EXIT_STATUS[self.outcome]

    def summary(self) -> str:
        head = f"chatguard canary: {self.outcome} in {self.duration_s:.2f} s"
        if self.event_id:
            head += f" (event {self.event_id}"
            if self.values:
                head += f", e-mail {self.values.email}, card {self.values.card}"
            head += ")"
        lines = [head]
        if self.arrived:
            lines.append("  arrived: " + ", ".join(f"{t} after {s:.2f} s" for t, s in sorted(self.arrived.items())))
        missing = [t for t in CLEAN_TOPIC_NAMES if t not in self.arrived]
        if self.outcome in ("timeout", "leak") and missing and self.event_id:
            lines.append("  not arrived: " + ", ".join(missing))
        for leak in self.leaks:
            lines.append(
                f"  LEAK: {', '.join(leak.markers)} on {leak.topic} partition {leak.partition} offset {leak.offset}"
            )
        if self.detail:
            lines.append(f"  {self.detail}")
        return "\n".join(lines)


class CanaryMetrics:
    def __init__(self, registry: Any = None) -> None:
        from prometheus_client import REGISTRY, Counter, Gauge, Histogram

        registry = REGISTRY if registry is None else registry
        self.leaks = Counter(
            "chatguard_canary_leaks_total",
            "Probes whose synthetic values appeared on a clean or quarantine topic.",
            registry=registry,
        )
        self.probes = Counter(
            "chatguard_canary_probes_total", "Probes run, by outcome.", ["outcome"], registry=registry
        )
        for outcome in OUTCOMES:
            self.probes.labels(outcome)  # every series exists from the start, at 0
        self.last_success = Gauge(
            "chatguard_canary_last_success_timestamp_seconds",
            "Unix time of the last probe that arrived redacted everywhere.",
            registry=registry,
        )
        self.duration = Histogram(
            "chatguard_canary_probe_duration_seconds",
            "From sending the probe until it had arrived on every clean topic (timeouts and errors: until given up).",
            buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120),
            registry=registry,
        )

    def observe(self, result: ProbeResult) -> None:
        self.probes.labels(result.outcome).inc()
        self.duration.observe(result.duration_s)
        if result.outcome == "leak":
            self.leaks.inc()
        elif result.outcome == "ok":
            self.last_success.set(time.time())
