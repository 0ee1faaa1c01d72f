"""The vault's HTTP API on a real server (uvicorn) and both databases: a bearer token, a reason and
an actor for every reveal, one refusal for unknown and erased refs, no caching of values."""

from __future__ import annotations

import secrets

import httpx
import pytest

from schemas.pseudonyms import Pseudonymiser
from tests.support.processes import serve_in_thread
from vault.api import build_app
from vault.core import Item

TOKEN = secrets.token_hex(32)
KEY = secrets.token_bytes(32)
REASON = "customer asked to be called back"


@pytest.fixture
def api(make_vault):
    vault = make_vault()
    subject = Pseudonymiser(KEY).sender("web", "visitor-7")
    refs = vault.put_many([Item("ev1", "PHONE_NUMBER", subject, "+48 601 234 567")])
    notified: list[str] = []
    with serve_in_thread(build_app(vault, TOKEN.encode(), Pseudonymiser(KEY), notified.append)) as base:
        client = httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30)
        yield client, refs[0], subject, notified
        client.close()


def test_a_reveal_with_token_reason_and_actor_returns_the_value_uncached(api):
    client, ref, _, _ = api
    answer = client.post("/vault/reveal", json={"ref": ref, "reason": REASON, "actor": "moderator-1"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["value"] == "+48 601 234 567" and answer.headers["cache-control"] == "no-store"
    verified = client.get("/vault/audit/verify").json()
    assert verified["ok"] and verified["entries"] == 1


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ({"Authorization": "Bearer wrong"}, {"reason": REASON, "actor": "m"}, 401),
        ({"Authorization": ""}, {"reason": REASON, "actor": "m"}, 401),
        ({}, {"reason": "why", "actor": "m"}, 400),
        ({}, {"reason": REASON}, 400),
        ({}, {"reason": REASON, "actor": "\x1b[2J"}, 400),
        ({}, {"reason": REASON, "actor": "m", "ref": "v_" + "0" * 32}, 404),
    ],
)
def test_refusals_are_clear_and_reveal_nothing(api, headers, body, status):
    client, ref, _, _ = api
    answer = client.post("/vault/reveal", json={"ref": ref, **body}, headers=headers)
    assert answer.status_code == status, answer.text
    assert "601" not in answer.text and "error" in answer.json()


def test_garbage_and_oversized_bodies_are_refused(api):
    client, _, _, _ = api
    assert client.post("/vault/reveal", content=b"not json").status_code == 400
    assert client.post("/vault/reveal", content=b"[1, 2]").status_code == 400
    assert client.post("/vault/reveal", content=b"{" + b" " * 20_000 + b"}").status_code == 413


def test_erasure_through_the_api_shuts_the_ref_and_notifies(api):
    client, ref, subject, notified = api
    answer = client.post(
        "/vault/erase",
        json={"channel": "web", "sender": "visitor-7", "reason": "GDPR request 2026-130", "actor": "dpo"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"subject": subject, "had_key": True, "values": 1} and notified == [subject]
    gone = client.post("/vault/reveal", json={"ref": ref, "reason": REASON, "actor": "moderator-1"})
    assert gone.status_code == 404
    bad = client.post(
        "/vault/erase", json={"channel": "WEB", "sender": "x", "reason": "GDPR request 2026-131", "actor": "dpo"}
    )
    assert bad.status_code == 400
