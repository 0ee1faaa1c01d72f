"""The console as people use it: headless Chromium on a real ``chatguard console`` and a real
``chatguard vault serve``, sharing one SQLite database. The first Administrator sets up a password
and TOTP from the one-time link; a wrong code is refused; they add a Viewer and a Mailbox
Moderator; the Viewer is refused the inbox; the Moderator reads masked text and reveals a phone
with a reason; the Administrator finds that reveal, with its reason, on the audit page.
Screenshots of the main pages go to docs/screenshots/ (the README shows them)."""

from __future__ import annotations

import re
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pyotp
import pytest

from schemas.keeping import KeptValue
from schemas.redacted import Finding
from tests.support.browser import chromium
from tests.support.console import PASSWORD, clean_event, set_up_in_browser, sign_in_in_browser, store
from tests.support.paths import BIN, ROOT
from tests.support.ports import free_port
from tests.support.processes import chatguard_process, clean_env, tail
from tests.support.vaults import vault_env

pytestmark = [pytest.mark.integration, pytest.mark.slow]

SHOTS = ROOT / "docs" / "screenshots"
PHONE = "+48 601 555 019"
REASON = "customer asked to be called back about order 7781"
SUBJECT, CONVERSATION = "u_1f00000000000001", "c_1f00000000000001"


@pytest.fixture(scope="module")
def services(tmp_path_factory) -> Iterator[dict]:
    where = tmp_path_factory.mktemp("console-browser")
    vault = vault_env(where / "vault")
    api_token, port, vault_port = secrets.token_hex(32), free_port(), free_port()
    env = clean_env(
        **vault,
        CHATGUARD_PSEUDONYM_KEY=secrets.token_hex(32),
        CHATGUARD_VAULT_API_TOKEN=api_token,
        CHATGUARD_VAULT_API_PORT=str(vault_port),
        CHATGUARD_CONSOLE_PORT=str(port),
        CHATGUARD_CONSOLE_VAULT_URL=f"http://127.0.0.1:{vault_port}",
        CHATGUARD_CONSOLE_METRICS_URL="http://127.0.0.1:9/metrics",
        CHATGUARD_LOG_LEVEL="INFO",
    )
    base = f"http://127.0.0.1:{port}"
    logs = {"console": where / "console.log", "vault": where / "vault.log"}
    with (
        chatguard_process(["vault", "serve"], env, f"http://127.0.0.1:{vault_port}/healthz", logs["vault"],
                          timeout_s=60) as vault_proc,
        chatguard_process(["console", "--no-sink"], env, f"{base}/healthz", logs["console"], timeout_s=60) as console,
        chromium() as browser,
    ):  # fmt: skip
        seed(vault["CHATGUARD_VAULT_DATABASE_URL"], Path(vault["CHATGUARD_VAULT_MASTER_KEY_FILE"]))
        first = subprocess.run(
            [str(BIN / "chatguard"), "console", "first-admin", "--username", "admin"],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert first.returncode == 0, first.stderr
        yield {"base": base, "link": first.stdout.strip(), "browser": browser, "logs": logs}
        assert console.poll() is None and vault_proc.poll() is None, tail(logs["console"])
    for name, path in logs.items():
        text = path.read_text(errors="replace")
        assert PHONE not in text and PASSWORD not in text, f"a value or password in the {name} log"


def seed(url: str, key_file: Path) -> None:
    from console.db import open_console_engine
    from vault.core import Vault
    from vault.keys import LocalKeys, read_master_key

    engine = open_console_engine(url)
    vault = Vault(engine, LocalKeys(read_master_key(key_file)), 86_400)
    (ref,) = vault.put_many([KeptValue("web:41", "PHONE_NUMBER", SUBJECT, PHONE, CONVERSATION)])
    store(
        engine,
        [
            clean_event("web:40", "Hi, I ordered a kettle last week", conversation_id=CONVERSATION, sender=SUBJECT),
            clean_event(
                "web:41", "It broke, call me on " + "*" * len(PHONE), [Finding("PHONE_NUMBER", 21, 21 + len(PHONE), 0.9, ref)],
                conversation_id=CONVERSATION, sender=SUBJECT,
            ),
        ],
    )  # fmt: skip
    engine.dispose()


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_the_roles_at_work(services):
    from playwright.sync_api import expect

    base, browser = services["base"], services["browser"]
    admin = browser.new_context(viewport={"width": 1100, "height": 760}).new_page()
    admin_secret = set_up_in_browser(admin, services["link"], with_totp=True)
    expect(admin.locator("#recovery-codes li")).to_have_count(10)

    sign_in_in_browser(admin, base, "admin", "000000")
    expect(admin.locator("#problem")).to_have_text("wrong user name, password or code")
    shot(admin, "login")
    sign_in_in_browser(admin, base, "admin", pyotp.TOTP(admin_secret).now())
    expect(admin.get_by_test_id("who")).to_contain_text("admin (administrator)")

    links = {}
    for username, role in (("vera", "viewer"), ("mona", "mailbox_moderator")):
        admin.goto(f"{base}/admin/users")
        admin.locator("#new-username").fill(username)
        admin.locator("#new-role").select_option(role)
        admin.get_by_role("button", name="Create and show set-up link").click()
        links[username] = admin.locator("#setup-link").inner_text().strip()
    shot(admin, "users")

    viewer = browser.new_context().new_page()
    set_up_in_browser(viewer, links["vera"], with_totp=False)
    sign_in_in_browser(viewer, base, "vera", "")
    viewer.goto(f"{base}/inbox")
    expect(viewer.locator("#denied")).to_contain_text("view_inbox")
    assert "kettle" not in viewer.content()

    moderator = browser.new_context(viewport={"width": 1100, "height": 760}).new_page()
    urls: list[str] = []
    moderator.on("request", lambda r: urls.append(r.url))
    mona_secret = set_up_in_browser(moderator, links["mona"], with_totp=True)
    sign_in_in_browser(moderator, base, "mona", pyotp.TOTP(mona_secret).now())
    moderator.goto(f"{base}/inbox")
    moderator.get_by_role("link", name=CONVERSATION).click()
    expect(moderator.get_by_test_id("masked").nth(1)).to_contain_text("call me on ****")
    assert PHONE not in moderator.content()
    shot(moderator, "inbox")
    moderator.get_by_label("reason for PHONE_NUMBER").fill(REASON)
    moderator.get_by_role("button", name="Reveal").click()
    expect(moderator.locator("#revealed")).to_have_text(PHONE)
    shot(moderator, "revealed")
    assert not any(PHONE in u or re.sub(r"\D", "", PHONE) in u for u in urls)

    admin.goto(f"{base}/admin/audit?action=reveal")
    row = admin.locator("#audit tr", has_text="console:mona").first
    expect(row).to_contain_text(REASON)
    expect(row).to_contain_text("revealed")
    assert PHONE not in admin.content()
    shot(admin, "audit")
    admin.goto(f"{base}/stats")
    shot(admin, "stats")
