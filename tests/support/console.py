"""Console test helpers: people of each role set up and signed in over HTTP, clean events stored
the way the sink stores them, a vault with values behind their refs."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable

import httpx
import pyotp

from console.accounts import Accounts
from console.roles import Role
from console.sink import insert_new, row_of
from schemas.redacted import Finding, RedactedMessage

PASSWORD = "tulip-granite-ferry-oboe-cactus"


def set_up_person(accounts: Accounts, username: str, role: Role) -> str:
    """Create ``username`` and finish their set-up; their TOTP secret. The set-up uses the previous
    time step's code, so a sign-in right after can use the current one."""
    token = accounts.create(username, role, "test", "127.0.0.1")
    _row, secret = accounts.pending(token)
    accounts.complete_setup(token, PASSWORD, PASSWORD, pyotp.TOTP(secret).at(time.time() - 30), "127.0.0.1")
    return secret


def sign_in(base: str, username: str, secret: str | None) -> tuple[httpx.Client, str]:
    """A client holding ``username``'s session cookie, and the session's CSRF token."""
    client = httpx.Client(base_url=base, timeout=30, follow_redirects=False)
    code = pyotp.TOTP(secret).now() if secret else ""
    answer = client.post("/login", data={"username": username, "password": PASSWORD, "code": code})
    assert answer.status_code == 303, answer.text
    home = client.get("/")
    found = re.search(r'name="csrf" value="([^"]+)"', home.text)
    assert found, home.text
    return client, found.group(1)


def clean_event(event_id: str, text: str, findings: Iterable[Finding] = (), **fields) -> RedactedMessage:
    base = dict(
        event_id=event_id, channel="web", channel_kind="private", conversation_id="c_00000000000000aa",
        sender="u_00000000000000aa", sent_at="2026-12-02T10:00:00Z", text=text, findings=tuple(findings),
        policy="storage", policy_version="1", processed_at="2026-12-02T10:00:01Z",
    )  # fmt: skip
    return RedactedMessage(**{**base, **fields})


def store(engine, events: Iterable[RedactedMessage]) -> None:
    with engine.begin() as conn:
        insert_new(conn, [row_of(e, int(time.time())) for e in events])


def set_up_in_browser(page, link: str, with_totp: bool = True) -> str | None:
    """Fill the set-up page in a browser; the TOTP secret when enrolled. The enrolment uses the
    previous time step's code, so the sign-in right after can use the current one."""
    page.goto(link)
    page.locator("#password").fill(PASSWORD)
    page.locator("#confirm").fill(PASSWORD)
    secret = page.locator("#totp-secret").inner_text().strip() if with_totp else None
    if secret:
        page.locator("#code").fill(pyotp.TOTP(secret).at(time.time() - 30))
    page.get_by_role("button", name="Save").click()
    return secret


def sign_in_in_browser(page, base: str, username: str, code: str) -> None:
    page.goto(f"{base}/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(PASSWORD)
    page.locator("#code").fill(code)
    page.get_by_role("button", name="Sign in").click()
