"""A weakening policy change, as people make it: headless Chromium on a real ``chatguard console``,
a real ``chatguard worker``, the real broker. An Editor switches PERSON off; it waits; the
Administrator approves; the worker, not restarted, stops masking names on the next events and
stamps the new version on them. chat.policy is withdrawn afterwards (workers back on their files)."""

from __future__ import annotations

import asyncio
import copy
import secrets
import subprocess
import time
import tomllib
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import orjson
import pyotp
import pytest

from runtime.kafka import KafkaSettings
from runtime.policy_topic import publish_policy
from schemas.codec import encode
from schemas.policy import PolicyDocument
from schemas.raw import RawMessage
from schemas.topics import RAW, STORAGE
from tests.support.browser import chromium
from tests.support.console import set_up_in_browser, sign_in_in_browser
from tests.support.kafka import consume_until, produce
from tests.support.paths import BIN, ROOT
from tests.support.ports import free_port
from tests.support.processes import chatguard_process, clean_env, tail, worker_process
from tests.support.vaults import vault_env

pytestmark = [pytest.mark.integration, pytest.mark.slow]
SHIPPED = tomllib.loads((ROOT / "pipeline" / "policies.toml").read_text())


def off_loop(coroutine):
    """Run ``coroutine`` in a thread of its own: Playwright's sync API holds this one's loop."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.fixture(scope="module")
def services(kafka_bootstrap, pseudonym_key, tmp_path_factory) -> Iterator[dict]:
    where = tmp_path_factory.mktemp("policy-browser")
    kafka = KafkaSettings(bootstrap=kafka_bootstrap)
    baseline = copy.deepcopy(SHIPPED) | {"version": f"base-{secrets.token_hex(3)}"}
    off_loop(publish_policy(kafka, PolicyDocument.from_dict(baseline)))
    port = free_port()
    common = dict(
        CHATGUARD_KAFKA_BOOTSTRAP=kafka_bootstrap, CHATGUARD_PSEUDONYM_KEY=pseudonym_key, **vault_env(where / "v")
    )
    worker_env = clean_env(
        **common, CHATGUARD_METRICS_PORT=str(free_port()), CHATGUARD_LOG_LEVEL="INFO",
        CHATGUARD_CONSUMER_GROUP=f"chatguard-policy-ui-{secrets.token_hex(4)}",
    )  # fmt: skip
    console_env = clean_env(**common, CHATGUARD_CONSOLE_PORT=str(port), CHATGUARD_LOG_LEVEL="INFO")
    base = f"http://127.0.0.1:{port}"
    logs = {"worker": where / "worker.log", "console": where / "console.log"}
    try:
        with (
            worker_process(worker_env, logs["worker"]) as (worker, _),
            chatguard_process(["console", "--no-sink", "--no-relay"], console_env, f"{base}/healthz", logs["console"],
                              timeout_s=60) as console,
            chromium() as browser,
        ):  # fmt: skip
            first = subprocess.run(
                [str(BIN / "chatguard"), "console", "first-admin"], env=console_env, capture_output=True, text=True,
                timeout=60,
            )  # fmt: skip
            assert first.returncode == 0, first.stderr
            yield {"base": base, "link": first.stdout.strip(), "browser": browser, "baseline": baseline["version"]}
            assert worker.poll() is None and console.poll() is None, tail(logs["worker"])
    finally:
        off_loop(publish_policy(kafka, None))


def stored(bootstrap: str, name: str) -> dict:
    """Send a message naming ``name``; its chat.storage event."""
    event = RawMessage(
        event_id=f"web:{secrets.token_hex(8)}", channel="web", channel_kind="private", conversation_id="c-policy",
        sender_id="visitor-policy", sent_at="2026-12-02T10:00:00Z", text=f"Hello, my name is {name}, thanks",
    )  # fmt: skip
    off_loop(produce(bootstrap, RAW.name, [(b"c-policy", encode(event))]))
    needle = event.event_id.encode()
    records = off_loop(consume_until(bootstrap, [STORAGE.name], lambda rs: any(needle in r.value for r in rs)))
    (found,) = [orjson.loads(r.value) for r in records if needle in r.value]
    return found


def test_a_weakening_change_waits_for_approval_then_reaches_the_worker(services, kafka_bootstrap):
    from playwright.sync_api import expect

    base, browser = services["base"], services["browser"]
    before = stored(kafka_bootstrap, "Adam Kowalski")
    assert "Adam" not in before["text"] and before["policy_version"] == services["baseline"]

    admin = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
    admin_secret = set_up_in_browser(admin, services["link"])
    sign_in_in_browser(admin, base, "admin", pyotp.TOTP(admin_secret).now())
    admin.goto(f"{base}/admin/users")
    admin.locator("#new-username").fill("eddie")
    admin.locator("#new-role").select_option("editor")
    admin.get_by_role("button", name="Create and show set-up link").click()
    editor_link = admin.locator("#setup-link").inner_text().strip()

    editor = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
    editor_secret = set_up_in_browser(editor, editor_link)  # optional for an Editor; enrolled here
    sign_in_in_browser(editor, base, "eddie", pyotp.TOTP(editor_secret).now())
    editor.goto(f"{base}/policy")
    expect(editor.locator("#current-version")).to_have_text(services["baseline"])
    document = orjson.loads(editor.locator("#document").input_value())
    document["detection"]["entities"].remove("PERSON")
    document["version"] = f"no-names-{secrets.token_hex(3)}"
    editor.locator("#document").fill(orjson.dumps(document, option=orjson.OPT_INDENT_2).decode())
    editor.get_by_role("button", name="Propose").click()
    expect(editor.locator("#message")).to_contain_text("waits for an Administrator")
    expect(editor.locator("#proposals")).to_contain_text("PERSON is no longer detected")
    assert editor.get_by_role("button", name="Approve").count() == 0  # not the Editor's to approve
    assert "Adam" not in stored(kafka_bootstrap, "Adam Nowak")["text"]  # still masked meanwhile

    admin.goto(f"{base}/policy")
    admin.get_by_role("button", name="Approve").click()
    expect(admin.locator("#message")).to_contain_text("published")
    admin.screenshot(path=str(ROOT / "docs" / "screenshots" / "policy.png"), full_page=True)

    deadline = time.monotonic() + 60
    while True:  # the worker switches between two batches, without a restart
        after = stored(kafka_bootstrap, "Ewa Zielińska")
        if after["policy_version"] == document["version"] or time.monotonic() > deadline:
            break
    assert after["policy_version"] == document["version"]
    assert "Ewa Zielińska" in after["text"] and not [f for f in after["findings"] if f["entity_type"] == "PERSON"]
