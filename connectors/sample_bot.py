"""A stand-in for the client's bot, for ``make run`` and the tests: it takes chatguard's signed
"post this secure form link" calls (``schemas.bot_webhook``) and, where a real bot would post the
link into the conversation, appends it to a file (the demo's "chat"), one JSON line per link.
A real bot does the same checks: the signature first, then the body.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import orjson
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from runtime.webforms import BadBody, read_body
from schemas.bot_webhook import SIGNATURE_HEADER, BadSignature, verify

MAX_BODY = 16 * 1024
PATH = "/chatguard/forms"


def build_app(secret: bytes, post: Callable[[dict], None], clock: Callable[[], float] = time.time) -> Starlette:
    seen: set[str] = set()  # form ids posted: a replayed call (within the signature's window) is not posted twice

    async def receive(request: Request) -> Response:
        try:
            body = await read_body(request, MAX_BODY)
        except BadBody as exc:
            return JSONResponse({"error": str(exc)}, exc.http_status)
        try:
            verify(secret, body, request.headers.get(SIGNATURE_HEADER), clock())
        except BadSignature as exc:
            return JSONResponse({"error": str(exc)}, 401)
        try:
            call = orjson.loads(body)
        except orjson.JSONDecodeError:
            return JSONResponse({"error": "body must be JSON"}, 400)
        if not isinstance(call, dict) or call.get("type") != "secure_form" or not isinstance(call.get("url"), str):
            return JSONResponse({"error": "expected a secure_form call with a url"}, 400)
        form_id = call.get("form_id")
        if not isinstance(form_id, str):
            return JSONResponse({"error": "expected a form_id"}, 400)
        if form_id in seen:
            return JSONResponse({"posted": False, "why": "posted already"})
        post(call)
        if len(seen) >= 100_000:
            seen.clear()  # the signature's 5-minute window bounds replays: old ids need not stay
        seen.add(form_id)
        return JSONResponse({"posted": True})

    return Starlette(routes=[Route(PATH, receive, methods=["POST"])])


def append_to(path: Path) -> Callable[[dict], None]:
    """The demo's "chat": each link a line of its own in ``path`` (owner-only: links are credentials)."""

    def post(call: dict) -> None:
        keys = ("channel", "post_to", "conversation_id", "sender_id", "form_id", "fields", "url", "expires_at")
        line = {k: call.get(k) for k in keys}
        path.touch(mode=0o600, exist_ok=True)
        with path.open("ab") as out:
            out.write(orjson.dumps(line) + b"\n")

    return post
