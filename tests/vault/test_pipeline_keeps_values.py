"""End to end through the installed commands: `chatguard redact` keeps each detected value in the
vault and writes its ref on every destination's finding; `chatguard vault reveal` opens it with a
reason; `chatguard erase` shuts it for good; `chatguard audit verify` sees every step."""

from __future__ import annotations

import os
import secrets
import subprocess
from pathlib import Path

import orjson
import pytest

from schemas.codec import encode
from schemas.raw import RawMessage
from tests.support.paths import BIN
from tests.support.vaults import vault_env

EMAIL, PHONE = "anna.nowak@example.org", "+48 601 234 567"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHATGUARD_")}
    env.update(CHATGUARD_PSEUDONYM_KEY=secrets.token_hex(32), **vault_env(tmp_path / "vault"))
    return env


def chatguard(args: list[str], env: dict[str, str], stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / "chatguard"), *args], input=stdin, env=env, capture_output=True, text=True, timeout=300
    )


def raw(text: str, sender: str = "visitor-1") -> str:
    message = RawMessage(
        event_id=secrets.token_hex(16), channel="web", channel_kind="private", conversation_id="conv-1",
        sender_id=sender, sent_at="2026-12-02T10:00:00Z", text=text,
    )  # fmt: skip
    return encode(message).decode() + "\n"


def test_refs_on_every_destination_open_with_a_reason_and_close_on_erasure(env):
    stdin = raw(f"Write to {EMAIL} or call {PHONE}") + raw("nothing personal here")
    outputs = {}
    for destination in ("storage", "analytics"):
        done = chatguard(["redact", "--to", destination], env, stdin)
        assert done.returncode == 0, done.stderr
        outputs[destination] = [orjson.loads(line) for line in done.stdout.splitlines()]
    storage = outputs["storage"][0]
    assert EMAIL not in storage["text"] and PHONE not in storage["text"]
    refs = [f["vault_ref"] for f in storage["findings"]]
    assert len(refs) == 2 and all(r and r.startswith("v_") for r in refs)
    assert outputs["storage"][1]["findings"] == []

    revealed = {}
    for ref in refs:
        done = chatguard(["vault", "reveal", ref, "--reason", "customer asked for a call back"], env)
        assert done.returncode == 0, done.stderr
        got = orjson.loads(done.stdout)
        revealed[got["entity_type"]] = got["value"]
    assert revealed == {"EMAIL_ADDRESS": EMAIL, "PHONE_NUMBER": PHONE}

    refused = chatguard(["vault", "reveal", refs[0], "--reason", "why"], env)
    assert refused.returncode == 2 and "reason" in refused.stderr and EMAIL not in refused.stderr + refused.stdout

    erased = chatguard(
        ["erase", "--channel", "web", "--sender", "visitor-1", "--reason", "GDPR request 2026-120", "--no-notice"], env
    )
    assert erased.returncode == 0, erased.stderr
    for ref in refs:
        gone = chatguard(["vault", "reveal", ref, "--reason", "customer asked for a call back"], env)
        assert gone.returncode == 1 and "unknown, expired or erased" in gone.stderr
        assert EMAIL not in gone.stdout + gone.stderr and PHONE not in gone.stdout + gone.stderr

    verified = chatguard(["audit", "verify"], env)
    assert verified.returncode == 0 and "chain intact" in verified.stdout, verified.stderr
    # two reveals, one refused (bad reason), one erasure, two refused (erased): six entries
    assert " 6 entries" in verified.stdout


def test_without_a_master_key_the_commands_refuse_in_one_line(env):
    del env["CHATGUARD_VAULT_MASTER_KEY_FILE"]
    done = chatguard(["redact", "--to", "storage"], env, raw("hello"))
    assert done.returncode == 2 and "CHATGUARD_VAULT_MASTER_KEY_FILE" in done.stderr and "Traceback" not in done.stderr
    off = chatguard(["redact", "--to", "storage"], {**env, "CHATGUARD_VAULT": "off"}, raw(f"mail {EMAIL}"))
    assert off.returncode == 0, off.stderr
    assert [f["vault_ref"] for f in orjson.loads(off.stdout)["findings"]] == [None]


def test_erase_publishes_a_notice_on_chat_erasure(env, kafka_bootstrap):
    import asyncio

    from schemas.erasure import ErasureNotice
    from schemas.topics import ERASURE
    from tests.support.kafka import consume_until

    sender = f"visitor-{secrets.token_hex(4)}"
    done = chatguard(
        ["erase", "--channel", "web", "--sender", sender, "--reason", "GDPR request 2026-132"],
        {**env, "CHATGUARD_KAFKA_BOOTSTRAP": kafka_bootstrap},
    )
    assert done.returncode == 0, done.stderr
    assert "holds no key" in done.stderr  # nothing was kept from this sender, and it says so
    subject = done.stderr.split("holds no key for ")[1].split()[0]

    def found(records: list) -> bool:
        return any(r.key == subject.encode() for r in records)

    records = asyncio.run(consume_until(kafka_bootstrap, [ERASURE.name], found, timeout_s=60))
    notice = ErasureNotice.decode(next(r.value for r in records if r.key == subject.encode()))
    assert notice.subject == subject and sender not in repr(records)
