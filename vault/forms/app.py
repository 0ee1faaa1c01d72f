"""The secure forms' HTTP side (``chatguard vault forms``).

``POST /forms`` (a bot, ``Authorization: Bearer <CHATGUARD_FORMS_BOT_TOKEN>``) issues a one-time link;
``GET /f/{token}`` shows the form, ``POST /f/{token}`` submits it. No page runs a script; answers are
``no-store`` and send no referrer (the link is a credential); log lines name the form's id, never a
token or a value. Uvicorn's access log stays off for the same reason.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from runtime.webforms import read_body, read_form
from schemas.errors import ChatguardError, SchemaError
from schemas.forms import MAX_FIELDS
from schemas.raw import RawMessage
from vault.errors import FormInvalid
from vault.forms import page
from vault.forms.requests import FormRequest
from vault.forms.store import FormStore, form_link
from vault.store import database_errors

log = logging.getLogger("chatguard.forms")

MAX_REQUEST = 8 * 1024
MAX_SUBMISSION = 16 * 1024
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
}


class Refused(ChatguardError):
    def __init__(self, reason: str, status: int) -> None:
        super().__init__(reason)
        self.http_status = status


def _json(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json", headers=HEADERS)


def _html(body: str, status: int = 200) -> Response:
    return Response(body, status_code=status, media_type="text/html; charset=utf-8", headers=HEADERS)


def build_app(store: FormStore, bot_token: bytes, base_url: str, publish: Callable[[RawMessage], None]) -> Starlette:
    async def issue(request: Request) -> Response:
        try:
            if not hmac.compare_digest(request.headers.get("authorization", "").encode(), b"Bearer " + bot_token):
                raise Refused("a valid bearer token is required", 401)
            try:
                form_request = FormRequest.from_dict(orjson.loads(await read_body(request, MAX_REQUEST)))
            except orjson.JSONDecodeError:
                raise Refused("body must be a JSON object", 400) from None
            issued = await _threaded(store.issue, form_request)
        except ChatguardError as exc:
            return _json({"error": str(exc)}, exc.http_status)
        log.info("form %s issued: %s", issued.form_id, ",".join(form_request.fields))
        return _json(
            {"form_id": issued.form_id, "url": form_link(base_url, issued.token), "expires_at": issued.expires_at},
            201,
        )

    async def show(request: Request) -> Response:
        try:
            shown = await _threaded(store.show, request.path_params["token"])
        except ChatguardError as exc:
            log.info("form view refused: %s", exc.metric_reason)
            return _html(page.refusal_page(str(exc)), exc.http_status)
        action = f"{request.path_params['token']}/prefill" if shown.can_prefill else None
        return _html(page.form_page(shown.fields, shown.prefilled, prefill_action=action))

    async def prefill(request: Request) -> Response:
        try:
            shown = await _threaded(store.show, request.path_params["token"], True)
        except ChatguardError as exc:
            log.info("form pre-fill refused: %s", exc.metric_reason)
            return _html(page.refusal_page(str(exc)), exc.http_status)
        # Served at /f/<token>/prefill: the form itself posts back to /f/<token>.
        return _html(page.form_page(shown.fields, shown.prefilled, submit_action=f"../{request.path_params['token']}"))

    async def submit(request: Request) -> Response:
        token = request.path_params["token"]
        try:
            values = await read_form(request, MAX_SUBMISSION, MAX_FIELDS)
            event = await _threaded(store.submit, token, values, publish)
        except FormInvalid as exc:
            log.info("form submission invalid: %s", ",".join(exc.problems))
            # Shown again with what the visitor typed, in the page's body; never echoed elsewhere.
            return _html(page.form_page(exc.fields, values, exc.problems), exc.http_status)
        except SchemaError as exc:  # a field the form does not have
            return _html(page.refusal_page(str(exc)), 400)
        except ChatguardError as exc:
            log.info("form submission refused: %s", exc.metric_reason)
            return _html(page.refusal_page(str(exc)), exc.http_status)
        log.info(
            "form %s submitted: %d values kept, event %s", event.metadata["form_id"], len(event.form), event.event_id
        )
        return _html(page.done_page())

    async def style(_request: Request) -> Response:
        return Response(page.STYLE, media_type="text/css", headers={"Cache-Control": "max-age=3600"})

    async def health(_request: Request) -> Response:
        return _json({"status": "ok"})

    app = Starlette(
        routes=[
            Route("/forms", issue, methods=["POST"]),
            Route("/f/{token}", show, methods=["GET"]),
            Route("/f/{token}", submit, methods=["POST"]),
            Route("/f/{token}/prefill", prefill, methods=["POST"]),
            Route("/forms.css", style, methods=["GET"]),
            Route("/healthz", health, methods=["GET"]),
        ]
    )
    # A redirect to the slash-less path would carry the token in a Location header, without
    # this app's headers: a path with a trailing slash is a plain 404.
    app.router.redirect_slashes = False
    return app


async def _threaded(run: Callable[..., Any], *args: Any) -> Any:
    def guarded() -> Any:
        with database_errors():
            return run(*args)

    return await run_in_threadpool(guarded)  # the database calls block: off the event loop
