"""Sign-in, set-up from a one-time link, sign-out, password change."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from console import audit, totp
from console.accounts import AccountError, SignInRefused, Throttled
from console.passwords import Busy, WeakPassword
from console.roles import GRANTS, Role, needs_totp
from console.sessions import COOKIE, Session
from console.web import HEADERS, Console, form_data, origin, page, same_origin, threaded
from runtime.webforms import BadBody


def _cookie(response: Response, console: Console, token: str) -> Response:
    response.set_cookie(
        COOKIE, token, httponly=True, samesite="strict", secure=console.settings.secure_cookies, path="/",
        max_age=console.settings.absolute_hours * 3600,
    )  # fmt: skip
    return response


async def login_page(request: Request, console: Console) -> Response:
    return page("login.html")


async def login(request: Request, console: Console) -> Response:
    if not same_origin(request):  # login CSRF: another site signing the browser in as someone else
        return page("login.html", 403, message="sign in from this site's own page")
    try:
        form = await form_data(request)
    except BadBody as exc:
        return page("login.html", exc.http_status, message=str(exc))
    username = form.get("username", "")
    try:
        account = await threaded(
            console.accounts.sign_in, username, form.get("password", ""), form.get("code", ""), origin(request)
        )
    except (SignInRefused, Throttled, Busy) as exc:
        return page("login.html", exc.http_status, message=str(exc), username=username[:64])
    token, _csrf = await threaded(console.sessions.start, account, origin(request), request.cookies.get(COOKIE))
    expired = await threaded(console.accounts.password_expired, account.user_id, console.settings.password_max_age_days)
    return _cookie(RedirectResponse("/password?expired=1" if expired else "/", 303, headers=HEADERS), console, token)


async def logout(request: Request, console: Console, session: Session) -> Response:
    await threaded(console.sessions.end, request.cookies.get(COOKIE))
    await threaded(audit.record_alone, console.engine, session.account.username, "sign_out", "ok", origin(request))
    response = RedirectResponse("/login", 303, headers=HEADERS)
    response.delete_cookie(COOKIE, path="/", secure=console.settings.secure_cookies, httponly=True, samesite="strict")
    return response


def _setup_page(row, secret: str, status: int = 200, message: str | None = None) -> Response:
    uri = totp.provisioning_uri(secret, row.username)
    return page(
        "setup.html", status, username=row.username, role=row.role, secret=secret, qr=totp.qr_svg(uri),
        totp_required=needs_totp(Role(row.role)), message=message,
    )  # fmt: skip


async def setup_page(request: Request, console: Console) -> Response:
    try:
        row, secret = await threaded(console.accounts.pending, request.path_params["token"], origin(request))
    except AccountError as exc:
        return page("error.html", 404, message=str(exc))
    return _setup_page(row, secret)


async def setup(request: Request, console: Console) -> Response:
    token = request.path_params["token"]
    if not same_origin(request):
        return page("error.html", 403, message="set up your account from this site's own page")
    try:
        form = await form_data(request)
        codes = await threaded(
            console.accounts.complete_setup, token, form.get("password", ""), form.get("confirm", ""),
            form.get("code", ""), origin(request),
        )  # fmt: skip
    except AccountError as exc:
        return page("error.html", 404, message=str(exc))
    except (WeakPassword, BadBody) as exc:
        row, secret = await threaded(console.accounts.pending, token)
        return _setup_page(row, secret, exc.http_status, str(exc))
    return page("recovery.html", codes=codes)


async def home(request: Request, console: Console, session: Session) -> Response:
    permissions = sorted(p.value for p in GRANTS[session.account.role])
    return page("home.html", session=session, permissions=permissions)


async def password_page(request: Request, console: Console, session: Session) -> Response:
    return page("password.html", session=session, expired=request.query_params.get("expired") == "1")


async def change_password(request: Request, console: Console, session: Session) -> Response:
    form = await form_data(request)
    try:
        await threaded(
            console.accounts.change_password, session.account, form.get("current", ""), form.get("password", ""),
            form.get("confirm", ""), origin(request),
        )  # fmt: skip
    except SignInRefused as exc:  # the current password: a form error here, not a failed sign-in page
        return page("password.html", 422, session=session, message=str(exc))
    except (WeakPassword, Throttled, Busy) as exc:
        return page("password.html", exc.http_status, session=session, message=str(exc))
    # Every session of this person ended with the change (a thief's too): this browser gets a new one.
    token, csrf = await threaded(console.sessions.start, session.account, origin(request))
    fresh = Session(session.account, csrf, "")
    return _cookie(page("password.html", session=fresh, done=True), console, token)
