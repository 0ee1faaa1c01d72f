"""The widget as a person uses it: headless Chromium on the demo page of a real ``chatguard
ingest``, a real ``chatguard worker`` redacting, the real broker in between. What comes back on
screen is the redacted copy from chat.nlp, and the typed original is nowhere on the page.

Needs Debian's Chromium (tests/support/browser.py).
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.browser import chromium
from tests.support.ports import free_port
from tests.support.processes import clean_env, ingest_process, tail, worker_process
from tests.support.vaults import vault_env

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SCREENSHOT = Path("/tmp/widget.png")
REDACTED_WITHIN_MS = 60_000


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


@pytest.fixture(scope="module")
def services(kafka_bootstrap, pseudonym_key, tmp_path_factory) -> Iterator[dict]:
    """A worker and an ingest service with the widget enabled, for the whole module."""
    site_key = "site-" + secrets.token_hex(16)
    logs_dir = tmp_path_factory.mktemp("widget-browser")
    logs = {"worker": logs_dir / "worker.log", "ingest": logs_dir / "ingest.log"}
    worker_env = clean_env(
        CHATGUARD_KAFKA_BOOTSTRAP=kafka_bootstrap,
        CHATGUARD_PSEUDONYM_KEY=pseudonym_key,
        CHATGUARD_METRICS_PORT=str(free_port()),
        CHATGUARD_CONSUMER_GROUP=f"chatguard-widget-{secrets.token_hex(4)}",
        CHATGUARD_LOG_LEVEL="WARNING",
        **vault_env(logs_dir / "vault"),
    )
    ingest_env = clean_env(
        CHATGUARD_KAFKA_BOOTSTRAP=kafka_bootstrap,
        CHATGUARD_PSEUDONYM_KEY=pseudonym_key,  # the worker's: the widget finds its conversations by pseudonym
        CHATGUARD_WIDGET_SITE_KEYS=site_key,
        CHATGUARD_INGEST_PORT=str(free_port()),
        CHATGUARD_LOG_LEVEL="WARNING",
    )
    with (
        worker_process(worker_env, logs["worker"]) as (worker, _),
        ingest_process(ingest_env, logs["ingest"]) as (ingest, base),
    ):
        yield {"base": base, "site_key": site_key, "url": f"{base}/widget/#site_key={site_key}", "logs": logs}
        assert ingest.poll() is None, tail(logs["ingest"])
        assert worker.poll() is None, tail(logs["worker"])
    assert "Traceback" not in logs["ingest"].read_text(errors="replace"), tail(logs["ingest"])


class Watched:
    """A fresh page (own context: own sessionStorage) that records errors and WebSocket frames."""

    def __init__(self, browser) -> None:
        self.context = browser.new_context(viewport={"width": 520, "height": 640})
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.frames: list[tuple[str, str]] = []  # (sent|received, payload) on the widget's WebSocket
        self.urls: list[str] = []  # every URL the page requested, WebSockets included
        self.page.on("request", lambda r: self.urls.append(r.url))
        self.page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))
        self.page.on("console", lambda m: self.problems.append(f"console: {m.text}") if m.type == "error" else None)
        self.page.on(
            "response", lambda r: self.problems.append(f"HTTP {r.status} {r.url}") if r.status >= 400 else None
        )
        self.page.on("websocket", self._on_websocket)

    def _on_websocket(self, ws) -> None:
        self.urls.append(ws.url)
        ws.on("framesent", lambda payload: self.frames.append(("sent", str(payload))))
        ws.on("framereceived", lambda payload: self.frames.append(("received", str(payload))))

    def everything(self) -> str:
        """All the page holds: rendered text, markup, the input's value, its storage."""
        page = self.page
        return (
            page.locator("body").inner_text()
            + page.content()
            + page.get_by_test_id("message").input_value()
            + page.evaluate("() => JSON.stringify(sessionStorage) + JSON.stringify(localStorage)")
        )

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def watched(browser):
    w = Watched(browser)
    try:
        yield w
    finally:
        w.close()


def send_and_wait_for_redacted(w: Watched, text: str, logs: dict) -> str:
    from playwright.sync_api import expect

    page = w.page
    box, send, status = page.get_by_test_id("message"), page.get_by_test_id("send"), page.get_by_test_id("status")
    expect(send).to_be_enabled(timeout=30_000)  # the redacted stream is open
    box.fill(text)
    box.press("Enter")
    expect(box).to_have_value("")  # the typed text left the screen at once
    expect(status).to_have_text("sent ✓", timeout=20_000)  # Kafka acknowledged it
    item = page.get_by_test_id("redacted").first
    try:
        item.wait_for(timeout=REDACTED_WITHIN_MS)
    except Exception:
        pytest.fail(
            f"no redacted message within {REDACTED_WITHIN_MS / 1000:.0f} s; worker log:\n{tail(logs['worker'])}\n"
            f"ingest log:\n{tail(logs['ingest'])}"
        )
    return item.inner_text()


def test_typed_message_comes_back_redacted_and_the_original_is_not_on_the_page(services, watched):
    typed = "Hi, my name is John Smith and my phone is +48 601 234 567"
    originals = ("John Smith", "601 234 567", "John", "Smith")
    watched.page.goto(services["url"])
    shown = send_and_wait_for_redacted(watched, typed, services["logs"])
    watched.page.screenshot(path=str(SCREENSHOT), full_page=True)

    for original in originals:
        assert original not in shown
    assert re.search(r"<(PERSON|PHONE_NUMBER)(_\d+)?>", shown), shown
    assert "Hi, my name is" in shown  # the rest of the sentence is kept
    everything = watched.everything()
    for original in originals:
        assert original not in everything, f"{original!r} is on the page"
    assert watched.page.get_by_test_id("redacted").count() == 1
    # It went over the WebSocket (not the POST fallback) and was acknowledged there.
    assert [d for d, f in watched.frames if d == "sent" and "John Smith" in f] == ["sent"]
    assert any(d == "received" and '"type":"ack"' in f for d, f in watched.frames), watched.frames
    assert not watched.problems, watched.problems


def test_without_a_websocket_the_page_posts_and_still_shows_the_redacted_copy(services, watched):
    # The WebSocket is refused (as by a proxy that does not pass upgrades): the page falls back to POST.
    watched.page.route_web_socket(re.compile(r".*/widget/ws.*"), lambda ws: ws.close())
    posts: list[int] = []
    watched.page.on("response", lambda r: posts.append(r.status) if r.url.endswith("/widget/messages") else None)
    email = f"anna.{secrets.token_hex(3)}@example.com"
    watched.page.goto(services["url"])
    shown = send_and_wait_for_redacted(watched, f"Please write to {email} tomorrow", services["logs"])
    assert posts == [202]
    assert email not in shown and re.search(r"<EMAIL_ADDRESS(_\d+)?>", shown), shown
    assert email not in watched.everything()
    assert not watched.problems, watched.problems


@pytest.mark.parametrize(
    "query, says",
    [
        ("", "No site key"),
        ("#site_key=site-not-a-real-key", "Cannot reach the chat service"),
        ("?site_key=site-not-a-real-key", "Cannot reach"),
    ],
)
def test_without_a_valid_site_key_the_page_says_so_and_cannot_send(services, watched, query, says):
    from playwright.sync_api import expect

    watched.page.goto(f"{services['base']}/widget/{query}")
    expect(watched.page.get_by_test_id("status")).to_contain_text(says, timeout=15_000)
    expect(watched.page.get_by_test_id("send")).to_be_disabled()
    expect(watched.page.get_by_test_id("message")).to_be_disabled()


def session_of(w: Watched) -> dict:
    return json.loads(w.page.evaluate("() => sessionStorage.getItem('chatguard.widget.session')"))


def test_the_token_and_the_conversation_id_never_ride_in_a_url(services, watched):
    watched.page.goto(services["url"])
    send_and_wait_for_redacted(watched, "Hi, I am Anna Nowak", services["logs"])
    session = session_of(watched)
    assert session["conversation_id"].startswith("wc_")
    for url in watched.urls:
        assert session["token"] not in url and session["conversation_id"] not in url, url
        assert "/widget/" not in url or services["site_key"] not in url.split("#")[0], url
    # the token went in the WebSocket's first frame
    assert watched.frames[0][0] == "sent" and '"type":"hello"' in watched.frames[0][1]


def test_a_second_browser_with_only_the_site_key_and_another_visitors_conversation_id_sees_and_posts_nothing_there(
    services, browser
):
    from playwright.sync_api import expect

    visitor, intruder = Watched(browser), Watched(browser)
    try:
        visitor.page.goto(services["url"])
        send_and_wait_for_redacted(visitor, "Hi, my name is John Smith", services["logs"])
        conversation = session_of(visitor)["conversation_id"]

        # The second browser knows the site key and the visitor's conversation id, nothing else,
        # and plants the id where the page keeps its session (with a made-up token).
        planted = {
            "conversation_id": conversation,
            "token": f"v1.{conversation}.9999999999.made-up",
            "expires_at": 9999999999,
        }
        intruder.context.add_init_script(
            f"if (!sessionStorage.getItem('planted')) {{ sessionStorage.setItem('planted', '1'); "
            f"sessionStorage.setItem('chatguard.widget.session', {json.dumps(json.dumps(planted))}); }}"
        )
        intruder.page.goto(services["url"])
        expect(intruder.page.get_by_test_id("send")).to_be_enabled(timeout=30_000)
        own = session_of(intruder)
        assert own["conversation_id"] != conversation  # the server gave it a conversation of its own

        # From its page, it tries every way in: posts without a token, with its own token, over
        # the WebSocket, and a stream naming the visitor's id in the URL.
        attempts = intruder.page.evaluate(
            """async ([siteKey, conversation]) => {
                const own = JSON.parse(sessionStorage.getItem('chatguard.widget.session'));
                const id = () => crypto.randomUUID();
                const post = (headers, body) => fetch('/widget/messages', {method: 'POST',
                    headers: Object.assign({'Content-Type': 'application/json', 'X-Chatguard-Site-Key': siteKey}, headers),
                    body: JSON.stringify(body)}).then((r) => r.status);
                const tokenless = await post({}, {message_id: id(), conversation_id: conversation, sender_id: 'intruder-1', text: 'intruder was here'});
                const ownToken = await post({Authorization: 'Bearer ' + own.token}, {message_id: id(), conversation_id: conversation, text: 'intruder was here'});
                const streamByUrl = await fetch('/widget/events?conversation_id=' + conversation,
                    {method: 'POST', headers: {'X-Chatguard-Site-Key': siteKey}}).then((r) => r.status);
                const ws = await new Promise((resolve) => {
                    const socket = new WebSocket(location.origin.replace(/^http/, 'ws') + '/widget/ws');
                    socket.onopen = () => socket.send(JSON.stringify({type: 'hello', site_key: siteKey, token: own.token}));
                    socket.onmessage = (e) => {
                        const m = JSON.parse(e.data);
                        if (m.type === 'ready') socket.send(JSON.stringify({message_id: id(), conversation_id: conversation, text: 'intruder was here'}));
                        else { resolve(m.type); socket.close(); }
                    };
                    setTimeout(() => resolve('timeout'), 10000);
                });
                return {tokenless, ownToken, streamByUrl, ws};
            }""",
            [services["site_key"], conversation],
        )
        assert attempts == {"tokenless": 401, "ownToken": 403, "streamByUrl": 401, "ws": "error"}, attempts

        # Its own message lands in its own conversation, on its own page only.
        shown = send_and_wait_for_redacted(intruder, "This is Mary Jones writing", services["logs"])
        assert "Mary" not in shown
        time.sleep(3)  # time for anything misrouted to arrive
        assert visitor.page.get_by_test_id("redacted").count() == 1
        assert intruder.page.get_by_test_id("redacted").count() == 1
        visitor_text = visitor.page.get_by_test_id("redacted-list").inner_text()
        intruder_text = intruder.page.get_by_test_id("redacted-list").inner_text()
        assert "intruder" not in visitor_text and "writing" not in visitor_text
        assert "my name is" not in intruder_text
        assert not visitor.problems, visitor.problems
    finally:
        visitor.close()
        intruder.close()
