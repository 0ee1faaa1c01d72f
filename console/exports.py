"""Exports, as CSV: the Marketer's statistics (counts only) and the Administrator's audit log (with
its hashes, for an auditor). Each export is itself audited (``export``). A cell a spreadsheet would
read as a formula (starting ``=``, ``+``, ``-``, ``@``, a tab or a carriage return: OWASP's CSV
injection) is prefixed with a quote; an audit reason is free text a person typed.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response

from console import audit, queries
from console.pages_admin import audit_filters, audit_rows
from console.sessions import Session
from console.web import HEADERS, Console, origin, threaded

_FORMULA = ("=", "+", "-", "@", "\t", "\r")
AUDIT_COLUMNS = ("seq", "at", "actor", "action", "ref", "subject", "reason", "outcome", "origin", "prev_hash", "hash")


def cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([cell(v) for v in row] for row in rows)
    return out.getvalue()


def _attachment(body: str, name: str) -> Response:
    day = datetime.now(UTC).strftime("%Y-%m-%d")
    return Response(
        body,
        media_type="text/csv; charset=utf-8",
        headers={**HEADERS, "Content-Disposition": f'attachment; filename="chatguard-{name}-{day}.csv"'},
    )


async def stats_csv(request: Request, console: Console, session: Session) -> Response:
    figures = await threaded(queries.statistics, console.engine)
    rows = [(d["day"], d["messages"], d["with_personal_data"], d["rate"]) for d in figures["days"]]
    await threaded(
        audit.record_alone, console.engine, session.account.username, "export", f"statistics {len(rows)} days",
        origin(request),
    )  # fmt: skip
    return _attachment(to_csv(("day", "messages", "with_personal_data", "rate"), rows), "statistics")


async def audit_csv(request: Request, console: Console, session: Session) -> Response:
    rows = await threaded(audit_rows, console.engine, *audit_filters(request))
    await threaded(
        audit.record_alone, console.engine, session.account.username, "export", f"audit {len(rows)} entries",
        origin(request),
    )  # fmt: skip
    return _attachment(to_csv(AUDIT_COLUMNS, ([getattr(r, c) for c in AUDIT_COLUMNS] for r in rows)), "audit")
