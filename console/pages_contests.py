"""Contest entries: the masked list, marking winners, and sending a winner a secure form.

A form goes only to a sender with an entry marked as a winner. The vault finds where the winner
can be reached and hands the one-time link to the bot, which posts it into their conversation;
the console never sees the link (it is the winner's credential, and pre-fills their details).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlalchemy import delete, insert, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from console import audit, queries
from console.pages_inbox import json_body, may_open, refused
from console.sessions import Session
from console.tables import messages, winners
from console.web import HEADERS, Console, as_json, form_data, is_api, origin, page, threaded
from schemas.errors import ChatguardError
from schemas.forms import FIELDS, field_names

# What a winner may be asked for from here; the order is the form's.
WINNER_FIELDS = ("name", "address", "phone", "email", "contest_code")


async def contests(request: Request, console: Console, session: Session) -> Response:
    entries = await threaded(queries.contest_entries, console.engine)
    await threaded(
        audit.record_alone, console.engine, session.account.username, "view_messages", f"{len(entries)} contest entries",
        origin(request),
    )  # fmt: skip
    role = session.account.role
    winner_senders = await threaded(queries.winner_senders, console.engine)
    return page(
        "contests.html", session=session, entries=entries, form_fields=[(n, FIELDS[n].label) for n in WINNER_FIELDS],
        revealable=lambda message, entity: may_open(role, message, entity, winner_senders),
    )  # fmt: skip


async def mark_winner(request: Request, console: Console, session: Session) -> Response:
    form = await form_data(request)
    event_id, unmark = form.get("event_id", "")[:256], form.get("unmark") == "1"
    who = session.account.username

    def run() -> bool:
        with console.engine.begin() as conn:
            row = conn.execute(select(messages).where(messages.c.event_id == event_id)).first()
            if row is None or (not unmark and not queries.is_contest_entry(queries.Message.of(row))):
                return False  # only a contest entry can win (any mark can be taken back)
            conn.execute(delete(winners).where(winners.c.event_id == event_id))
            if not unmark:
                conn.execute(insert(winners).values(event_id=event_id, marked_by=who, marked_at=int(time.time())))
            audit.record(conn, who, "winner_unmark" if unmark else "winner_mark", event_id[:40], origin(request))
        return True

    if not await threaded(run):
        return page("error.html", 404, session=session, message="no contest entry has this event id")
    return RedirectResponse("/contests", 303, headers=HEADERS)


async def send_form(request: Request, console: Console, session: Session) -> Response:
    """``event_id`` (a winner's entry) and the fields wanted: ``fields`` (a JSON list) on the API,
    a checkbox ``f_<name>`` each on the page."""
    who, where = session.account.username, origin(request)
    if is_api(request):
        data = await json_body(request)
        event_id, wanted = data.get("event_id"), data.get("fields")
    else:
        form = await form_data(request)
        event_id, wanted = form.get("event_id"), [n for n in WINNER_FIELDS if form.get(f"f_{n}") == "1"]
    if not isinstance(event_id, str):
        return refused(request, session, "event_id: the winning entry's event id is required", 400)
    try:
        fields = field_names(wanted)
    except ChatguardError as exc:
        return refused(request, session, f"{exc} (tick at least one field)", 400)
    if set(fields) - set(WINNER_FIELDS):  # no PESEL: a prize needs no national id
        return refused(request, session, f"fields: a winner is asked for {', '.join(WINNER_FIELDS)} only", 400)
    message = await threaded(queries.winning_entry, console.engine, event_id[:256])
    if message is None:
        # Not an entry of ours: what was typed is not logged (it may be anything a person pasted).
        await threaded(audit.record_alone, console.engine, who, "form_send", "denied", where, ref="<no such entry>")
        return refused(request, session, "no entry marked as a winner has this event id", 404)
    try:
        sent = await threaded(console.vault.send_form, message.sender, message.conversation, fields, f"console:{who}")
    except ChatguardError as exc:
        await threaded(
            audit.record_alone, console.engine, who, "form_send", f"refused {exc.http_status}", where,
            ref=event_id[:40], subject=message.sender,
        )  # fmt: skip
        return refused(request, session, str(exc), exc.http_status)
    await threaded(
        audit.record_alone, console.engine, who, "form_send", f"sent {sent['form_id']}", where, ref=event_id[:40],
        subject=message.sender, reason="fields " + ",".join(fields),
    )  # fmt: skip
    if is_api(request):
        return as_json({"form_id": sent["form_id"], "expires_at": sent["expires_at"], "fields": list(fields)}, 201)
    expires = datetime.fromtimestamp(int(sent["expires_at"]), UTC).strftime("%Y-%m-%d %H:%M UTC")
    return page(
        "form_sent.html", session=session, sent=sent, expires=expires, fields=[FIELDS[n].label for n in fields],
        message=message,
    )  # fmt: skip
