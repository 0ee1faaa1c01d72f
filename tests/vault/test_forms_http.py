"""The secure forms over HTTP: a real server (uvicorn), the real broker, both databases. A bot's
bad requests and a visitor's hostile submissions get clear 4xx answers and keep nothing; a good
submission puts one event on chat.raw that names fields and refs, never values."""

from __future__ import annotations

import asyncio
import secrets

import httpx
import orjson
import pytest

from runtime.kafka import KafkaSettings
from schemas.pseudonyms import Pseudonymiser
from tests.support.kafka import create_topics, raw_events_with
from tests.support.processes import serve_in_thread
from vault.forms.app import build_app
from vault.forms.publish import RawPublisher
from vault.forms.store import FormStore

pytestmark = pytest.mark.integration

BOT_TOKEN = secrets.token_hex(32)
KEY = secrets.token_bytes(32)
PHONE, ADDRESS = "+48 733 918 204", "ul. Jaworowa 7/2, 31-422 Kraków"


@pytest.fixture
def forms(make_vault, kafka_bootstrap):
    create_topics(kafka_bootstrap)
    vault = make_vault()
    store = FormStore(vault, Pseudonymiser(KEY))
    publisher = RawPublisher(KafkaSettings(bootstrap=kafka_bootstrap))
    with serve_in_thread(build_app(store, BOT_TOKEN.encode(), "https://forms.example.test", publisher)) as base:
        client = httpx.Client(base_url=base, timeout=30)
        yield client, vault
        client.close()
    publisher.close()


def ask(client: httpx.Client, **overrides) -> httpx.Response:
    body = {
        "channel": "telegram",
        "channel_kind": "private",
        "conversation_id": f"chat-{secrets.token_hex(4)}",
        "sender_id": "tg-551",
        "fields": ["phone", "address"],
        **overrides,
    }
    return client.post("/forms", json=body, headers={"Authorization": f"Bearer {BOT_TOKEN}"})


def link_path(answer: httpx.Response) -> str:
    url = answer.json()["url"]
    assert url.startswith("https://forms.example.test/f/")
    return url.removeprefix("https://forms.example.test")


def test_a_submission_reaches_chat_raw_as_field_names_and_refs(forms, kafka_bootstrap):
    client, vault = forms
    issued = ask(client)
    assert issued.status_code == 201, issued.text
    path = link_path(issued)
    page = client.get(path)
    assert page.status_code == 200 and 'name="phone"' in page.text
    assert page.headers["cache-control"] == "no-store" and page.headers["referrer-policy"] == "no-referrer"
    assert "default-src 'none'" in page.headers["content-security-policy"] and "<script" not in page.text
    sent = client.post(path, data={"phone": PHONE, "address": ADDRESS})
    assert sent.status_code == 200 and "Thank you" in sent.text, sent.text
    (event,) = asyncio.run(raw_events_with(kafka_bootstrap, f"form:{issued.json()['form_id']}"))
    assert event["sender_id"] == "tg-551" and event["text"] == "Secure form submitted: phone, address"
    assert PHONE not in orjson.dumps(event).decode() and "Jaworowa" not in orjson.dumps(event).decode()
    refs = {f["field"]: f["vault_ref"] for f in event["form"]}
    assert vault.reveal(refs["address"], "ship the prize to the winner", "contest-mod").value == ADDRESS
    again = client.post(path, data={"phone": PHONE, "address": ADDRESS})
    assert again.status_code == 410 and "already sent" in again.text


@pytest.mark.parametrize(
    ("headers", "body", "status"),
    [
        ({"Authorization": "Bearer nope"}, b"{}", 401),
        ({}, b"{}", 401),
        ({"Authorization": f"Bearer {BOT_TOKEN}"}, b"not json", 400),
        ({"Authorization": f"Bearer {BOT_TOKEN}"}, b"[]", 400),
        ({"Authorization": f"Bearer {BOT_TOKEN}"}, b'{"fields": ["phone"]}', 400),
        ({"Authorization": f"Bearer {BOT_TOKEN}"}, b"{" + b" " * 9000 + b"}", 413),
    ],
)
def test_a_bots_bad_requests_are_refused_with_a_reason(forms, headers, body, status):
    client, _ = forms
    answer = client.post("/forms", content=body, headers=headers)
    assert answer.status_code == status and answer.json()["error"], answer.text


def test_a_public_channel_cannot_have_a_prefilled_form(forms):
    client, _ = forms
    answer = ask(client, channel_kind="public", prefill=True)
    assert answer.status_code == 400 and "private" in answer.json()["error"]


@pytest.mark.parametrize(
    ("content", "content_type", "status", "says"),
    [
        ({"phone": PHONE, "address": "x" * 301}, None, 422, "at most 300 characters"),
        ({"phone": PHONE}, None, 422, "required"),
        ({"phone": PHONE, "address": ADDRESS, "iban": "PL61109010140000071219812874"}, None, 400, "does not have"),
        (b"phone=1&phone=2&address=x", "application/x-www-form-urlencoded", 400, "twice"),
        (b"phone=%ff%fe&address=x", "application/x-www-form-urlencoded", 400, "UTF-8"),
        (b'{"phone": "1"}', "application/json", 415, "urlencoded"),
        (b"phone=1&address=x", "application/x-www-form-urlencoded; charset=ISO-8859-1", 415, "UTF-8"),
        (b"address=" + b"x" * 20_000, "application/x-www-form-urlencoded", 413, "larger than"),
    ],
)
def test_hostile_submissions_keep_nothing_and_leave_the_link_usable(forms, content, content_type, status, says):
    client, vault = forms
    path = link_path(ask(client))
    if content_type is None:
        answer = client.post(path, data=content)
    else:
        answer = client.post(path, content=content, headers={"Content-Type": content_type})
    assert answer.status_code == status and says in answer.text, answer.text
    assert "PL61109010140000071219812874" not in answer.text
    from sqlalchemy import func, select

    from vault.tables import entries

    with vault.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(entries)).scalar() == 0
    assert client.post(path, data={"phone": PHONE, "address": ADDRESS}).status_code == 200


def test_an_unknown_link_is_a_plain_404(forms):
    client, _ = forms
    for path in ("/f/" + "A" * 43, "/f/" + "x" * 5000):
        assert client.get(path).status_code == 404
        assert client.post(path, data={"phone": PHONE}).status_code == 404


def test_markup_in_values_comes_back_escaped(forms):
    client, _ = forms
    path = link_path(ask(client))
    answer = client.post(path, data={"phone": PHONE, "address": '"><script>alert(1)</script>' + "x" * 300})
    assert answer.status_code == 422
    assert "<script>alert(1)" not in answer.text and "&lt;script&gt;" in answer.text


def test_media_types_are_case_insensitive_and_slashes_do_not_redirect(forms):
    client, _ = forms
    path = link_path(ask(client))
    assert client.get(path + "/").status_code == 404  # no redirect carrying the token in Location
    body = f"phone={PHONE}&address={ADDRESS}".encode()
    sent = client.post(path, content=body, headers={"Content-Type": "Application/X-WWW-Form-URLEncoded; charset=UTF-8"})
    assert sent.status_code == 200, sent.text


def test_ids_with_control_characters_are_refused_before_the_database(forms):
    client, _ = forms
    answer = ask(client, sender_id="tg\x00551")
    assert answer.status_code == 400 and "control characters" in answer.json()["error"]
    assert "551" not in answer.text
