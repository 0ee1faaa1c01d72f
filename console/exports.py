"""Exports, as CSV: the Marketer's statistics (counts only) and the Administrator's audit log (with
its hashes, for an auditor). Each export is itself audited (``export``, with its filters).

An audit reason is free text a person typed, and a spreadsheet may split a cell on ``;`` (the list
separator of Polish and most EU locales) as well as ``,``. So every cell is quoted, and a quote is put
before any ``=``, ``+``, ``-`` or ``@`` that starts the cell or follows a separator, a tab or a line
break, spaces in between or not (OWASP's CSV injection, for either separator).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime

from starlette.requests import Request
from starlette.responses import Response

from console import audit, queries
from console.pages_admin import audit_filters, audit_rows
from console.sessions import Session
from console.web import HEADERS, Console, origin, threaded

_FORMULA = re.compile(r"(^|[,;\t\r\n|])(\s*)([=+\-@])")
EXPORT_LIMIT = 10_000
AUDIT_COLUMNS = ("seq", "at", "actor", "action", "ref", "subject", "reason", "outcome", "origin", "prev_hash", "hash")


def cell(value: object) -> str:
    text = "" if value is None else str(value)
    return _FORMULA.sub(r"\1\2'\3", text)


def to_csv(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
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
    try:
        filters = audit_filters(request)
    except ValueError as exc:
        return Response(str(exc), status_code=400, media_type="text/plain; charset=utf-8", headers=HEADERS)
    rows = await threaded(audit_rows, console.engine, *filters, EXPORT_LIMIT)
    await threaded(
        audit.record_alone, console.engine, session.account.username, "export", f"audit {len(rows)} entries",
        origin(request), reason="filters actor={} action={} date={}".format(*filters),
    )  # fmt: skip
    return _attachment(to_csv(AUDIT_COLUMNS, ([getattr(r, c) for c in AUDIT_COLUMNS] for r in rows)), "audit")
