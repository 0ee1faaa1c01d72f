"""A secure form as a visitor fills it: headless Chromium on a real ``chatguard vault forms``, a real
``chatguard worker`` with the vault, the real broker. The e-mail the visitor typed in the chat earlier
comes back pre-filled (from the vault, by the link's token); the phone and address typed into the form
reach the vault and appear in no topic, no log and no URL; the clean topics get the refs, which
``chatguard vault reveal`` opens; the link then refuses a second use."""

from __future__ import annotations

import asyncio
import secrets
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote, quote_plus

import httpx
import orjson
import pytest

from schemas.codec import encode
from schemas.raw import RawMessage
from schemas.topics import ANALYTICS, ERASURE, NLP, QUARANTINE, RAW, STORAGE
from tests.support.browser import chromium
from tests.support.kafka import consume_until, produce
from tests.support.paths import BIN
from tests.support.ports import free_port
from tests.support.processes import chatguard_process, clean_env, tail, worker_process
from tests.support.vaults import vault_env

pytestmark = [pytest.mark.integration, pytest.mark.slow]

CLEAN = [ANALYTICS.name, STORAGE.name, NLP.name]
PHONE = "+48 512 907 334"
ADDRESS = "ul. Modrzewiowa 41/6, 60-123 Poznań"
REASON = "ship the contest prize to the winner"


@pytest.fixture(scope="module")
def services(kafka_bootstrap, pseudonym_key, tmp_path_factory) -> Iterator[dict]:
    where = tmp_path_factory.mktemp("forms-browser")
    vault = vault_env(where / "vault")
    bot_token = secrets.token_hex(32)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    common = dict(CHATGUARD_KAFKA_BOOTSTRAP=kafka_bootstrap, CHATGUARD_PSEUDONYM_KEY=pseudonym_key, **vault)
    worker_env = clean_env(
        **common,
        CHATGUARD_METRICS_PORT=str(free_port()),
        CHATGUARD_CONSUMER_GROUP=f"chatguard-forms-{secrets.token_hex(4)}",
        CHATGUARD_LOG_LEVEL="INFO",
    )
    forms_env = clean_env(
        **common, CHATGUARD_FORMS_BOT_TOKEN=bot_token, CHATGUARD_FORMS_PORT=str(port), CHATGUARD_LOG_LEVEL="INFO"
    )
    logs = {"worker": where / "worker.log", "forms": where / "forms.log"}
    with (
        worker_process(worker_env, logs["worker"]) as (worker, _),
        chatguard_process(["vault", "forms"], forms_env, f"{base}/healthz", logs["forms"], timeout_s=60) as forms,
        chromium() as browser,
    ):
        yield {"base": base, "bot_token": bot_token, "logs": logs, "browser": browser, "env": forms_env}
        assert forms.poll() is None, tail(logs["forms"])
        assert worker.poll() is None, tail(logs["worker"])


def off_loop(coroutine):
    """Run ``coroutine`` to its end in a thread of its own: Playwright's sync API holds this one's loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def records_until(bootstrap: str, topics: list[str], needle: bytes, count: int) -> list:
    def done(records: list) -> bool:
        return sum(needle in r.value for r in records) >= count

    records = off_loop(consume_until(bootstrap, topics, done, timeout_s=120))
    assert done(records), f"{needle!r} did not reach {topics}"
    return records


def test_a_visitor_fills_a_prefilled_form_and_its_values_reach_only_the_vault(services, kafka_bootstrap):
    from playwright.sync_api import expect

    conversation, sender = f"conv-{secrets.token_hex(4)}", f"visitor-{secrets.token_hex(4)}"
    email = f"zofia.wrzos.{secrets.token_hex(3)}@example.com"
    said = RawMessage(
        event_id=f"web:{secrets.token_hex(8)}", channel="web", channel_kind="private",
        conversation_id=conversation, sender_id=sender, sent_at="2026-12-02T10:00:00Z",
        text=f"I won! You can write to {email}",
    )  # fmt: skip
    off_loop(produce(kafka_bootstrap, RAW.name, [(conversation.encode(), encode(said))]))
    records_until(kafka_bootstrap, [STORAGE.name], said.event_id.encode(), 1)  # the worker kept the e-mail

    issued = httpx.post(
        f"{services['base']}/forms",
        json={
            "channel": "web", "channel_kind": "private", "conversation_id": conversation, "sender_id": sender,
            "fields": ["email", "phone", "address"], "prefill": True,
        },
        headers={"Authorization": f"Bearer {services['bot_token']}"},
    )  # fmt: skip
    assert issued.status_code == 201, issued.text
    form_id, url = issued.json()["form_id"], issued.json()["url"]
    token = url.rsplit("/", 1)[1]

    context = services["browser"].new_context()
    page = context.new_page()
    urls: list[str] = []
    page.on("request", lambda r: urls.append(r.url))
    page.goto(url)
    expect(page.locator("#email")).to_have_value("")  # a plain view (a link preview too) opens nothing
    page.locator("#prefill").click()
    expect(page.locator("#email")).to_have_value(email)  # pre-filled from the vault, not from the link
    expect(page.locator("#prefill")).to_have_count(0)  # once per form
    page.locator("#phone").fill(PHONE)
    page.locator("#address").fill(ADDRESS)
    page.get_by_role("button", name="Send").click()
    expect(page.locator("#done")).to_be_visible()
    assert page.url == url  # posted back to the link's own address
    page.goto(url)
    expect(page.locator("#refusal")).to_contain_text("already sent")
    context.close()

    needle = f"form:{form_id}".encode()
    clean = records_until(kafka_bootstrap, CLEAN, needle, 3)
    everything = clean + off_loop(
        consume_until(kafka_bootstrap, [RAW.name, QUARANTINE.name, ERASURE.name], lambda r: False, timeout_s=5)
    )
    form_events = [orjson.loads(r.value) for r in clean if needle in r.value]
    assert len(form_events) == 3 and {e["policy"] for e in form_events} == {"analytics", "storage", "nlp"}
    for record in everything:
        for value in (PHONE, ADDRESS, "Modrzewiowa"):
            assert value.encode() not in record.value, f"{value!r} on {record.topic}"
    for record in clean:
        assert email.encode() not in record.value

    typed = [PHONE, ADDRESS, email]
    for name, path in services["logs"].items():
        log = path.read_text(errors="replace")
        for secret in [*typed, token]:
            assert secret not in log, f"{secret!r} in the {name} log"
    assert f"form {form_id} submitted" in services["logs"]["forms"].read_text()
    for seen in urls:
        for value in typed:
            assert value not in seen and quote(value) not in seen and quote_plus(value) not in seen, seen

    refs = {f["field"]: f["vault_ref"] for f in form_events[0]["form"]}
    assert set(refs) == {"email", "phone", "address"}
    for event in form_events[1:]:
        assert {f["field"]: f["vault_ref"] for f in event["form"]} == refs
    revealed = subprocess.run(
        [str(BIN / "chatguard"), "vault", "reveal", refs["address"], "--reason", REASON, "--actor", "contest-mod"],
        env=services["env"], capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert revealed.returncode == 0, revealed.stderr
    assert orjson.loads(revealed.stdout)["value"] == ADDRESS
