"""A contest winner's secure form, end to end: headless Chromium on real processes sharing one SQLite
vault/console database as ``make run`` does (``chatguard worker``, ``vault serve`` with the bot's
webhook, ``vault forms``, ``sample-bot``, ``console`` with its sink), the real broker.

A winner writes their contest code and name in a private web chat. A Contest Moderator finds the
entry on /contests, marks it winner and sends a secure form (name, address): the vault hands the
link to the bot, never to the console. The winner opens the link from the bot's "chat", has their
name pre-filled from the vault, types an address and sends. The form's entry reaches the contests
page through the worker and the sink; the moderator reveals the address with a reason; the
Administrator finds ``form_send`` in the audit log. The name and the address reach no clean topic
and no log; the link's token never reaches the console."""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
import subprocess
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, quote_plus

import httpx
import orjson
import pyotp
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.structs import TopicPartition

from schemas.codec import encode
from schemas.raw import RawMessage
from schemas.topics import ANALYTICS, ERASURE, NLP, QUARANTINE, RAW, STORAGE
from tests.support.browser import chromium
from tests.support.console import PASSWORD, set_up_in_browser, sign_in_in_browser
from tests.support.kafka import produce
from tests.support.paths import BIN, ROOT
from tests.support.ports import free_port
from tests.support.processes import chatguard_process, clean_env, stop_process, tail, worker_process
from tests.support.vaults import vault_env

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SHOTS = ROOT / "docs" / "screenshots"
CODE = "8K3F-Q9ZT"
NAME = "Zofia Wrzos-Kowalska"
ADDRESS = "ul. Lipowa 12, 00-950 Warszawa"
REASON = "ship the contest prize to the winner, entry checked"
MODERATOR = "cora"
CLEAN = [ANALYTICS.name, STORAGE.name, NLP.name]
WATCHED = [RAW.name, *CLEAN, QUARANTINE.name, ERASURE.name]
BOT_PATH = "/chatguard/forms"  # connectors/sample_bot.py


@pytest.fixture(scope="module")
def services(kafka_bootstrap, pseudonym_key, tmp_path_factory) -> Iterator[dict]:
    where = tmp_path_factory.mktemp("winner-form-browser")
    console_port, api_port, forms_port, bot_port, worker_metrics = (free_port() for _ in range(5))
    forms_base, bot_out = f"http://127.0.0.1:{forms_port}", where / "bot-chat.jsonl"
    common = clean_env(  # one database, one set of secrets, as deploy/run.sh exports them to everything
        CHATGUARD_KAFKA_BOOTSTRAP=kafka_bootstrap,
        CHATGUARD_PSEUDONYM_KEY=pseudonym_key,
        **vault_env(where / "vault"),
        CHATGUARD_FORMS_BOT_TOKEN=secrets.token_hex(32),
        CHATGUARD_FORMS_PORT=str(forms_port),
        CHATGUARD_FORMS_PUBLIC_URL=forms_base,
        CHATGUARD_FORMS_BOT_WEBHOOK_URL=f"http://127.0.0.1:{bot_port}{BOT_PATH}",
        CHATGUARD_VAULT_API_TOKEN=secrets.token_hex(32),
        CHATGUARD_VAULT_API_PORT=str(api_port),
        CHATGUARD_CONSOLE_PORT=str(console_port),
        CHATGUARD_CONSOLE_VAULT_URL=f"http://127.0.0.1:{api_port}",
        CHATGUARD_CONSOLE_METRICS_URL=f"http://127.0.0.1:{worker_metrics}/metrics",
        CHATGUARD_LOG_LEVEL="INFO",
    )
    worker_env = {
        **common,
        "CHATGUARD_METRICS_PORT": str(worker_metrics),
        "CHATGUARD_CONSUMER_GROUP": f"chatguard-winner-form-{secrets.token_hex(4)}",
    }
    base = f"http://127.0.0.1:{console_port}"
    logs = {name: where / f"{name}.log" for name in ("worker", "vault-api", "forms", "sample-bot", "console")}
    with contextlib.ExitStack() as stack:
        worker, _ = stack.enter_context(worker_process(worker_env, logs["worker"]))
        bot = stack.enter_context(bot_process(common, bot_port, bot_out, logs["sample-bot"]))
        running = {
            "worker": worker,
            "sample-bot": bot,
            "vault-api": stack.enter_context(
                chatguard_process(["vault", "serve"], common, f"http://127.0.0.1:{api_port}/healthz",
                                  logs["vault-api"], timeout_s=60)
            ),
            "forms": stack.enter_context(
                chatguard_process(["vault", "forms"], common, f"{forms_base}/healthz", logs["forms"], timeout_s=60)
            ),
            # With its sink (chat.storage into the database); without the audit relay, so this test
            # writes nothing to a shared topic but valid RawMessages to chat.raw.
            "console": stack.enter_context(
                chatguard_process(["console", "--no-relay"], common, f"{base}/healthz", logs["console"],
                                  timeout_s=60)
            ),
        }  # fmt: skip
        browser = stack.enter_context(chromium())
        first = subprocess.run(
            [str(BIN / "chatguard"), "console", "first-admin", "--username", "admin"],
            env=common, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert first.returncode == 0, first.stderr
        yield {
            "base": base, "forms": forms_base, "link": first.stdout.strip(), "browser": browser, "logs": logs,
            "bot_out": bot_out, "env": common,
        }  # fmt: skip
        for name, proc in running.items():
            assert proc.poll() is None, f"{name} exited:\n{tail(logs[name])}"


@contextlib.contextmanager
def bot_process(env: dict[str, str], port: int, out: Path, log_path: Path) -> Iterator[subprocess.Popen]:
    """``chatguard sample-bot`` until the block ends; ready once it refuses an unsigned call (it
    has no health page)."""
    url = f"http://127.0.0.1:{port}{BOT_PATH}"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [str(BIN / "chatguard"), "sample-bot", "--port", str(port), "--out", str(out)],
            env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise AssertionError(f"sample-bot exited early ({proc.returncode}):\n{tail(log_path)}")
            try:
                answer = httpx.post(url, content=b'{"type": "secure_form", "url": "http://x"}', timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"sample-bot never came up:\n{tail(log_path)}") from None
                time.sleep(0.2)
        assert answer.status_code == 401, answer.text  # unsigned: refused, nothing written
        assert not out.exists()
        yield proc
    finally:
        stop_process(proc)


def off_loop(coroutine):
    """Run ``coroutine`` in a thread of its own: Playwright's sync API holds this one's loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


async def end_offsets(bootstrap: str, topics: list[str]) -> dict[TopicPartition, int]:
    """Where each partition of ``topics`` ends now: what is written after, this test wrote (or saw)."""
    consumer = AIOKafkaConsumer(*topics, bootstrap_servers=bootstrap, group_id=None, enable_auto_commit=False)
    await consumer.start()
    try:
        deadline = time.monotonic() + 30
        while {tp.topic for tp in consumer.assignment()} != set(topics):  # assigned once the metadata is in
            assert time.monotonic() < deadline, f"not all of {topics} on the broker"
            await asyncio.sleep(0.1)
        return await consumer.end_offsets(sorted(consumer.assignment()))
    finally:
        await consumer.stop()


async def records_since(
    bootstrap: str,
    starts: dict[TopicPartition, int],
    done: Callable[[list], bool] | None = None,
    timeout_s: float = 120.0,
) -> list:
    """Every record after ``starts`` (aborted transactions' too: read_uncommitted), until
    ``done(records)``; without ``done``, up to the partitions' ends at the call. Fails at the timeout."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, isolation_level="read_uncommitted"
    )
    await consumer.start()
    try:
        consumer.assign(list(starts))
        for tp, offset in starts.items():
            consumer.seek(tp, offset)
        ends = await consumer.end_offsets(list(starts))

        async def finished(records: list) -> bool:
            if done is not None:
                return done(records)
            return all([await consumer.position(tp) >= end for tp, end in ends.items()])

        records: list = []
        deadline = time.monotonic() + timeout_s
        while not await finished(records):
            assert time.monotonic() < deadline, f"not done within {timeout_s} s ({len(records)} records read)"
            for partition_records in (await consumer.getmany(timeout_ms=500)).values():
                records.extend(partition_records)
        return records
    finally:
        await consumer.stop()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def entry_row(page, event_id: str):
    """The contests table's row of the entry ``event_id`` (its forms carry the id, hidden)."""
    return page.locator("#entries tr", has=page.locator(f'input[name="event_id"][value="{event_id}"]'))


def wait_for_entry(page, url: str, event_id: str, timeout_s: float = 60.0):
    """Reload ``url`` until the entry's row shows (the worker and the console's sink in between)."""
    deadline = time.monotonic() + timeout_s
    while True:
        page.goto(url)
        row = entry_row(page, event_id)
        if row.count() == 1:
            return row
        assert time.monotonic() < deadline, f"{event_id} never showed on {url}:\n{page.content()[-2000:]}"
        time.sleep(1)


def test_a_contest_moderator_sends_a_winner_a_secure_form(services, kafka_bootstrap):
    from playwright.sync_api import expect

    base, browser = services["base"], services["browser"]
    starts = off_loop(end_offsets(kafka_bootstrap, WATCHED))
    run = secrets.token_hex(4)
    conversation, sender = f"conv-winner-{run}", f"winner-{run}"
    said = RawMessage(
        event_id=f"web:winner-{run}", channel="web", channel_kind="private", conversation_id=conversation,
        sender_id=sender, sent_at=datetime.now(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
        text=f"Hi! my code is {CODE}, I'm {NAME}",
    )  # fmt: skip
    off_loop(produce(kafka_bootstrap, RAW.name, [(conversation.encode(), encode(said))]))
    needle = said.event_id.encode()
    storage_starts = {tp: o for tp, o in starts.items() if tp.topic == STORAGE.name}
    stored = off_loop(  # a new worker group reads chat.raw from its start: a long suite leaves a backlog
        records_since(kafka_bootstrap, storage_starts, lambda rs: any(needle in r.value for r in rs), timeout_s=300)
    )
    entry = next(orjson.loads(r.value) for r in stored if needle in r.value)
    assert CODE in entry["text"] and NAME not in entry["text"]
    assert [f["entity_type"] for f in entry["findings"]] == ["PERSON"]  # the name went to the vault

    # The Administrator adds a Contest Moderator; the role needs TOTP.
    admin = browser.new_context(viewport={"width": 1100, "height": 800}).new_page()
    admin_secret = set_up_in_browser(admin, services["link"], with_totp=True)
    sign_in_in_browser(admin, base, "admin", pyotp.TOTP(admin_secret).now())
    expect(admin.get_by_test_id("who")).to_contain_text("admin (administrator)")
    admin.goto(f"{base}/admin/users")
    admin.locator("#new-username").fill(MODERATOR)
    admin.locator("#new-role").select_option("contest_moderator")
    admin.get_by_role("button", name="Create and show set-up link").click()
    moderator_link = admin.locator("#setup-link").inner_text().strip()

    moderator_context = browser.new_context(viewport={"width": 1280, "height": 800})
    moderator = moderator_context.new_page()
    moderator_urls: list[str] = []
    moderator.on("request", lambda r: moderator_urls.append(r.url))
    moderator_secret = set_up_in_browser(moderator, moderator_link, with_totp=True)
    assert moderator_secret, "a Contest Moderator enrols TOTP"
    sign_in_in_browser(moderator, base, MODERATOR, pyotp.TOTP(moderator_secret).now())
    expect(moderator.get_by_test_id("who")).to_contain_text(f"{MODERATOR} (contest moderator)")

    # The entry, masked; marked winner; the form's fields ticked; sent.
    row = wait_for_entry(moderator, f"{base}/contests", said.event_id)
    expect(row).to_contain_text(CODE)
    expect(row).not_to_contain_text("Wrzos")
    expect(row.locator("form.send-form")).to_have_count(0)  # not a winner yet: no form to send
    row.get_by_role("button", name="Mark winner").click()
    expect(moderator).to_have_url(f"{base}/contests")
    row = entry_row(moderator, said.event_id)
    expect(row).to_contain_text(f"winner ({MODERATOR})")
    send = row.locator("form.send-form")
    expect(send).to_have_count(1)
    for name in ("f_name", "f_address"):
        send.locator(f'input[name="{name}"]').check()
    for name in ("f_phone", "f_email", "f_contest_code"):
        send.locator(f'input[name="{name}"]').uncheck()
    assert NAME not in moderator.content()
    shot(moderator, "contests")
    send.get_by_role("button", name="Send secure form").click()
    expect(moderator.locator("h1")).to_have_text("Form sent")
    expect(moderator.locator("#sent")).to_contain_text("Full name, Postal address")
    sent_html = moderator.content()

    # The bot got the link, once, for this conversation; the console never had it.
    lines = [orjson.loads(line) for line in services["bot_out"].read_text().splitlines()]
    mine = [line for line in lines if line["conversation_id"] == conversation]
    assert len(mine) == 1, lines
    (call,) = mine
    assert call["channel"] == "web" and call["fields"] == ["name", "address"]
    assert call["url"].startswith(f"{services['forms']}/f/"), call["url"]
    form_id, token = call["form_id"], call["url"].rsplit("/", 1)[1]
    assert len(token) >= 20
    expect(moderator.locator("#sent")).to_contain_text(form_id)
    assert token not in sent_html and call["url"] not in sent_html
    assert not any(token in url for url in moderator_urls)

    # The winner opens the link from their chat: their name comes back from the vault on request.
    winner_context = browser.new_context()
    winner = winner_context.new_page()
    winner_urls: list[str] = []
    winner.on("request", lambda r: winner_urls.append(r.url))
    winner.goto(call["url"])
    expect(winner.locator("#name")).to_have_value("")  # a plain view opens nothing
    expect(winner.locator("#prefill")).to_have_count(1)  # a private channel: pre-fill is offered
    winner.locator("#prefill").click()
    expect(winner.locator("#name")).to_have_value(NAME)
    expect(winner.locator("#address")).to_have_value("")  # never said in the chat
    winner.locator("#address").fill(ADDRESS)
    winner.get_by_role("button", name="Send").click()
    expect(winner.locator("#done")).to_be_visible()
    winner_context.close()
    for seen in winner_urls:
        for value in (NAME, ADDRESS):
            assert value not in seen and quote(value) not in seen and quote_plus(value) not in seen, seen

    # The form's entry reaches the contests page; the address opens for the winner's entry only.
    form_row = wait_for_entry(moderator, f"{base}/contests", f"form:{form_id}")
    expect(form_row).to_contain_text("address: STREET_ADDRESS")
    expect(form_row).to_contain_text("name: PERSON")
    expect(form_row.get_by_label("reason for PERSON")).to_have_count(0)  # not the Contest Moderator's to open
    assert ADDRESS not in moderator.content() and NAME not in moderator.content()
    form_row.get_by_label("reason for STREET_ADDRESS").fill(REASON)
    form_row.get_by_role("button", name="Reveal").click()
    expect(moderator.locator("#revealed")).to_have_text(ADDRESS)
    assert not any(ADDRESS in u or quote(ADDRESS) in u or quote_plus(ADDRESS) in u for u in moderator_urls)
    moderator_context.close()

    # The Administrator finds the sending, and the reveal with its reason, in the audit log.
    admin.goto(f"{base}/admin/audit?action=form_send")
    sent_row = admin.locator("#audit tr", has_text=f"console:{MODERATOR}").first
    expect(sent_row).to_contain_text(f"sent {form_id}")
    expect(sent_row).to_contain_text("fields name,address")
    assert token not in admin.content()
    admin.goto(f"{base}/admin/audit?action=reveal")
    reveal_row = admin.locator("#audit tr", has_text=f"console:{MODERATOR}").first
    expect(reveal_row).to_contain_text(REASON)
    expect(reveal_row).to_contain_text("revealed")
    assert ADDRESS not in admin.content() and NAME not in admin.content()
    verified = subprocess.run(
        [str(BIN / "chatguard"), "audit", "verify"], env=services["env"], capture_output=True, text=True, timeout=60
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr

    # Nothing written during the test carries the name (but the winner's own chat message on
    # chat.raw) or the address; the form's events carry refs only.
    form_needle = f"form:{form_id}".encode()
    off_loop(
        records_since(
            kafka_bootstrap, {tp: o for tp, o in starts.items() if tp.topic in CLEAN},
            lambda rs: sum(form_needle in r.value for r in rs) >= len(CLEAN),
        )
    )  # fmt: skip
    written = off_loop(records_since(kafka_bootstrap, starts))
    assert {r.topic for r in written if form_needle in r.value} == {RAW.name, *CLEAN}
    assert [r.topic for r in written if needle in r.value].count(RAW.name) == 1  # the chat message itself
    for record in written:
        for value in (ADDRESS, "Lipowa", token):
            assert value.encode() not in record.value, f"{value!r} on {record.topic}"
        if not (record.topic == RAW.name and needle in record.value):
            assert NAME.encode() not in record.value and b"Wrzos" not in record.value, f"the name on {record.topic}"
    for record in written:
        if record.topic in CLEAN and form_needle in record.value:
            event = orjson.loads(record.value)
            assert {f["field"]: f["entity_type"] for f in event["form"]} == {
                "name": "PERSON", "address": "STREET_ADDRESS",
            }  # fmt: skip
            assert all(re.fullmatch(r"v_[0-9a-f]{32}", f["vault_ref"]) for f in event["form"])

    for name, path in services["logs"].items():
        log = path.read_text(errors="replace")
        for secret in (NAME, "Wrzos", ADDRESS, "Lipowa", token, PASSWORD):
            assert secret not in log, f"{secret!r} in the {name} log"
    assert f"form {form_id} sent through the bot" in services["logs"]["vault-api"].read_text()
