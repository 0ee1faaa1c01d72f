"""The masked inbox and reveal with a reason (checked against the message that holds the ref, and
the entity types the role may open)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from console import audit, queries
from console.roles import Permission, Role, allowed, may_reveal
from console.sessions import Session
from console.web import Console, as_json, form_data, is_api, origin, page, threaded
from schemas.errors import ChatguardError
from schemas.forms import VAULT_REF
from vault.core import check_reason


async def inbox(request: Request, console: Console, session: Session) -> Response:
    q = request.query_params
    channel, sender, day = q.get("channel", "")[:32], q.get("sender", "")[:40].strip(), q.get("date", "")[:10]
    rows = await threaded(queries.conversations, console.engine, channel, sender, day)
    channels = await threaded(queries.channels, console.engine)
    return page("inbox.html", session=session, rows=rows, channels=channels, channel=channel, sender=sender, day=day)


async def conversation(request: Request, console: Console, session: Session) -> Response:
    conversation_id = request.path_params["conversation"][:64]
    found = await threaded(queries.conversation, console.engine, conversation_id)
    await threaded(
        audit.record_alone, console.engine, session.account.username, "view_messages", f"{len(found)} messages",
        origin(request), subject=audit.shaped(conversation_id, audit.PSEUDONYM),
    )  # fmt: skip
    role = session.account.role
    return page(
        "conversation.html", session=session, conversation=conversation_id, found=found,
        revealable=lambda message, entity: may_open(role, message, entity, frozenset()),
    )  # fmt: skip


def may_open(role: Role, message: queries.Message, entity: str, winners: frozenset[str]) -> bool:
    """Administrators open anything; a Mailbox Moderator phones and e-mails in the inbox; a
    Contest Moderator only the address of a sender marked as a winner."""
    if role is Role.ADMINISTRATOR:
        return True
    if not may_reveal(role, entity):
        return False
    if allowed(role, Permission.VIEW_INBOX) and allowed(role, Permission.REVEAL_CONTACT):
        return True
    return allowed(role, Permission.VIEW_CONTESTS) and message.sender in winners


async def reveal(request: Request, console: Console, session: Session) -> Response:
    data = await json_body(request) if is_api(request) else await form_data(request)
    ref, reason = data.get("ref", ""), data.get("reason", "")
    if not isinstance(ref, str) or not isinstance(reason, str):
        return refused(request, session, "ref and reason are strings", 400)
    ref = ref[:64]
    who, where = session.account.username, origin(request)
    message = await threaded(queries.holding_ref, console.engine, ref)
    entity = message.refs()[ref] if message else None
    winners = await threaded(queries.winner_senders, console.engine)
    if message is None or entity is None or not may_open(session.account.role, message, entity, winners):
        await threaded(
            audit.record_alone, console.engine, who, "reveal", "denied", where, ref=audit.shaped(ref, VAULT_REF)
        )
        return refused(request, session, "no value you may open has this ref", 404)
    try:
        reason = check_reason(reason)
        value = await threaded(console.vault.reveal, ref, reason, f"console:{who}")
    except ChatguardError as exc:
        await threaded(audit.record_alone, console.engine, who, "reveal", f"refused {exc.http_status}", where, ref=ref)
        return refused(request, session, str(exc), exc.http_status)
    await threaded(
        audit.record_alone, console.engine, who, "reveal", "revealed", where, ref=ref, subject=message.sender,
        reason=reason,
    )  # fmt: skip
    if is_api(request):
        return as_json({"ref": ref, "entity_type": entity, "value": value["value"]})
    return page("revealed.html", session=session, ref=ref, entity=entity, value=value["value"], message=message)


async def json_body(request: Request) -> dict:
    import orjson

    from runtime.webforms import read_body

    try:
        data = orjson.loads(await read_body(request, 16 * 1024) or b"{}")
    except orjson.JSONDecodeError:
        return {}
    return data if isinstance(data, dict) else {}


def refused(request: Request, session: Session, message: str, status: int) -> Response:
    if is_api(request):
        return as_json({"error": message}, status)
    return page("error.html", status, session=session, message=message)
