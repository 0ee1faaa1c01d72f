"""``chatguard redact``: JSONL in, one redacted line per valid line out, bad lines named on stderr.

The first tests drive redact_stream in-process with a fake detector; the rest run the installed
console script as a subprocess with the real model.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from pipeline.jsonl import redact_stream
from schemas.codec import encode
from schemas.redacted import RedactedMessage
from tests.support.vaults import vault_env

CHATGUARD = Path(sys.executable).parent / "chatguard"
EMAIL = "jane.doe@example.com"


def _line(raw_message, **overrides) -> str:
    return encode(raw_message(**overrides)).decode()


def _run_stream(engine, lines: list[str], destination: str = "storage", batch_size: int = 256):
    stdin, stdout, stderr = io.StringIO("\n".join(lines) + "\n"), io.StringIO(), io.StringIO()
    status = redact_stream(engine, destination, stdin, stdout, stderr, batch_size)
    out = [RedactedMessage.from_dict(orjson.loads(line)) for line in stdout.getvalue().splitlines()]
    return status, out, stderr.getvalue()


@pytest.mark.parametrize("batch_size", [1, 2, 3, 256])
def test_stream_keeps_input_order_across_batches(make_engine, raw_message, batch_size):
    events = [raw_message(text=f"message {i} to {EMAIL}") for i in range(7)]
    lines = [encode(e).decode() for e in events]
    lines.insert(3, "{not json")
    status, out, err = _run_stream(make_engine(), lines, batch_size=batch_size)
    assert [m.event_id for m in out] == [e.event_id for e in events]
    assert status == 1
    assert re.findall(r"^line (\d+): ", err, re.M) == ["4"]


def test_stream_reports_each_bad_line_by_number(make_engine, raw_message):
    lines = [
        _line(raw_message, text="first"),
        f'{{"text": "{EMAIL}", oops',  # 2: invalid JSON
        _line(raw_message, text="second"),
        json.dumps({"text": EMAIL}),  # 4: schema-invalid (fields missing)
        "",  # 5: blank, skipped
        _line(raw_message, text=f"POISON {EMAIL}"),  # 6: detection fails
        json.dumps({**json.loads(_line(raw_message)), "channel_kind": [EMAIL]}),  # 7: wrong type
        _line(raw_message, text="third"),
    ]
    status, out, err = _run_stream(make_engine(), lines)
    assert status == 1
    assert [m.text for m in out] == ["first", "second", "third"]
    reported = dict(re.findall(r"^line (\d+): (.*)$", err, re.M))
    assert sorted(reported, key=int) == ["2", "4", "6", "7"]  # within a batch, decode errors come first
    assert "not valid JSON" in reported["2"]
    assert reported["6"].startswith("detect failed") and "not written" in reported["6"]
    assert reported["7"].startswith("channel_kind: ")
    assert EMAIL not in err and "POISON" not in err


@pytest.mark.parametrize("destination", ["storage", "nlp", "analytics"])
def test_stream_writes_the_chosen_destination(make_engine, raw_message, destination):
    status, out, err = _run_stream(make_engine(), [_line(raw_message, text=f"mail {EMAIL}")], destination)
    assert (status, err) == (0, "")
    (message,) = out
    assert message.policy == destination
    assert EMAIL not in message.text


def test_stream_empty_input(make_engine):
    stdout, stderr = io.StringIO(), io.StringIO()
    assert redact_stream(make_engine(), "storage", io.StringIO(""), stdout, stderr) == 0
    assert stdout.getvalue() == stderr.getvalue() == ""


# --- The installed command, real model ------------------------------------------------------


@pytest.fixture
def cli_env(engine_key: str, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHATGUARD_")}
    env["CHATGUARD_PSEUDONYM_KEY"] = engine_key
    env.update(vault_env(tmp_path / "vault"))
    return env


def _chatguard(args: list[str], stdin: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    assert CHATGUARD.exists(), f"console script not installed next to {sys.executable}"
    return subprocess.run([str(CHATGUARD), *args], input=stdin, env=env, capture_output=True, text=True, timeout=300)


def test_cli_mixed_input(cli_env, raw_message):
    valid = [
        raw_message(text=t)
        for t in (
            f"My email is {EMAIL}",
            "What time do you open tomorrow?",
            "Call me at 212-555-0123",
            "My name is John Smith",
        )
    ]
    lines = [
        encode(valid[0]).decode(),
        encode(valid[1]).decode(),
        f'{{"event_id": "x", "text": "{EMAIL}"',  # 3: invalid JSON
        encode(valid[2]).decode(),
        json.dumps({**orjson.loads(encode(valid[0])), "sent_at": "yesterday", "event_id": "bad"}),  # 5
        encode(valid[3]).decode(),
    ]
    done = _chatguard(["redact", "--to", "storage"], "\n".join(lines) + "\n", cli_env)
    assert done.returncode == 1, done.stderr
    out = [RedactedMessage.from_dict(orjson.loads(line)) for line in done.stdout.splitlines()]
    assert [m.event_id for m in out] == [e.event_id for e in valid]
    assert all(m.policy == "storage" for m in out)
    assert out[1].text == "What time do you open tomorrow?"
    for value in (EMAIL, "212-555-0123", "John Smith"):
        assert value not in done.stdout
    reported = re.findall(r"^line (\d+): (.*)$", done.stderr, re.M)
    assert [n for n, _ in reported] == ["3", "5"]
    assert "sent_at" in reported[1][1]
    assert EMAIL not in done.stderr and "yesterday" not in done.stderr
    assert "Traceback" not in done.stderr


def test_cli_all_valid_to_analytics(cli_env, raw_message):
    sender_id = "sender-7f3a@example.org"
    events = [
        raw_message(text=f"My email is {EMAIL}", sender_id=sender_id),
        raw_message(text=f"Again: {EMAIL.upper()}", sender_id=sender_id),
        raw_message(text="Thanks, that solved it!", sender_id=sender_id),
    ]
    done = _chatguard(["redact", "--to", "analytics"], "".join(encode(e).decode() + "\n" for e in events), cli_env)
    assert done.returncode == 0, done.stderr
    assert not re.search(r"^line \d+:", done.stderr, re.M)
    out = [RedactedMessage.from_dict(orjson.loads(line)) for line in done.stdout.splitlines()]
    assert [m.event_id for m in out] == [e.event_id for e in events]
    assert all(m.policy == "analytics" for m in out)
    assert EMAIL not in done.stdout.lower() and sender_id not in done.stdout
    tokens = [re.findall(r"<EMAIL_ADDRESS_[0-9a-f]{16}>", m.text) for m in out[:2]]
    assert tokens[0] and tokens[0] == tokens[1]  # the same address joins as one token
    assert len({m.sender for m in out}) == 1 and out[0].sender.startswith("u_")
    assert out[2].text == "Thanks, that solved it!"


@pytest.mark.parametrize("key", [None, "too-short"])
def test_cli_without_a_usable_key(cli_env, raw_message, key):
    env = {k: v for k, v in cli_env.items() if k != "CHATGUARD_PSEUDONYM_KEY"}
    if key is not None:
        env["CHATGUARD_PSEUDONYM_KEY"] = key
    done = _chatguard(["redact", "--to", "storage"], _line(raw_message) + "\n", env)
    assert done.returncode != 0
    assert done.stdout == ""
    assert "CHATGUARD_PSEUDONYM_KEY" in done.stderr
    assert "Traceback" not in done.stderr


def test_cli_unknown_destination(cli_env):
    done = _chatguard(["redact", "--to", "billing"], "", cli_env)
    assert done.returncode == 2
    assert "--to" in done.stderr and done.stdout == ""
