"""The vault's HTTP API, for the console: reveal with a reason, erase a sender, verify the audit log,
send a sender a secure form through the bot (``vault.forms.delivery``).

Every call carries ``Authorization: Bearer <CHATGUARD_VAULT_API_TOKEN>`` (the console's; compared in
constant time) and names its ``actor`` (the signed-in person the console acts for) and, for a reveal or
an erasure, a reason: the audit log records both. Answers carry ``Cache-Control: no-store``: a revealed
value must not stay in a cache. Errors are ``{"error": reason}`` with the status of the refusal; a reason
never quotes a value.
"""

from __future__ import annotations

import hmac
import re
import threading
from collections.abc import Callable
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from schemas.errors import ChatguardError, SchemaError
from schemas.forms import field_names
from schemas.pseudonyms import Pseudonymiser
from schemas.raw import CHANNEL_NAME
from vault.core import Vault, check_actor
from vault.forms.delivery import Sent
from vault.store import database_errors

MAX_BODY = 16 * 1024
SENDER = re.compile(r"u_[0-9a-f]{16}")
CONVERSATION = re.compile(r"c_[0-9a-f]{16}")
MAX_SENDING = 4  # bot calls in flight: a slow bot must not take the threads reveals and erasures need
SendForm = Callable[[str, str, tuple[str, ...], str], Sent]  # (sender, conversation, fields, actor)
NO_STORE = {"Cache-Control": "no-store"}


def _json(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json", headers=NO_STORE)


class Refused(ChatguardError):
    def __init__(self, reason: str, status: int) -> None:
        super().__init__(reason)
        self.http_status = status


def build_app(
    vault: Vault,
    token: bytes,
    pseudonymiser: Pseudonymiser,
    notify: Callable[[str], None] | None = None,
    send_form: SendForm | None = None,
) -> Starlette:
    """``notify(subject)`` publishes an erasure notice (None: the caller publishes it);
    ``send_form`` sends a sender a secure form through the bot (None: not configured)."""

    sending = threading.BoundedSemaphore(MAX_SENDING)

    def authorised(request: Request) -> None:
        given = request.headers.get("authorization", "")
        if not hmac.compare_digest(given.encode(), b"Bearer " + token):
            raise Refused("a valid bearer token is required", 401)

    async def body(request: Request, fields: tuple[str, ...]) -> dict[str, str]:
        raw = await request.body()
        if len(raw) > MAX_BODY:
            raise Refused(f"body larger than {MAX_BODY} bytes", 413)
        try:
            data = orjson.loads(raw)
        except orjson.JSONDecodeError:
            raise Refused("body must be a JSON object", 400) from None
        if not isinstance(data, dict):
            raise Refused("body must be a JSON object", 400)
        for name in fields:
            if not isinstance(data.get(name), str):
                raise Refused(f"{name}: a string is required", 400)
        return data

    def answer(run: Callable[[], Response]) -> Response:
        try:
            with database_errors():
                return run()
        except ChatguardError as exc:
            return _json({"error": str(exc)}, exc.http_status)

    async def reveal(request: Request) -> Response:
        try:
            authorised(request)
            data = await body(request, ("ref", "reason", "actor"))
        except ChatguardError as exc:
            return _json({"error": str(exc)}, exc.http_status)

        def run() -> Response:
            got = vault.reveal(data["ref"], data["reason"], data["actor"])
            return _json({"ref": got.ref, "entity_type": got.entity_type, "event_id": got.event_id, "value": got.value})

        return await _threaded(answer, run)

    async def erase(request: Request) -> Response:
        try:
            authorised(request)
            data = await body(request, ("channel", "sender", "reason", "actor"))
            if not CHANNEL_NAME.fullmatch(data["channel"]):
                raise SchemaError("channel", "a lower-case channel name like web or slack")
        except ChatguardError as exc:
            return _json({"error": str(exc)}, exc.http_status)

        def run() -> Response:
            from vault.core import check_reason

            reason = check_reason(data["reason"])
            subject = pseudonymiser.sender(data["channel"], data["sender"])
            erased = vault.erase(subject, data["actor"], reason)
            if notify is not None:
                notify(subject)
            return _json({"subject": subject, "had_key": erased.had_key, "values": erased.values})

        return await _threaded(answer, run)

    async def forms(request: Request) -> Response:
        try:
            authorised(request)
            data = await body(request, ("sender", "conversation", "actor"))
            if not SENDER.fullmatch(data["sender"]):
                raise SchemaError("sender", "a sender pseudonym as the clean topics carry it (u_ and 16 hex digits)")
            if not CONVERSATION.fullmatch(data["conversation"]):
                raise SchemaError("conversation", "a conversation pseudonym (c_ and 16 hex digits)")
            fields = field_names(data.get("fields"))
            actor = check_actor(data["actor"])
            if send_form is None:
                raise Refused(
                    "forms cannot be sent from here: set CHATGUARD_FORMS_BOT_WEBHOOK_URL and CHATGUARD_FORMS_BOT_TOKEN "
                    "on chatguard vault serve",
                    503,
                )
            if not sending.acquire(blocking=False):
                raise Refused(f"{MAX_SENDING} form links are on their way to the bot already: try again shortly", 503)
        except ChatguardError as exc:
            return _json({"error": str(exc)}, exc.http_status)

        def run() -> Response:
            assert send_form is not None
            try:
                sent = send_form(data["sender"], data["conversation"], fields, actor)
            finally:
                sending.release()
            return _json(
                {"form_id": sent.form_id, "expires_at": sent.expires_at, "channel": sent.channel,
                 "channel_kind": sent.channel_kind},
                201,
            )  # fmt: skip

        return await _threaded(answer, run)

    async def verify(request: Request) -> Response:
        try:
            authorised(request)
        except ChatguardError as exc:
            return _json({"error": str(exc)}, exc.http_status)

        def run() -> Response:
            verdict = vault.verify_audit()
            return _json(
                {"ok": verdict.ok, "entries": verdict.entries, "head": verdict.head, "problem": verdict.problem}
            )

        return await _threaded(answer, run)

    async def health(_request: Request) -> Response:
        return _json({"status": "ok"})

    return Starlette(
        routes=[
            Route("/healthz", health, methods=["GET"]),
            Route("/vault/reveal", reveal, methods=["POST"]),
            Route("/vault/erase", erase, methods=["POST"]),
            Route("/vault/audit/verify", verify, methods=["GET"]),
            Route("/vault/forms", forms, methods=["POST"]),
        ]
    )


async def _threaded(answer: Callable[[Callable[[], Response]], Response], run: Callable[[], Response]) -> Response:
    from starlette.concurrency import run_in_threadpool

    return await run_in_threadpool(answer, run)  # the database calls block: off the event loop
