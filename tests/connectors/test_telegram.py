"""Telegram channel: the secret-token header, update_id deduplication, profile data dropped.

End-to-end tests run the real app and producer against the session's Kafka broker and read
chat.raw back. Every test makes its own chat, user and update ids.
"""

from __future__ import annotations

import secrets
import time

import orjson
import pytest

from connectors.base import InboundMessage, Parsed, ReceivedRequest, event_id_for
from connectors.errors import BadRequest, Unauthorized
from connectors.telegram import TelegramChannel
from schemas.topics import RAW
from tests.support.kafka import consume_until
from tests.support.metrics import metric

PATH = TelegramChannel.path
HEADER = "X-Telegram-Bot-Api-Secret-Token"
CANARY = "Canary7731"
IGNORED = "chatguard_ingest_ignored_events_total"
MESSAGES = "chatguard_ingest_messages_total"
REJECTIONS = "chatguard_ingest_rejections_total"
DUPLICATES = "chatguard_ingest_duplicates_total"


# -- helpers ------------------------------------------------------------------------------


def new_id() -> int:
    return 10**9 + secrets.randbelow(9 * 10**9)


def user(user_id: int) -> dict:
    return {
        "id": user_id,
        "is_bot": False,
        "first_name": "Ada",
        "last_name": "Lovelace",
        "username": "ada_l",
        "language_code": "en",
    }


def message_update(
    chat_id: int, from_id: int, text: str | None, *, update_id: int | None = None, date: int | None = None, **extra
) -> dict:
    message = {
        "message_id": secrets.randbelow(10**6),
        "from": user(from_id),
        "chat": {"id": chat_id, "first_name": "Ada", "last_name": "Lovelace", "username": "ada_l", "type": "private"},
        "date": int(time.time()) if date is None else date,
        **extra,
    }
    if text is not None:
        message["text"] = text
    return {"update_id": update_id if update_id is not None else new_id(), "message": message}


async def post(client, token: str | None, payload: dict):
    headers = {"Content-Type": "application/json"} | ({HEADER: token} if token is not None else {})
    return await client.post(PATH, content=orjson.dumps(payload), headers=headers)


async def events_before_sentinel(client, bootstrap: str, token: str, chat_id: int) -> list[dict]:
    """All chat.raw events of chat ``chat_id`` written so far (see test_slack)."""
    sentinel = f"sentinel {secrets.token_hex(8)}"
    response = await post(client, token, message_update(chat_id, chat_id, sentinel))
    assert response.status_code == 200
    records = await consume_until(
        bootstrap, [RAW.name], lambda rs: any(sentinel.encode() in r.value for r in rs), timeout_s=60
    )
    key = str(chat_id).encode()
    events = [orjson.loads(r.value) for r in records if r.key == key]
    assert [e["text"] for e in events].count(sentinel) == 1, "the sentinel never reached chat.raw"
    return [e for e in events if e["text"] != sentinel]


@pytest.fixture
def token() -> str:
    return secrets.token_urlsafe(32)  # Telegram allows A-Z a-z 0-9 _ -, 1 to 256 characters


# -- verify and parse, without the app ------------------------------------------------------


def test_verify_accepts_the_configured_token():
    TelegramChannel("s3cr3t_-Token").verify(
        ReceivedRequest({"x-telegram-bot-api-secret-token": "s3cr3t_-Token"}, {}, b"{}")
    )


@pytest.mark.parametrize("given", [None, "", "s3cr3t_-Toke", "s3cr3t_-Token ", "S3CR3T_-TOKEN", "s3cr3t_-Token2"])
def test_verify_refuses_any_other_token(given):
    headers = {} if given is None else {"x-telegram-bot-api-secret-token": given}
    with pytest.raises(Unauthorized) as exc:
        TelegramChannel("s3cr3t_-Token").verify(ReceivedRequest(headers, {}, b"{}"))
    assert exc.value.reason == "X-Telegram-Bot-Api-Secret-Token missing or wrong"


def parse(payload) -> Parsed:
    parsed = TelegramChannel("t").parse(ReceivedRequest({}, {}, b""), payload)
    return Parsed(tuple(parsed.messages), parsed.ignored, parsed.reply)


def test_a_text_message_keeps_only_ids_time_and_text():
    payload = message_update(-1001234567890, 42, "hello", update_id=777, date=1767261600)
    assert parse(payload) == Parsed(
        messages=(InboundMessage("777", "-1001234567890", "42", "2026-01-01T10:00:00.000Z", "hello"),)
    )


def test_a_message_sent_on_behalf_of_a_chat_uses_the_sender_chat():
    payload = message_update(-100111, 0, "from the channel", update_id=5, date=0)
    del payload["message"]["from"]
    payload["message"]["sender_chat"] = {"id": -100222, "title": "A channel", "type": "channel"}
    assert parse(payload).messages[0].sender_id == "-100222"


@pytest.mark.parametrize(
    "payload",
    [
        message_update(1, 1, None, photo=[{"file_id": "AgAD", "file_unique_id": "AQAD", "width": 90, "height": 90}]),
        message_update(
            1,
            1,
            None,
            photo=[{"file_id": "AgAD", "file_unique_id": "AQAD", "width": 90, "height": 90}],
            caption="a caption",
        ),
        message_update(1, 1, None, sticker={"file_id": "CAAD", "emoji": "x"}),
        message_update(1, 1, None, new_chat_members=[user(2)]),
        message_update(1, 1, ""),
        {"update_id": 2, "callback_query": {"id": "4382", "from": user(1), "data": "button-1", "chat_instance": "-1"}},
        {"update_id": 3, "edited_message": message_update(1, 1, "edited text")["message"] | {"edit_date": 1}},
        {
            "update_id": 4,
            "channel_post": {"message_id": 1, "chat": {"id": -100, "type": "channel"}, "date": 1, "text": "post"},
        },
        {"update_id": 5, "inline_query": {"id": "1", "from": user(1), "query": "q", "offset": ""}},
        {"update_id": 6, "my_chat_member": {"chat": {"id": 1}, "from": user(1), "date": 1}},
    ],
    ids=[
        "photo",
        "photo-with-caption",
        "sticker",
        "members-joined",
        "empty-text",
        "callback_query",
        "edited_message",
        "channel_post",
        "inline_query",
        "my_chat_member",
    ],
)
def test_updates_without_message_text_are_ignored(payload):
    assert parse(payload) == Parsed(ignored=1)


def changed(payload: dict, **message_changes) -> dict:
    message = {k: v for k, v in payload["message"].items() if message_changes.get(k, 0) is not ...}
    message.update({k: v for k, v in message_changes.items() if v is not ...})
    return {**payload, "message": message}


BASE = message_update(10, 20, "hi", update_id=1, date=1)


@pytest.mark.parametrize(
    "payload, reason",
    [
        ([BASE], "body must be a JSON object"),
        ({k: v for k, v in BASE.items() if k != "update_id"}, "update_id missing or not an integer"),
        ({**BASE, "update_id": CANARY}, "update_id missing or not an integer"),
        ({**BASE, "update_id": "12"}, "update_id missing or not an integer"),
        ({**BASE, "update_id": True}, "update_id missing or not an integer"),
        ({**BASE, "message": CANARY}, "message not an object"),
        (changed(BASE, text=[CANARY]), "message.text not a string"),
        (changed(BASE, date=...), "message.date missing or not Unix seconds"),
        (changed(BASE, date=CANARY), "message.date missing or not Unix seconds"),
        (changed(BASE, date=10**15), "message.date missing or not Unix seconds"),
        (changed(BASE, chat=...), "message.chat missing or not an object"),
        (changed(BASE, chat={"type": "private", "title": CANARY}), "message.chat.id missing or not a string"),
        (changed(BASE, chat={"id": None}), "message.chat.id missing or not a string"),
        (changed(BASE, **{"from": {"first_name": CANARY}}), "message.from.id missing or not a string"),
        (changed(BASE, **{"from": None}), "message.from.id missing or not a string"),
    ],
    ids=[
        "not-object",
        "no-update_id",
        "update_id-text",
        "update_id-string",
        "update_id-bool",
        "message-string",
        "text-list",
        "no-date",
        "date-text",
        "date-huge",
        "no-chat",
        "no-chat-id",
        "chat-id-null",
        "from-no-id",
        "from-null",
    ],
)
def test_malformed_updates_are_refused_naming_the_field(payload, reason):
    with pytest.raises(BadRequest) as exc:
        parse(payload)
    assert exc.value.reason == reason
    assert CANARY not in exc.value.reason


# -- end to end ----------------------------------------------------------------------------


@pytest.mark.integration
async def test_a_message_with_the_right_token_reaches_chat_raw(ingest_client, kafka_bootstrap, token):
    chat_id, from_id, update_id = -new_id(), new_id(), new_id()
    payload = message_update(
        chat_id, from_id, "my IBAN is GB82 WEST 1234 5698 7654 32", update_id=update_id, date=1767261600
    )
    async with ingest_client([TelegramChannel(token)]) as client:
        response = await post(client, token, payload)
        assert (response.status_code, response.json()) == (200, {"accepted": 1})
        assert metric(client.registry, MESSAGES, channel="telegram") == 1
        events = await events_before_sentinel(client, kafka_bootstrap, token, chat_id)
    assert events == [
        {
            "event_id": event_id_for("telegram", str(update_id)),
            "channel": "telegram",
            "channel_kind": "public",
            "conversation_id": str(chat_id),
            "sender_id": str(from_id),
            "sent_at": "2026-01-01T10:00:00.000Z",
            "text": "my IBAN is GB82 WEST 1234 5698 7654 32",
            "metadata": {},
            "form": [],
            "schema_version": 1,
        }
    ]


@pytest.mark.integration
@pytest.mark.parametrize("how", ["wrong", "missing", "empty", "prefix"])
async def test_a_wrong_or_missing_token_is_a_401_and_not_written(ingest_client, kafka_bootstrap, token, how):
    chat_id = new_id()
    given = {"wrong": secrets.token_urlsafe(32), "missing": None, "empty": "", "prefix": token[:-1]}[how]
    async with ingest_client([TelegramChannel(token)]) as client:
        response = await post(client, given, message_update(chat_id, chat_id, "must not be written"))
        assert response.status_code == 401
        assert response.json() == {"error": "X-Telegram-Bot-Api-Secret-Token missing or wrong"}
        assert metric(client.registry, REJECTIONS, channel="telegram", reason="bad_signature") == 1
        assert await events_before_sentinel(client, kafka_bootstrap, token, chat_id) == []


@pytest.mark.integration
async def test_a_repeated_update_is_written_once(ingest_client, kafka_bootstrap, token):
    chat_id, update_id = new_id(), new_id()
    payload = message_update(chat_id, chat_id, "sent until acknowledged", update_id=update_id)
    async with ingest_client([TelegramChannel(token)]) as client:
        responses = [await post(client, token, payload) for _ in range(3)]
        assert [r.status_code for r in responses] == [200, 200, 200]
        assert metric(client.registry, DUPLICATES, channel="telegram") == 2
        events = await events_before_sentinel(client, kafka_bootstrap, token, chat_id)
    assert [e["event_id"] for e in events] == [event_id_for("telegram", str(update_id))]


@pytest.mark.integration
async def test_profile_fields_never_reach_chat_raw(ingest_client, kafka_bootstrap, token):
    chat_id, from_id = new_id(), new_id()
    payload = message_update(chat_id, from_id, "only this")
    payload["message"]["from"] |= {
        "first_name": f"First{CANARY}",
        "last_name": f"Last{CANARY}",
        "username": f"user_{CANARY}",
    }
    payload["message"]["chat"] |= {"first_name": f"First{CANARY}", "username": f"user_{CANARY}"}
    payload["message"]["entities"] = [
        {"type": "mention", "offset": 0, "length": 4, "user": {"id": 1, "first_name": CANARY}}
    ]
    async with ingest_client([TelegramChannel(token)]) as client:
        assert (await post(client, token, payload)).status_code == 200
        events = await events_before_sentinel(client, kafka_bootstrap, token, chat_id)
    assert [e["text"] for e in events] == ["only this"]
    raw = orjson.dumps(events).decode()
    assert CANARY not in raw and "Ada" not in raw and "ada_l" not in raw


@pytest.mark.integration
async def test_non_text_updates_are_acknowledged_counted_and_not_written(ingest_client, kafka_bootstrap, token):
    chat_id = new_id()
    photo = message_update(
        chat_id, chat_id, None, photo=[{"file_id": "AgAD", "file_unique_id": "AQAD", "width": 90, "height": 90}]
    )
    callback = {
        "update_id": new_id(),
        "callback_query": {
            "id": "1",
            "from": user(chat_id),
            "data": "must not be written",
            "message": message_update(chat_id, chat_id, "button message")["message"],
        },
    }
    edited = {
        "update_id": new_id(),
        "edited_message": message_update(chat_id, chat_id, "edit must not be written")["message"],
    }
    async with ingest_client([TelegramChannel(token)]) as client:
        responses = [await post(client, token, payload) for payload in (photo, callback, edited)]
        assert [(r.status_code, r.json()) for r in responses] == [(200, {"accepted": 0})] * 3
        assert metric(client.registry, IGNORED, channel="telegram") == 3
        assert metric(client.registry, MESSAGES, channel="telegram") == 0
        assert await events_before_sentinel(client, kafka_bootstrap, token, chat_id) == []


@pytest.mark.integration
async def test_a_malformed_update_is_a_400_naming_the_field(ingest_client, token):
    payload = message_update(new_id(), new_id(), "hi")
    payload["message"]["date"] = CANARY
    async with ingest_client([TelegramChannel(token)]) as client:
        response = await post(client, token, payload)
    assert response.status_code == 400
    assert response.json() == {"error": "message.date missing or not Unix seconds"}
