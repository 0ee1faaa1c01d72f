"""The Marketer's statistics (from the stored clean events: counts, never text) and the Viewer's
dashboard (from the worker's Prometheus metrics)."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families
from starlette.requests import Request
from starlette.responses import Response

from console import queries
from console.sessions import Session
from console.web import Console, as_json, is_api, page, threaded

DASHBOARD = {
    "chatguard_events_in_total": "events read from chat.raw",
    "chatguard_redacted_events_total": "events with personal data redacted",
    "chatguard_events_out_total": "events written to clean topics",
    "chatguard_quarantined_events_total": "events held back (quarantine)",
    "chatguard_errors_total": "errors",
    "chatguard_consumer_lag_messages": "lag behind chat.raw (messages)",
}


async def stats(request: Request, console: Console, session: Session) -> Response:
    figures = await threaded(queries.statistics, console.engine)
    if is_api(request):
        return as_json(figures)
    peak = max([d["messages"] for d in figures["days"]] + [1])
    return page("stats.html", session=session, figures=figures, peak=peak)


def scrape(url: str) -> dict[str, float] | None:
    """Each dashboard metric summed over its labels; None when the worker does not answer."""
    try:
        text = httpx.get(url, timeout=3).text
    except httpx.HTTPError:
        return None
    totals: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name in DASHBOARD:
                totals[sample.name] = totals.get(sample.name, 0.0) + sample.value
    return totals


async def dashboard(request: Request, console: Console, session: Session) -> Response:
    totals = await threaded(scrape, console.settings.metrics_url)
    rows = [(label, None if totals is None else totals.get(name)) for name, label in DASHBOARD.items()]
    if is_api(request):
        return as_json({"reachable": totals is not None, "metrics": {n: (totals or {}).get(n) for n in DASHBOARD}})
    rate = None
    if totals and totals.get("chatguard_events_in_total"):
        rate = totals.get("chatguard_redacted_events_total", 0) / totals["chatguard_events_in_total"]
    return page("dashboard.html", session=session, rows=rows, reachable=totals is not None, rate=rate)
