"""Every role on every route of a real console (uvicorn, the database of each kind, a real vault
API behind it): allowed where the permission table says, 403 (audited) elsewhere, the sign-in page
without a session, 403 without the CSRF token. Then the object-level checks of a reveal: a role
opens only the entity types its job needs, and only refs of messages it may see."""

from __future__ import annotations

import secrets

import pytest
from sqlalchemy import select

from console.accounts import Accounts
from console.app import ROUTES
from console.roles import Role
from console.sessions import Sessions
from console.settings import ConsoleSettings
from console.vault_client import VaultClient
from console.web import Console, permits
from schemas.keeping import KeptValue, ReplyAddress
from schemas.pseudonyms import Pseudonymiser
from schemas.redacted import Finding
from tests.support.console import clean_event, set_up_person, sign_in, store
from tests.support.processes import serve_in_thread
from vault.api import build_app as vault_app
from vault.core import Vault
from vault.forms.delivery import BotWebhook, send_form
from vault.forms.store import FormStore
from vault.keys import LocalKeys
from vault.tables import audit

API_TOKEN, BOT_TOKEN = secrets.token_hex(32), secrets.token_hex(32)
SUBJECT = "u_00000000000000aa"
REASON = "customer asked to be called back"


@pytest.fixture
def bot():
    """A real bot webhook (the sample bot); what it was asked to post."""
    from connectors.sample_bot import PATH
    from connectors.sample_bot import build_app as bot_app

    posted: list[dict] = []
    with serve_in_thread(bot_app(BOT_TOKEN.encode(), posted.append)) as base:
        yield base + PATH, posted


@pytest.fixture
def console(console_engine, bot):
    from console.app import build_app

    vault = Vault(console_engine, LocalKeys(secrets.token_bytes(32)), 3600)
    phone, street, email = vault.put_many(
        [
            KeptValue("web:1", "PHONE_NUMBER", SUBJECT, "+48 601 234 567", "c_00000000000000aa"),
            KeptValue("web:2", "STREET_ADDRESS", SUBJECT, "ul. Lipowa 12, Warszawa", "c_00000000000000aa"),
            KeptValue("web:3", "EMAIL_ADDRESS", SUBJECT, "anna@example.com", "c_00000000000000aa"),
        ]
    )
    store(
        console_engine,
        [
            clean_event("web:1", "call me on ***************", [Finding("PHONE_NUMBER", 11, 26, 0.9, phone)]),
            clean_event("web:2", "I live at ***********************", [Finding("STREET_ADDRESS", 10, 33, 0.9, street)]),
            clean_event(
                "web:3", "code 8K3F-Q9ZT, mail ****************", [Finding("EMAIL_ADDRESS", 21, 37, 0.9, email)]
            ),
        ],
    )
    vault.put_many([], [ReplyAddress(SUBJECT, "c_00000000000000aa", "web", "private", "visitor-chat-1", "visitor-1")])
    pseudonyms = Pseudonymiser(secrets.token_bytes(32))
    webhook = BotWebhook(bot[0], BOT_TOKEN.encode())

    def send(sender, conversation, fields, actor):
        return send_form(
            FormStore(vault, pseudonyms), webhook, "https://forms.test", sender, conversation, fields, actor
        )

    with serve_in_thread(vault_app(vault, API_TOKEN.encode(), pseudonyms, None, send)) as vault_url:
        accounts = Accounts(console_engine)
        settings = ConsoleSettings(secure_cookies=False, metrics_url="http://127.0.0.1:9/metrics")
        made = Console(settings, accounts, Sessions(console_engine, 900, 3600), VaultClient(vault_url, API_TOKEN))
        people = {role: set_up_person(accounts, f"p-{role.value.replace('_', '-')}", role) for role in Role}
        with serve_in_thread(build_app(made)) as base:
            yield base, people, {"phone": phone, "street": street, "email": email}, console_engine


def path_of(route: str) -> str:
    return route.replace("{conversation}", "c_00000000000000aa")


def test_every_role_on_every_route(console):
    base, people, _refs, engine = console
    outcomes = {}
    for role, secret in people.items():
        client, csrf = sign_in(base, f"p-{role.value.replace('_', '-')}", secret)
        for route in ROUTES:
            if route.path == "/logout":
                continue  # ends the session the rest of the loop needs; tried below
            if route.method == "GET":
                answer = client.get(path_of(route.path))
            elif route.path.startswith("/api/"):
                answer = client.post(path_of(route.path), json={}, headers={"X-CSRF-Token": csrf})
            else:
                answer = client.post(path_of(route.path), data={"csrf": csrf})
            allowed = permits(role, route.needs)
            outcomes[(role.value, route.method, route.path)] = answer.status_code
            if allowed:
                assert answer.status_code not in (401, 403), (role, route.path, answer.text[:300])
            else:
                assert answer.status_code == 403, (role, route.path, answer.status_code)
        assert client.post("/logout", data={"csrf": csrf}).status_code == 303
        assert client.get("/").status_code == 303  # signed out
    denied = sum(1 for status in outcomes.values() if status == 403)
    with engine.connect() as conn:
        audited = conn.execute(select(audit).where(audit.c.action == "denied")).all()
    assert len(audited) == denied > 0


def test_without_a_session_pages_send_to_sign_in_and_the_api_says_401(console):
    import httpx

    base, *_ = console
    with httpx.Client(base_url=base, follow_redirects=False) as client:
        for route in ROUTES:
            answer = client.request(route.method, path_of(route.path))
            if route.path.startswith("/api/"):
                assert answer.status_code == 401, route.path
            else:
                assert answer.status_code == 303 and answer.headers["location"] == "/login", route.path


def test_a_write_without_the_csrf_token_is_refused(console):
    base, people, refs, _ = console
    client, csrf = sign_in(base, "p-mailbox-moderator", people[Role.MAILBOX_MODERATOR])
    answer = client.post("/reveal", data={"ref": refs["phone"], "reason": REASON})
    assert answer.status_code == 403 and "+48" not in answer.text
    answer = client.post("/reveal", data={"ref": refs["phone"], "reason": REASON, "csrf": "x" + csrf})
    assert answer.status_code == 403
    api = client.post("/api/reveal", json={"ref": refs["phone"], "reason": REASON})
    assert api.status_code == 403


@pytest.mark.parametrize(
    ("role", "ref", "opens"),
    [
        (Role.MAILBOX_MODERATOR, "phone", True),
        (Role.MAILBOX_MODERATOR, "email", True),
        (Role.MAILBOX_MODERATOR, "street", False),  # an address is the contest moderator's job
        (Role.CONTEST_MODERATOR, "phone", False),
        (Role.CONTEST_MODERATOR, "street", False),  # not a contest entry
        (Role.CONTEST_MODERATOR, "email", False),  # a contest entry, but not an address
        (Role.ADMINISTRATOR, "street", True),
    ],
)
def test_a_reveal_opens_only_what_the_role_needs(console, role, ref, opens):
    base, people, refs, _ = console
    client, csrf = sign_in(base, f"p-{role.value.replace('_', '-')}", people[role])
    answer = client.post("/api/reveal", json={"ref": refs[ref], "reason": REASON}, headers={"X-CSRF-Token": csrf})
    if opens:
        assert answer.status_code == 200 and answer.json()["value"], answer.text
    else:
        assert answer.status_code == 404 and "value" not in answer.json()


def test_a_reveal_needs_a_reason_and_an_unknown_ref_opens_nothing(console):
    base, people, refs, engine = console
    client, csrf = sign_in(base, "p-mailbox-moderator", people[Role.MAILBOX_MODERATOR])
    headers = {"X-CSRF-Token": csrf}
    assert client.post("/api/reveal", json={"ref": refs["phone"], "reason": "why"}, headers=headers).status_code == 400
    unknown = client.post("/api/reveal", json={"ref": "v_" + "0" * 32, "reason": REASON}, headers=headers)
    assert unknown.status_code == 404
    page = client.post("/reveal", data={"ref": refs["phone"], "reason": REASON, "csrf": csrf})
    assert page.status_code == 200 and "+48 601 234 567" in page.text and page.headers["cache-control"] == "no-store"
    with engine.connect() as conn:
        reveals = conn.execute(
            select(audit.c.actor, audit.c.outcome, audit.c.reason).where(audit.c.action == "reveal")
        ).all()
    assert ("console:p-mailbox-moderator", "revealed", REASON) in [tuple(r) for r in reveals]
    assert all("+48" not in str(tuple(r)) for r in reveals)


def test_every_answer_carries_the_security_headers(console):
    import httpx

    base, *_ = console
    with httpx.Client(base_url=base, follow_redirects=False) as client:
        for answer in (
            client.get("/login"), client.get("/no-such-page"), client.put("/login"), client.get("/static/console.css"),
            client.get("/inbox/"),
        ):  # fmt: skip
            assert answer.headers["x-content-type-options"] == "nosniff", answer.url
            assert "frame-ancestors 'none'" in answer.headers["content-security-policy"], answer.url
            assert answer.status_code != 307  # no slash redirect


def test_a_sign_in_posted_from_another_site_is_refused(console):
    import httpx

    base, people, *_ = console
    import pyotp

    from tests.support.console import PASSWORD

    with httpx.Client(base_url=base, follow_redirects=False) as client:
        form = {"username": "p-viewer", "password": PASSWORD, "code": pyotp.TOTP(people[Role.VIEWER]).now()}
        for headers in ({"Sec-Fetch-Site": "cross-site"}, {"Origin": "http://evil.example"}):
            answer = client.post("/login", data=form, headers=headers)
            assert answer.status_code == 403 and "chatguard_session" not in answer.headers.get("set-cookie", "")


def test_a_password_change_ends_every_other_session(console):
    import re

    from tests.support.console import PASSWORD

    base, _people, _refs, engine = console
    accounts = Accounts(engine)
    token = accounts.create("p-pat", Role.VIEWER, "test", "127.0.0.1")
    accounts.pending(token)
    accounts.complete_setup(token, PASSWORD, PASSWORD, "", "127.0.0.1")  # a Viewer without TOTP
    thief, _ = sign_in(base, "p-pat", None)
    owner, csrf = sign_in(base, "p-pat", None)
    new = "granite-tulip-oboe-ferry-walrus"
    changed = owner.post("/password", data={"csrf": csrf, "current": PASSWORD, "password": new, "confirm": new})
    assert changed.status_code == 200 and "Password changed" in changed.text
    assert thief.get("/dashboard").status_code == 303  # signed out
    assert owner.get("/dashboard").status_code == 200  # the one who changed it has a new session
    wrong = owner.post(
        "/password",
        data={"csrf": re.search(r'name="csrf" value="([^"]+)"', changed.text).group(1), "current": "a guess",
              "password": new, "confirm": new},
    )  # fmt: skip
    assert wrong.status_code == 422


def test_a_contest_moderator_opens_only_a_winners_address(console):
    base, people, refs, engine = console
    from console.tables import messages

    with engine.begin() as conn:  # the address message becomes a contest entry by its code
        conn.execute(messages.update().where(messages.c.event_id == "web:2").values(text="8K3F-Q9ZT, I live at ***"))
    client, csrf = sign_in(base, "p-contest-moderator", people[Role.CONTEST_MODERATOR])
    headers = {"X-CSRF-Token": csrf}
    reason = "ship the contest prize to the winner"
    assert (
        client.post("/api/reveal", json={"ref": refs["street"], "reason": reason}, headers=headers).status_code == 404
    )
    marked = client.post("/contests/winner", data={"csrf": csrf, "event_id": "web:2"})
    assert marked.status_code == 303
    opened = client.post("/api/reveal", json={"ref": refs["street"], "reason": reason}, headers=headers)
    assert opened.status_code == 200 and opened.json()["value"] == "ul. Lipowa 12, Warszawa"
    odd = client.post("/api/reveal", json={"ref": 12345, "reason": ["x"]}, headers=headers)
    assert odd.status_code == 400


def test_with_the_rotation_knob_on_an_expired_password_opens_only_the_password_page(console_engine):
    from console.app import build_app
    from console.tables import users

    accounts = Accounts(console_engine)
    secret = set_up_person(accounts, "p-old", Role.MAILBOX_MODERATOR)
    with console_engine.begin() as conn:
        conn.execute(users.update().where(users.c.username == "p-old").values(password_set_at=1))
    settings = ConsoleSettings(secure_cookies=False, password_max_age_days=30)
    made = Console(settings, accounts, Sessions(console_engine, 900, 3600), VaultClient("http://127.0.0.1:9", None))
    with serve_in_thread(build_app(made)) as base:
        import httpx
        import pyotp

        from tests.support.console import PASSWORD

        client = httpx.Client(base_url=base, follow_redirects=False)
        signed = client.post(
            "/login", data={"username": "p-old", "password": PASSWORD, "code": pyotp.TOTP(secret).now()}
        )
        assert signed.status_code == 303 and signed.headers["location"] == "/password?expired=1"
        inbox = client.get("/inbox")
        assert inbox.status_code == 303 and inbox.headers["location"] == "/password?expired=1"
        assert client.get("/api/conversations").status_code == 403
        assert client.get("/password").status_code == 200


def test_a_form_goes_to_a_winner_only_and_the_console_never_sees_its_link(console, bot):
    base, people, _refs, engine = console
    _url, posted = bot
    client, csrf = sign_in(base, "p-contest-moderator", people[Role.CONTEST_MODERATOR])
    headers = {"X-CSRF-Token": csrf}
    entry = {"event_id": "web:3", "fields": ["name", "address"]}  # holds a contest code; not a winner yet
    assert client.post("/api/contests/form", json=entry, headers=headers).status_code == 404
    assert client.post("/api/contests/form", json={**entry, "event_id": "web:9"}, headers=headers).status_code == 404
    assert posted == []
    # Only a contest entry can win: not a message of the inbox (web:1 holds a phone, no code).
    assert client.post("/contests/winner", data={"csrf": csrf, "event_id": "web:1"}).status_code == 404
    assert client.post("/api/contests/form", json={**entry, "event_id": "web:1"}, headers=headers).status_code == 404
    assert client.post("/contests/winner", data={"csrf": csrf, "event_id": "web:3"}).status_code == 303
    for bad in (
        {**entry, "fields": []}, {**entry, "fields": ["iban"]}, {"fields": ["address"]},
        {**entry, "fields": ["address", "pesel"]},  # a prize needs no national id
    ):  # fmt: skip
        assert client.post("/api/contests/form", json=bad, headers=headers).status_code == 400
    huge = client.post(
        "/api/contests/form", content=b'{"event_id": "' + b"x" * 40_000 + b'"}',
        headers={**headers, "Content-Type": "application/json"},
    )  # fmt: skip
    assert huge.status_code == 413
    assert client.post("/contests/form", data={"csrf": csrf, "event_id": "web:3"}).status_code == 400  # none ticked
    assert posted == []
    sent = client.post("/contests/form", data={"csrf": csrf, "event_id": "web:3", "f_name": "1", "f_address": "1"})
    assert sent.status_code == 200 and "Form sent" in sent.text, sent.text[:500]
    (call,) = posted
    assert (call["conversation_id"], call["sender_id"], call["fields"]) == (
        "visitor-chat-1",
        "visitor-1",
        ["name", "address"],
    )
    token = call["url"].rsplit("/", 1)[1]
    assert token not in sent.text and call["form_id"] in sent.text
    api = client.post("/api/contests/form", json={**entry, "fields": ["phone"]}, headers=headers)
    assert api.status_code == 201 and set(api.json()) == {"form_id", "expires_at", "fields"}
    assert posted[1]["url"].rsplit("/", 1)[1] not in api.text
    with engine.connect() as conn:
        sends = conn.execute(select(audit.c.actor, audit.c.outcome).where(audit.c.action == "form_send")).all()
    outcomes = [r.outcome for r in sends]
    assert outcomes.count("denied") == 3 and sum(o.startswith("sent f_") for o in outcomes) == 2
    assert all(r.actor == "console:p-contest-moderator" for r in sends)


def test_a_mark_on_a_message_that_is_no_contest_entry_grants_nothing_and_can_be_taken_back(console):
    """A winner mark on an inbox message (made before marks were checked) opens no address."""
    from sqlalchemy import insert

    from console.tables import winners

    base, people, refs, engine = console
    with engine.begin() as conn:
        conn.execute(insert(winners).values(event_id="web:1", marked_by="someone", marked_at=0))
    client, csrf = sign_in(base, "p-contest-moderator", people[Role.CONTEST_MODERATOR])
    reveal = {"ref": refs["street"], "reason": REASON}
    assert client.post("/api/reveal", json=reveal, headers={"X-CSRF-Token": csrf}).status_code == 404
    assert client.post("/contests/winner", data={"csrf": csrf, "event_id": "web:1", "unmark": "1"}).status_code == 303
    with engine.connect() as conn:
        assert conn.execute(select(winners)).all() == []


def test_exports_are_csv_audited_and_hold_no_formula(console):
    import csv
    import io

    base, people, refs, engine = console
    marketer, csrf = sign_in(base, "p-marketer", people[Role.MARKETER])
    stats = marketer.get("/stats/export.csv")
    assert stats.status_code == 200 and stats.headers["content-type"].startswith("text/csv")
    assert "attachment" in stats.headers["content-disposition"] and stats.headers["cache-control"] == "no-store"
    header, *days = list(csv.reader(io.StringIO(stats.text)))
    assert header == ["day", "messages", "with_personal_data", "rate"] and len(days) == 14
    assert "call me" not in stats.text and marketer.get("/admin/audit/export.csv").status_code == 403
    moderator, mod_csrf = sign_in(base, "p-mailbox-moderator", people[Role.MAILBOX_MODERATOR])
    formula = '=HYPERLINK("http://evil.example","open") customer asked'
    semicolon = "customer asked;=HYPERLINK(CHAR(104)&A2);x"  # a cell of its own where ; separates
    headers = {"X-CSRF-Token": mod_csrf}
    for reason in (formula, semicolon):
        answer = moderator.post("/api/reveal", json={"ref": refs["phone"], "reason": reason}, headers=headers)
        assert answer.status_code == 200
    # What a person pastes where a ref or a conversation goes is not logged, nor exported.
    pasted = moderator.post("/api/reveal", json={"ref": "+48 601 234 567", "reason": REASON}, headers=headers)
    assert pasted.status_code == 404
    assert moderator.get("/api/conversations/anna@example.com/messages").status_code == 200
    admin, _ = sign_in(base, "p-administrator", people[Role.ADMINISTRATOR])
    exported = admin.get("/admin/audit/export.csv", params={"action": "reveal"})
    rows = list(csv.DictReader(io.StringIO(exported.text)))
    assert rows and all(r["action"] == "reveal" for r in rows) and len(rows[0]["hash"]) == 64
    reasons = [r["reason"] for r in rows]
    assert "'" + formula in reasons and "customer asked;'=HYPERLINK(CHAR(104)&A2);x" in reasons
    assert all(line.startswith('"') for line in exported.text.splitlines())  # every cell quoted
    assert "+48" not in exported.text and "<malformed>" in [r["ref"] for r in rows]
    everything = admin.get("/admin/audit/export.csv").text
    assert "anna@example.com" not in everything and "601 234" not in everything
    nobody = admin.get("/admin/audit/export.csv", params={"actor": "%"}).text
    assert len(list(csv.DictReader(io.StringIO(nobody)))) == 0  # % is a letter, not a wildcard
    assert admin.get("/admin/audit/export.csv", params={"date": "2026-13-45"}).status_code == 400
    assert admin.get("/admin/audit", params={"date": "x"}).status_code == 400
    with engine.connect() as conn:
        exports = conn.execute(select(audit.c.actor, audit.c.outcome).where(audit.c.action == "export")).all()
    assert ("console:p-marketer", "statistics 14 days") in [tuple(r) for r in exports]
    assert any(r.actor == "console:p-administrator" and r.outcome.startswith("audit ") for r in exports)
