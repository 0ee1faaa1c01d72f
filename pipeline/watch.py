"""``chatguard watch``: a live, one-screen view of a worker's metrics (for ``make run``)."""

from __future__ import annotations

import contextlib
import time
import urllib.error
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TextIO

from prometheus_client.parser import text_string_to_metric_families


@dataclass
class Snapshot:
    at: float
    events_in: float = 0.0
    events_out: dict[str, float] = field(default_factory=dict)
    redacted: float = 0.0
    quarantined: float = 0.0
    findings: dict[str, float] = field(default_factory=dict)
    accepted: dict[str, float] = field(default_factory=dict)  # ingest: messages by channel
    rejected: float = 0.0


def parse(text: str, at: float) -> Snapshot:
    snap = Snapshot(at)
    findings: dict[str, float] = defaultdict(float)
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if not sample.name.endswith("_total"):
                continue
            if sample.name == "chatguard_events_in_total":
                snap.events_in += sample.value
            elif sample.name == "chatguard_events_out_total":
                snap.events_out[sample.labels["topic"]] = sample.value
            elif sample.name == "chatguard_redacted_events_total":
                snap.redacted = sample.value
            elif sample.name == "chatguard_quarantined_events_total":
                snap.quarantined += sample.value
            elif sample.name == "chatguard_findings_total":
                findings[sample.labels["entity_type"]] += sample.value
            elif sample.name == "chatguard_ingest_messages_total":
                snap.accepted[sample.labels["channel"]] = sample.value
            elif sample.name == "chatguard_ingest_rejections_total":
                snap.rejected += sample.value
    snap.findings = dict(findings)
    return snap


def render(prev: Snapshot, now: Snapshot) -> list[str]:
    elapsed = max(now.at - prev.at, 1e-9)
    rate_in = (now.events_in - prev.events_in) / elapsed
    share = now.redacted / now.events_in * 100 if now.events_in else 0.0
    lines = [
        f"chatguard  in: {now.events_in:>9.0f} events  {rate_in:>8.1f}/s   "
        f"redacted: {now.redacted:>8.0f} ({share:4.1f}% of events had PII)   quarantined: {now.quarantined:.0f}",
    ]
    for topic in sorted(now.events_out):
        rate = (now.events_out[topic] - prev.events_out.get(topic, 0.0)) / elapsed
        lines.append(f"  out {topic:<16} {now.events_out[topic]:>9.0f}  {rate:>8.1f}/s")
    top = sorted(now.findings.items(), key=lambda kv: -kv[1])
    lines.append("  findings: " + ("  ".join(f"{k}={v:.0f}" for k, v in top) or "none yet"))
    if now.accepted or now.rejected:
        channels = "  ".join(f"{k}={v:.0f}" for k, v in sorted(now.accepted.items()))
        lines.append(f"  ingest accepted: {channels}   rejected: {now.rejected:.0f}")
    return lines


def fetch(url: str) -> str:
    with urllib.request.urlopen(url, timeout=2) as response:  # an operator-given URL
        return response.read().decode()


def watch(url: str, interval: float, out: TextIO, iterations: int | None = None, ingest_url: str | None = None) -> int:
    interactive = out.isatty()
    prev: Snapshot | None = None
    drawn = 0
    count = 0
    while iterations is None or count < iterations:
        count += 1
        try:
            text = fetch(url)
            if ingest_url:
                with contextlib.suppress(OSError):  # the worker's view alone is still worth showing
                    text += "\n" + fetch(ingest_url)
            now = parse(text, time.monotonic())
        except (urllib.error.URLError, OSError):
            lines = [f"chatguard  waiting for the worker's metrics at {url} ..."]
        else:
            # The first reading has nothing to compare with: rates start at zero.
            lines = render(prev or now, now)
            prev = now
        if interactive and drawn:
            out.write(f"\x1b[{drawn}F\x1b[J")  # back to the block's first line, clear below
        out.write("\n".join(lines) + "\n")
        out.flush()
        drawn = len(lines)
        time.sleep(interval)
    return 0
