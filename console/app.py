"""The console's routes, each with the permission it needs: one table (``ROUTES``), used to build
the app and by the tests that try every role on every route."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from console import exports, pages_admin, pages_auth, pages_contests, pages_inbox, pages_policy, pages_stats
from console.roles import Permission as P
from console.sessions import Session
from console.web import HEADERS, Console, Needs, as_json, guarded, origin, page, threaded

STATIC = Path(__file__).resolve().parent / "static"
REVEAL = frozenset({P.REVEAL_CONTACT, P.REVEAL_ADDRESS})
POLICY = frozenset({P.EDIT_POLICY, P.APPROVE_POLICY})


@dataclass(frozen=True, slots=True)
class Guarded:
    path: str
    method: str
    needs: Needs
    handler: Callable[[Request, Console, Session], Awaitable[Response]]


async def _conversations_api(request: Request, console: Console, session: Session) -> Response:
    from console import queries

    q = request.query_params
    rows = await threaded(
        queries.conversations,
        console.engine,
        q.get("channel", "")[:32],
        q.get("sender", "")[:40],
        q.get("date", "")[:10],
    )
    return as_json([{"conversation": r.conversation, "channel": r.channel, "sender": r.sender,
                     "messages": r.messages, "last": r.last} for r in rows])  # fmt: skip


async def _messages_api(request: Request, console: Console, session: Session) -> Response:
    from console import audit, queries

    conversation = request.path_params["conversation"][:64]
    found = await threaded(queries.conversation, console.engine, conversation)
    await threaded(
        audit.record_alone, console.engine, session.account.username, "view_messages", f"{len(found)} messages",
        origin(request), subject=audit.shaped(conversation, audit.PSEUDONYM),
    )  # fmt: skip
    return as_json([{"event_id": m.event_id, "sent_at": m.sent_at, "sender": m.sender, "text": m.text,
                     "findings": m.findings, "form": m.form} for m in found])  # fmt: skip


ROUTES: tuple[Guarded, ...] = (
    Guarded("/", "GET", None, pages_auth.home),
    Guarded("/logout", "POST", None, pages_auth.logout),
    Guarded("/password", "GET", None, pages_auth.password_page),
    Guarded("/password", "POST", None, pages_auth.change_password),
    Guarded("/inbox", "GET", P.VIEW_INBOX, pages_inbox.inbox),
    Guarded("/inbox/{conversation}", "GET", P.VIEW_INBOX, pages_inbox.conversation),
    Guarded("/reveal", "POST", REVEAL, pages_inbox.reveal),
    Guarded("/contests", "GET", P.VIEW_CONTESTS, pages_contests.contests),
    Guarded("/contests/winner", "POST", P.MARK_WINNERS, pages_contests.mark_winner),
    Guarded("/contests/form", "POST", P.SEND_FORMS, pages_contests.send_form),
    Guarded("/stats", "GET", P.VIEW_STATS, pages_stats.stats),
    Guarded("/stats/export.csv", "GET", P.VIEW_STATS, exports.stats_csv),
    Guarded("/dashboard", "GET", P.VIEW_DASHBOARD, pages_stats.dashboard),
    Guarded("/policy", "GET", POLICY, pages_policy.policy_page),
    Guarded("/policy/propose", "POST", P.EDIT_POLICY, pages_policy.propose),
    Guarded("/policy/decide", "POST", P.APPROVE_POLICY, pages_policy.decide),
    Guarded("/admin/users", "GET", P.MANAGE_USERS, pages_admin.users_page),
    Guarded("/admin/users", "POST", P.MANAGE_USERS, pages_admin.users_change),
    Guarded("/admin/audit", "GET", P.VIEW_AUDIT, pages_admin.audit_page),
    Guarded("/admin/audit/export.csv", "GET", P.VIEW_AUDIT, exports.audit_csv),
    Guarded("/admin/erase", "GET", P.ERASE, pages_admin.erase_page),
    Guarded("/admin/erase", "POST", P.ERASE, pages_admin.erase),
    Guarded("/api/conversations", "GET", P.VIEW_INBOX, _conversations_api),
    Guarded("/api/conversations/{conversation}/messages", "GET", P.VIEW_INBOX, _messages_api),
    Guarded("/api/reveal", "POST", REVEAL, pages_inbox.reveal),
    Guarded("/api/contests/form", "POST", P.SEND_FORMS, pages_contests.send_form),
    Guarded("/api/stats", "GET", P.VIEW_STATS, pages_stats.stats),
    Guarded("/api/dashboard", "GET", P.VIEW_DASHBOARD, pages_stats.dashboard),
    Guarded("/api/users", "GET", P.MANAGE_USERS, pages_admin.users_page),
    Guarded("/api/audit", "GET", P.VIEW_AUDIT, pages_admin.audit_page),
    Guarded("/api/policy", "GET", POLICY, pages_policy.policy_page),
)


def build_app(console: Console, lifespan=None) -> SecurityHeaders:
    def bound(handler: Callable[[Request, Console], Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            return await handler(request, console)

        return endpoint

    async def health(_request: Request) -> Response:
        return as_json({"status": "ok"})

    async def not_found(request: Request, _exc: Exception) -> Response:
        return page("error.html", 404, message="no such page")

    routes: list = [
        Route("/login", bound(pages_auth.login_page), methods=["GET"]),
        Route("/login", bound(pages_auth.login), methods=["POST"]),
        Route("/setup/{token}", bound(pages_auth.setup_page), methods=["GET"]),
        Route("/setup/{token}", bound(pages_auth.setup), methods=["POST"]),
        Route("/healthz", health, methods=["GET"]),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    routes += [Route(r.path, guarded(console, r.needs, r.handler), methods=[r.method]) for r in ROUTES]
    app = Starlette(routes=routes, exception_handlers={404: not_found}, lifespan=lifespan)
    app.router.redirect_slashes = False
    return SecurityHeaders(app)


class SecurityHeaders:
    """Every answer carries the console's headers, errors and static files included (405s and
    404s come from the router, not from a page)."""

    def __init__(self, app: Starlette) -> None:
        self.app = app
        self.router = app.router  # for tests that look for routes

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [
                    (k.lower().encode(), v.encode()) for k, v in HEADERS.items() if k.lower().encode() not in present
                ]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        await self.app(scope, receive, with_headers)
