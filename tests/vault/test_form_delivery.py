"""Sending a sender a secure form through the bot, on real servers and both databases: the vault
API finds where the sender can be reached, issues the form and hands the signed link to a real
bot webhook (the sample bot); the caller gets the form's id, never the link. A bot that refuses or
does not answer leaves no usable link; a sender the vault cannot reach is a clear 404."""

from __future__ import annotations

import secrets

import httpx
import pytest
from sqlalchemy import select

from connectors.sample_bot import PATH
from connectors.sample_bot import build_app as bot_app
from schemas.keeping import ReplyAddress
from schemas.pseudonyms import Pseudonymiser
from tests.support.ports import free_port
from tests.support.processes import serve_in_thread
from vault.api import build_app
from vault.errors import FormGone
from vault.forms.delivery import BotWebhook, send_form
from vault.forms.store import FormStore
from vault.tables import audit, forms

TOKEN, BOT_TOKEN = secrets.token_hex(32), secrets.token_hex(32)
KEY = secrets.token_bytes(32)
FORMS_URL = "https://forms.example.test"
SENDER_ID, CONVERSATION_ID = "tg-user-70012345", "tg-chat-70012345"


def reach(vault, channel_kind: str = "private") -> tuple[str, str]:
    pseudonyms = Pseudonymiser(KEY)
    subject, conversation = (
        pseudonyms.sender("telegram", SENDER_ID),
        pseudonyms.conversation("telegram", CONVERSATION_ID),
    )
    vault.put_many([], [ReplyAddress(subject, conversation, "telegram", channel_kind, CONVERSATION_ID, SENDER_ID)])
    return subject, conversation


@pytest.fixture
def bot():
    """A real bot webhook (the sample bot) and what it posted; ``answer`` switches it to failing."""
    posted: list[dict] = []
    state = {"fail": False}

    def post(call: dict) -> None:
        if state["fail"]:
            raise RuntimeError("the chat platform is down")
        posted.append(call)

    with serve_in_thread(bot_app(BOT_TOKEN.encode(), post)) as base:
        yield base + PATH, posted, state


@pytest.fixture
def api(make_vault, bot):
    vault = make_vault()
    url, posted, state = bot
    store = FormStore(vault, Pseudonymiser(KEY))
    webhook = BotWebhook(url, BOT_TOKEN.encode())

    def send(sender, conversation, fields, actor):
        return send_form(store, webhook, FORMS_URL, sender, conversation, fields, actor)

    with serve_in_thread(build_app(vault, TOKEN.encode(), Pseudonymiser(KEY), None, send)) as base:
        client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
        yield client, vault, store, posted, state
        client.close()


def ask(client, sender, conversation, fields=("name", "address"), actor="console:contest-mod"):
    body = {"sender": sender, "conversation": conversation, "fields": list(fields), "actor": actor}
    return client.post("/vault/forms", json=body)


def recording(webhook, links: list[str]):
    """``webhook``, noting each link it is handed first (to try the link after a failed call)."""

    def deliver(call: dict) -> None:
        links.append(call["url"])
        webhook(call)

    return deliver


def token_of(url: str) -> str:
    assert url.startswith(FORMS_URL + "/f/")
    return url.rsplit("/", 1)[1]


def test_the_bot_gets_a_signed_link_and_the_caller_only_the_form_id(api):
    client, vault, store, posted, _ = api
    sender, conversation = reach(vault)
    answer = ask(client, sender, conversation)
    assert answer.status_code == 201, answer.text
    sent = answer.json()
    assert set(sent) == {"form_id", "expires_at", "channel", "channel_kind"} and "/f/" not in answer.text
    (call,) = posted
    assert (call["channel"], call["conversation_id"], call["sender_id"]) == ("telegram", CONVERSATION_ID, SENDER_ID)
    assert call["form_id"] == sent["form_id"] and call["fields"] == ["name", "address"]
    assert call["post_to"] == "conversation"
    shown = store.show(token_of(call["url"]))
    assert shown.form_id == sent["form_id"] and shown.fields == ("name", "address")
    assert shown.can_prefill  # a private channel: the link reaches the winner alone
    with vault.engine.connect() as conn:
        actions = [(r.actor, r.action) for r in conn.execute(select(audit).order_by(audit.c.seq))]
    assert ("console:contest-mod", "form_issue") in actions


def test_a_public_channel_gets_no_prefill(api):
    client, vault, store, posted, _ = api
    sender, conversation = reach(vault, "public")
    assert ask(client, sender, conversation).status_code == 201
    assert not store.show(token_of(posted[0]["url"])).can_prefill
    assert posted[0]["post_to"] == "sender"  # everyone in the channel would read it: to the sender alone


def test_a_bot_that_fails_leaves_no_usable_link(api):
    client, vault, store, posted, state = api
    sender, conversation = reach(vault)
    state["fail"] = True
    answer = ask(client, sender, conversation)
    assert answer.status_code == 502 and "withdrawn" in answer.json()["error"]
    with vault.engine.connect() as conn:
        (form,) = conn.execute(select(forms)).all()
        outcomes = [(r.action, r.outcome) for r in conn.execute(select(audit).order_by(audit.c.seq))]
    assert form.conversation_id is None and form.sender_id is None  # no raw ids left behind
    assert ("form_withdraw", "not delivered: bot_refused") in outcomes


def test_withdrawn_forms_count_against_the_hourly_cap(api):
    client, vault, _, posted, state = api
    sender, conversation = reach(vault)
    state["fail"] = True
    assert [ask(client, sender, conversation).status_code for _ in range(10)] == [502] * 10
    state["fail"] = False
    answer = ask(client, sender, conversation)
    assert answer.status_code == 429 and posted == []


def test_a_bot_that_does_not_answer_leaves_no_usable_link(make_vault):
    vault = make_vault()
    store = FormStore(vault, Pseudonymiser(KEY))
    sender, conversation = reach(vault)
    dead = BotWebhook(f"http://127.0.0.1:{free_port()}{PATH}", BOT_TOKEN.encode(), timeout_s=2)
    links: list[str] = []
    deliver = recording(dead, links)

    with pytest.raises(Exception, match="did not answer"):
        send_form(store, deliver, FORMS_URL, sender, conversation, ("address",), "console:contest-mod")
    with pytest.raises(FormGone):
        store.show(token_of(links[0]))


def test_a_bot_that_refuses_the_signature_leaves_no_usable_link(make_vault, bot):
    vault = make_vault()
    url, posted, _ = bot
    store = FormStore(vault, Pseudonymiser(KEY))
    sender, conversation = reach(vault)
    links: list[str] = []
    deliver = recording(BotWebhook(url, b"not-the-bots-token"), links)

    with pytest.raises(Exception, match="answered 401"):
        send_form(store, deliver, FORMS_URL, sender, conversation, ("address",), "x")
    assert posted == []
    with pytest.raises(FormGone):
        store.show(token_of(links[0]))


def test_a_bot_that_trickles_its_answer_is_cut_off_at_the_deadline(make_vault):
    """One byte of the status line at a time, each well inside the per-read timeout: the call as
    a whole is cut at the deadline, long before the bot is done, and the form is withdrawn."""
    import socket
    import threading
    import time

    vault = make_vault()
    store = FormStore(vault, Pseudonymiser(KEY))
    sender, conversation = reach(vault)
    listener = socket.create_server(("127.0.0.1", 0))
    answer = b"HTTP/1.1 200 OK\r\nX-Slow: " + b"z" * 40 + b"\r\nContent-Length: 0\r\n\r\n"
    sent_before_hang_up: list[int] = []

    def trickle() -> None:
        conn, _ = listener.accept()
        conn.recv(65536)
        done = 0
        try:
            for byte in answer:
                conn.sendall(bytes([byte]))
                done += 1
                time.sleep(0.3)
            conn.recv(1)  # the vault hung up (b"") or the bot is done
        except OSError:
            pass
        sent_before_hang_up.append(done)
        conn.close()

    bot_thread = threading.Thread(target=trickle, daemon=True)
    bot_thread.start()
    links: list[str] = []
    webhook = BotWebhook(f"http://127.0.0.1:{listener.getsockname()[1]}{PATH}", BOT_TOKEN.encode(), timeout_s=1)
    deliver = recording(webhook, links)

    with pytest.raises(Exception, match="took over 1 s"):
        send_form(store, deliver, FORMS_URL, sender, conversation, ("address",), "x")
    with pytest.raises(FormGone):
        store.show(token_of(links[0]))
    bot_thread.join(timeout=30)
    listener.close()
    assert sent_before_hang_up and sent_before_hang_up[0] < len(answer) // 2  # cut off, not waited out


def test_a_form_submitted_while_the_bot_failed_counts_as_sent(make_vault):
    vault = make_vault()
    store = FormStore(vault, Pseudonymiser(KEY))
    sender, conversation = reach(vault)

    def deliver(call: dict) -> None:  # the winner was quicker than the bot's answer
        store.submit(token_of(call["url"]), {"address": "ul. Lipowa 12, 00-950 Warszawa"}, lambda event: None)
        raise RuntimeError("the bot's answer got lost")

    sent = send_form(store, deliver, FORMS_URL, sender, conversation, ("address",), "x")
    with vault.engine.connect() as conn:
        actions = [r.action for r in conn.execute(select(audit).order_by(audit.c.seq))]
    assert sent.form_id and "form_withdraw" not in actions and "form_submit" in actions


def test_a_submission_that_read_the_clock_before_a_withdrawal_is_refused(make_vault):
    clock = {"now": 1_800_000_000.0}
    vault = make_vault(clock=lambda: clock["now"])
    store = FormStore(vault, Pseudonymiser(KEY), clock=lambda: clock["now"])
    sender, conversation = reach(vault)
    links: list[str] = []

    def deliver(call: dict) -> None:
        links.append(call["url"])
        clock["now"] += 3  # the bot takes its time, then fails
        raise RuntimeError("the bot is down")

    with pytest.raises(RuntimeError):
        send_form(store, deliver, FORMS_URL, sender, conversation, ("address",), "x")
    clock["now"] -= 2  # the submission's clock, read after the issue but before the withdrawal
    with pytest.raises(FormGone):
        store.submit(token_of(links[0]), {"address": "ul. Lipowa 12, 00-950 Warszawa"}, lambda event: None)


def test_the_wrong_token_sends_nothing(api):
    client, vault, _, posted, _ = api
    sender, conversation = reach(vault)
    answer = client.post(
        "/vault/forms",
        json={"sender": sender, "conversation": conversation, "fields": ["address"], "actor": "m"},
        headers={"Authorization": "Bearer " + secrets.token_hex(32)},
    )
    assert answer.status_code == 401 and posted == []


def test_without_a_webhook_the_api_says_what_to_set(make_vault):
    vault = make_vault()
    sender, conversation = reach(vault)
    with serve_in_thread(build_app(vault, TOKEN.encode(), Pseudonymiser(KEY))) as base:
        answer = httpx.post(
            base + "/vault/forms",
            json={"sender": sender, "conversation": conversation, "fields": ["address"], "actor": "m"},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
    assert answer.status_code == 503 and "CHATGUARD_FORMS_BOT_WEBHOOK_URL" in answer.json()["error"]


def test_with_reply_addresses_off_nothing_is_sent_even_to_addresses_kept_before(api):
    client, vault, _, posted, _ = api
    sender, conversation = reach(vault)
    vault.keep_reply_addresses = False
    answer = ask(client, sender, conversation)
    assert answer.status_code == 404 and "CHATGUARD_VAULT_REPLY_ADDRESSES" in answer.json()["error"]
    assert posted == []


def test_the_sample_bot_posts_a_replayed_call_once_and_refuses_a_huge_body(bot):
    import time

    import orjson

    from schemas.bot_webhook import SIGNATURE_HEADER, sign

    url, posted, _ = bot
    body = orjson.dumps({"type": "secure_form", "form_id": "f_1", "url": "https://forms.example.test/f/x"})
    headers = {SIGNATURE_HEADER: sign(BOT_TOKEN.encode(), body, int(time.time()))}
    assert httpx.post(url, content=body, headers=headers).json() == {"posted": True}
    assert httpx.post(url, content=body, headers=headers).json()["posted"] is False
    assert len(posted) == 1
    assert httpx.post(url, content=b"x" * 100_000, headers=headers).status_code == 413


@pytest.mark.parametrize(
    ("url", "ok"),
    [
        ("https://bot.example.com/chatguard/forms", True),
        ("http://127.0.0.1:8093/chatguard/forms", True),
        ("http://localhost/hook", True),
        ("http://bot.example.com/hook", False),  # the link and the ids in clear on the network
        ("http://127.0.0.1.evil.example/hook", False),
        ("http://[::1]@evil.example/hook", False),
        ("https://user:pass@bot.example.com/hook", False),
        ("ftp://bot.example.com/hook", False),
        ("http://local\thost/hook", False),
        ("http://localhost:99999/hook", False),
        ("bot.example.com/hook", False),
    ],
)
def test_the_webhook_url_is_https_or_this_machine(url, ok):
    from runtime.settings import load
    from schemas.errors import ConfigError
    from vault.settings import FormsSettings

    environ = {"CHATGUARD_FORMS_BOT_WEBHOOK_URL": url}
    if ok:
        assert load(FormsSettings, environ).bot_webhook_url == url
    else:
        with pytest.raises(ConfigError, match="CHATGUARD_FORMS_BOT_WEBHOOK_URL") as refused:
            load(FormsSettings, environ)
        assert url not in str(refused.value) and "user:pass" not in str(refused.value)
