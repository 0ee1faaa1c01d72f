"""Reading Prometheus metrics: from an in-process registry, or scraped from a /metrics URL."""

from __future__ import annotations

import urllib.request

from prometheus_client import CollectorRegistry


def metric(registry: CollectorRegistry, name: str, **labels: str) -> float:
    """One sample of ``registry`` (0 where it has none yet)."""
    return registry.get_sample_value(name, labels) or 0.0


def metric_value(url: str, name: str, **labels: str) -> float:
    """The sum of the samples called ``name`` with these ``labels`` (and any others) at ``url``."""
    from prometheus_client.parser import text_string_to_metric_families

    text = urllib.request.urlopen(url, timeout=2).read().decode()
    return sum(
        s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
    )
