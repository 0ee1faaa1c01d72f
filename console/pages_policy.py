"""The detection policy: the Editor proposes, the Administrator approves what weakens it."""

from __future__ import annotations

import orjson
from starlette.requests import Request
from starlette.responses import Response

from console.policy import PolicyDesk
from console.sessions import Session
from console.web import Console, as_json, form_data, is_api, origin, page, threaded
from schemas.errors import ChatguardError


class NoDesk(ChatguardError):
    http_status = 503
    exit_code = 3
    metric_reason = "no_policy_desk"


def _desk(console: Console) -> PolicyDesk:
    if console.policy is None:  # a console built without Kafka (tests, a read-only set-up)
        raise NoDesk("policy versions need Kafka (chat.policy), which this console was started without")
    return console.policy


async def _view(console: Console, session: Session, status: int = 200, **extra) -> Response:
    try:
        desk = _desk(console)
    except NoDesk as exc:
        return page("error.html", exc.http_status, session=session, message=str(exc))
    try:
        current = await desk.current()
        problem = None
    except ChatguardError as exc:
        current, problem = None, str(exc)
    proposals = await threaded(desk.proposals)
    text = orjson.dumps(current.to_dict(), option=orjson.OPT_INDENT_2).decode() if current else ""
    return page(
        "policy.html", status, session=session, current=current, text=extra.pop("text", text),
        proposals=proposals, problem=extra.pop("problem", problem), **extra,
    )  # fmt: skip


async def policy_page(request: Request, console: Console, session: Session) -> Response:
    if is_api(request):
        try:
            current = await _desk(console).current()
        except ChatguardError as exc:
            return as_json({"error": str(exc)}, exc.http_status)
        proposals = await threaded(_desk(console).proposals)
        return as_json(
            {
                "current": current.to_dict() if current else None,
                "proposals": [
                    {
                        "version": p.version,
                        "status": p.status,
                        "weakens": p.weakens,
                        "proposed_by": p.proposed_by,
                        "decided_by": p.decided_by,
                    }
                    for p in proposals
                ],
            }  # fmt: skip
        )
    return await _view(console, session)


async def propose(request: Request, console: Console, session: Session) -> Response:
    text = (await form_data(request)).get("document", "")
    try:
        done = await _desk(console).propose(text, session.account.username, origin(request))
    except ChatguardError as exc:
        return await _view(console, session, exc.http_status, text=text, problem=str(exc))
    if done.status == "published":
        return await _view(console, session, message=f"version {done.version} is in force: it weakens nothing")
    return await _view(
        console, session, message=f"version {done.version} weakens protection: it waits for an Administrator"
    )


async def decide(request: Request, console: Console, session: Session) -> Response:
    form = await form_data(request)
    approve = form.get("decision") == "approve"
    try:
        done = await _desk(console).decide(
            form.get("version", "")[:64], approve, session.account.username, origin(request)
        )
    except ChatguardError as exc:
        return await _view(console, session, exc.http_status, problem=str(exc))
    return await _view(console, session, message=f"version {done.version}: {done.status}")
