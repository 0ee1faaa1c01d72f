"""What every console page shares: templates, the session, the permission check, CSRF, headers.

A handler is wrapped by ``guarded(permission)``: no session → the sign-in page (or 401 for the
API); a session without the permission → 403, audited; a write without the session's CSRF token
→ 403, audited. Pages run no script, so the Content-Security-Policy allows none.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from console import audit
from console.accounts import Accounts
from console.roles import GRANTS, Permission, Role, allowed
from console.sessions import COOKIE, Session, Sessions
from console.settings import ConsoleSettings
from console.vault_client import VaultClient

if TYPE_CHECKING:
    from console.policy import PolicyDesk
from runtime.webforms import BadBody, read_form
from vault.store import database_errors

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
)
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
}
MAX_FORM = 64 * 1024


@dataclass
class Console:
    """Everything a handler needs, built once by ``console.app.build_app``."""

    settings: ConsoleSettings
    accounts: Accounts
    sessions: Sessions
    vault: VaultClient
    policy: PolicyDesk | None = None

    @property
    def engine(self) -> Any:
        return self.accounts.engine


def origin(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def page(template: str, status: int = 200, session: Session | None = None, **context: Any) -> Response:
    body = TEMPLATES.get_template(template).render(
        session=session,
        can=(lambda p: session is not None and allowed(session.account.role, Permission(p))),
        grants=GRANTS,
        **context,
    )
    return Response(body, status_code=status, media_type="text/html; charset=utf-8", headers=HEADERS)


def as_json(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data), status_code=status, media_type="application/json", headers=HEADERS)


def same_origin(request: Request) -> bool:
    """A write from this site's own pages (or a client that is no browser): refuses what a
    browser marks as sent from another site."""
    fetch_site = request.headers.get("sec-fetch-site")
    if fetch_site is not None:  # browsers that send it say exactly this
        return fetch_site in ("same-origin", "none")
    # Older browsers: the Origin (our no-referrer policy makes a same-site form post say "null").
    sent_from = request.headers.get("origin")
    return sent_from in (None, "null") or sent_from == f"{request.url.scheme}://{request.url.netloc}"


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


async def form_data(request: Request) -> dict[str, str]:
    """The request's urlencoded form, read once (``guarded`` reads it for the CSRF check)."""
    if not hasattr(request.state, "form"):
        request.state.form = await read_form(request, MAX_FORM, 50)
    return request.state.form


async def threaded(run: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    def guarded_call() -> Any:
        with database_errors():
            return run(*args, **kwargs)

    return await run_in_threadpool(guarded_call)


Handler = Callable[[Request, Console, Session], Awaitable[Response]]


Needs = Permission | frozenset[Permission] | None


def permits(role: Role, needs: Needs) -> bool:
    """None: any signed-in person; a set: any one of its permissions."""
    if needs is None:
        return True
    if isinstance(needs, Permission):
        return allowed(role, needs)
    return any(allowed(role, p) for p in needs)


def guarded(console: Console, needs: Needs, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """``handler`` behind a live session whose role ``permits`` it; writes also need the
    session's CSRF token (form field ``csrf`` or header ``X-CSRF-Token``)."""

    async def endpoint(request: Request) -> Response:
        session = await threaded(console.sessions.find, request.cookies.get(COOKIE))
        if session is None:
            if is_api(request):
                return as_json({"error": "sign in first"}, 401)
            return RedirectResponse("/login", status_code=303, headers=HEADERS)
        who = session.account.username
        if not permits(session.account.role, needs):
            await threaded(
                audit.record_alone,
                console.engine,
                who,
                "denied",
                f"{request.method} {request.url.path}"[:40],
                origin(request),
            )
            if is_api(request):
                return as_json({"error": f"your role ({session.account.role.value}) may not do this"}, 403)
            needed = needs.value if isinstance(needs, Permission) else " or ".join(sorted(p.value for p in needs or ()))
            return page("denied.html", 403, session, needed=needed)
        if session.password_expired(console.settings.password_max_age_days) and request.url.path not in (
            "/password", "/logout",
        ):  # fmt: skip
            if is_api(request):
                return as_json({"error": "your password has expired: change it first"}, 403)
            return RedirectResponse("/password?expired=1", status_code=303, headers=HEADERS)
        if request.method == "POST":
            if not same_origin(request):
                await threaded(
                    audit.record_alone, console.engine, who, "csrf_refused", request.url.path[:40], origin(request)
                )
                return (
                    as_json({"error": "a write from another site"}, 403)
                    if is_api(request)
                    else page("error.html", 403, session, message="This form came from another site.")
                )
            sent = request.headers.get("x-csrf-token")
            if sent is None and not is_api(request):  # the API takes JSON bodies: its token is a header
                try:
                    sent = (await form_data(request)).get("csrf")
                except BadBody as exc:
                    return page("error.html", exc.http_status, session, message=str(exc))
            if not console.sessions.csrf_ok(session, sent):
                await threaded(
                    audit.record_alone, console.engine, who, "csrf_refused", request.url.path[:40], origin(request)
                )
                if is_api(request):
                    return as_json({"error": "missing or wrong CSRF token"}, 403)
                return page(
                    "error.html",
                    403,
                    session,
                    message="This form expired or came from another site. Go back, reload and try again.",
                )
        try:
            return await handler(request, console, session)
        except BadBody as exc:  # a JSON body over the limit or cut off: its 4xx, never a 500
            if is_api(request):
                return as_json({"error": str(exc)}, exc.http_status)
            return page("error.html", exc.http_status, session, message=str(exc))

    return endpoint
