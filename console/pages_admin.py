"""The Administrator's pages: people and roles, the audit log, erasure."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import Response

from console import audit
from console.accounts import AccountError
from console.roles import Role
from console.sessions import Session
from console.web import Console, as_json, form_data, is_api, origin, page, threaded
from schemas.errors import ChatguardError
from vault.core import check_reason
from vault.tables import audit as audit_table


async def users_page(request: Request, console: Console, session: Session, **extra) -> Response:
    people = await threaded(console.accounts.everyone)
    if is_api(request):
        return as_json(
            [
                {
                    "username": p.username,
                    "role": p.role,
                    "totp": p.totp_secret is not None and p.password_hash is not None,
                    "disabled": p.disabled,
                    "set_up": p.password_hash is not None,
                }
                for p in people
            ]  # fmt: skip
        )
    return page("users.html", session=session, people=people, roles=[r.value for r in Role], **extra)


async def users_change(request: Request, console: Console, session: Session) -> Response:
    form = await form_data(request)
    action, username, who, where = (
        form.get("action", ""),
        form.get("username", "")[:64],
        session.account.username,
        origin(request),
    )
    try:
        if action == "create":
            token = await threaded(console.accounts.create, username, Role(form.get("role", "")), who, where)
            link = f"{console.settings.base_url}/setup/{token}"
            return await users_page(request, console, session, link=link, link_for=username)
        if username == who and action in ("role", "disable", "reset"):
            raise AccountError("not on your own account: ask another administrator")
        if action == "role":
            token = await threaded(console.accounts.set_role, username, Role(form.get("role", "")), who, where)
            if token:  # the new role needs a second factor: they set up again
                link = f"{console.settings.base_url}/setup/{token}"
                return await users_page(request, console, session, link=link, link_for=username)
        elif action in ("disable", "enable"):
            await threaded(console.accounts.set_disabled, username, action == "disable", who, where)
        elif action == "reset":
            token = await threaded(console.accounts.reset, username, who, where)
            return await users_page(
                request, console, session, link=f"{console.settings.base_url}/setup/{token}", link_for=username
            )
        else:
            raise AccountError("unknown action")
    except ValueError:
        return await users_page(request, console, session, message="unknown role")
    except AccountError as exc:
        return await users_page(request, console, session, message=str(exc))
    return await users_page(request, console, session, message=f"{username}: done")


def audit_filters(request: Request) -> tuple[str, str, str]:
    """The audit page's filters from the query: who, which action, which day (YYYY-MM-DD).
    ValueError for a day that is not a date: a filter must not silently widen to everything."""
    q = request.query_params
    actor, action, day = (
        "".join(ch for ch in q.get(name, "")[:limit] if ch.isprintable())
        for name, limit in (("actor", 64), ("action", 40), ("date", 10))
    )
    if day:
        try:
            datetime.strptime(day, "%Y-%m-%d")
        except ValueError:
            raise ValueError("date: a day as YYYY-MM-DD") from None
    return actor, action, day


def audit_rows(engine, actor: str, action: str, day: str, limit: int = 500) -> list:
    query = select(audit_table).order_by(audit_table.c.seq.desc()).limit(limit)
    if actor:
        query = query.where(audit_table.c.actor.contains(actor, autoescape=True))  # % and _ are letters here
    if action:
        query = query.where(audit_table.c.action == action)
    if day:
        start = int(datetime.strptime(day, "%Y-%m-%d").replace(tzinfo=UTC).timestamp())
        query = query.where(audit_table.c.at >= start, audit_table.c.at < start + 86_400)
    with engine.connect() as conn:
        return list(conn.execute(query))


async def audit_page(request: Request, console: Console, session: Session) -> Response:
    try:
        actor, action, day = audit_filters(request)
    except ValueError as exc:
        if is_api(request):
            return as_json({"error": str(exc)}, 400)
        return page("error.html", 400, session=session, message=str(exc))
    rows = await threaded(audit_rows, console.engine, actor, action, day)
    await threaded(
        audit.record_alone,
        console.engine,
        session.account.username,
        "view_audit",
        f"{len(rows)} entries",
        origin(request),
    )
    if is_api(request):
        return as_json([
            {k: getattr(r, k) for k in ("seq", "at", "actor", "action", "ref", "subject", "reason", "outcome", "origin", "hash")}
            for r in rows
        ])  # fmt: skip
    when = lambda at: datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")  # noqa: E731
    return page("audit.html", session=session, rows=rows, actor=actor, action=action, day=day, when=when)


async def erase_page(request: Request, console: Console, session: Session) -> Response:
    return page("erase.html", session=session)


async def erase(request: Request, console: Console, session: Session) -> Response:
    form = await form_data(request)
    who, where = session.account.username, origin(request)
    channel, sender = form.get("channel", "")[:32], form.get("sender", "")[:256]
    try:
        reason = check_reason(form.get("reason"))
        done = await threaded(console.vault.erase, channel, sender, reason, f"console:{who}")
    except ChatguardError as exc:
        await threaded(audit.record_alone, console.engine, who, "erase", f"refused {exc.http_status}", where)
        return page("erase.html", exc.http_status, session=session, message=str(exc))
    await threaded(
        audit.record_alone,
        console.engine,
        who,
        "erase",
        f"erased {done['values']}",
        where,
        subject=done["subject"],
        reason=reason,
    )
    return page("erase.html", session=session, done=done)
