"""Messenger channel: Meta's GET handshake, X-Hub-Signature-256, batched entries, minimisation.

End-to-end tests run the real app and producer against the session's Kafka broker and read
chat.raw back. Every test makes its own page, user and message ids.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import orjson
import pytest

from connectors.base import InboundMessage, Parsed, ReceivedRequest, event_id_for
from connectors.errors import BadRequest, Forbidden, Unauthorized
from connectors.messenger import MessengerChannel
from schemas.topics import RAW
from tests.support.kafka import consume_until
from tests.support.metrics import metric

PATH = MessengerChannel.path
CANARY = "canary-Profile-7731"
IGNORED = "chatguard_ingest_ignored_events_total"
MESSAGES = "chatguard_ingest_messages_total"
REJECTIONS = "chatguard_ingest_rejections_total"
REQUESTS = "chatguard_ingest_requests_total"
DUPLICATES = "chatguard_ingest_duplicates_total"


# -- helpers ------------------------------------------------------------------------------


def new_id() -> str:
    return str(10**15 + secrets.randbelow(9 * 10**15))  # Meta's numeric page-scoped ids


def new_mid() -> str:
    return "m_" + secrets.token_urlsafe(24)


def text_event(page: str, user: str, text: str, *, mid: str | None = None, timestamp: int | None = None) -> dict:
    return {
        "sender": {"id": user},
        "recipient": {"id": page},
        "timestamp": timestamp if timestamp is not None else int(time.time() * 1000),
        "message": {
            "mid": mid or new_mid(),
            "text": text,
            "nlp": {"entities": {"name": [{"value": CANARY, "confidence": 0.9}]}},
            "quick_reply": {"payload": CANARY},
        },
    }


def echo_event(page: str, user: str, text: str) -> dict:
    """The Page's own reply, echoed back: sender is the page."""
    return {
        "sender": {"id": page},
        "recipient": {"id": user},
        "timestamp": int(time.time() * 1000),
        "message": {"is_echo": True, "app_id": 1517776481860111, "mid": new_mid(), "text": text},
    }


def delivery_event(page: str, user: str) -> dict:
    return {
        "sender": {"id": user},
        "recipient": {"id": page},
        "delivery": {"mids": [new_mid()], "watermark": 1458668856253},
    }


def entry(page: str, *events: dict) -> dict:
    return {"id": page, "time": int(time.time() * 1000), "messaging": list(events)}


def webhook(*entries: dict) -> dict:
    return {"object": "page", "entry": list(entries)}


def sign(secret: bytes, body: bytes) -> dict[str, str]:
    """Headers as Meta computes them (independently of connectors.messenger)."""
    return {
        "X-Hub-Signature-256": "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest(),
        "Content-Type": "application/json",
    }


async def post(client, secret: bytes, payload: dict):
    body = orjson.dumps(payload)
    return await client.post(PATH, content=body, headers=sign(secret, body))


async def events_before_sentinel(client, bootstrap: str, secret: bytes, page: str, user: str) -> list[dict]:
    """All chat.raw events of conversation ``page:user`` written so far (see test_slack)."""
    sentinel = f"sentinel {secrets.token_hex(8)}"
    response = await post(client, secret, webhook(entry(page, text_event(page, user, sentinel))))
    assert response.status_code == 200
    records = await consume_until(
        bootstrap, [RAW.name], lambda rs: any(sentinel.encode() in r.value for r in rs), timeout_s=60
    )
    key = f"{page}:{user}".encode()
    events = [orjson.loads(r.value) for r in records if r.key == key]
    assert [e["text"] for e in events].count(sentinel) == 1, "the sentinel never reached chat.raw"
    return [e for e in events if e["text"] != sentinel]


@pytest.fixture
def secret() -> bytes:
    return secrets.token_hex(16).encode()


@pytest.fixture
def verify_token() -> str:
    return secrets.token_urlsafe(16)


# -- GET: the subscription handshake --------------------------------------------------------


def test_subscribe_answers_the_challenge_as_plain_text():
    response = MessengerChannel(b"s", "tok").subscribe(
        {"hub.mode": "subscribe", "hub.verify_token": "tok", "hub.challenge": "1158201444"}
    )
    assert (response.status_code, response.body, response.media_type) == (200, b"1158201444", "text/plain")


@pytest.mark.parametrize(
    "query, error, reason",
    [
        ({"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "1"}, Forbidden, "hub.verify_token"),
        ({"hub.mode": "subscribe", "hub.verify_token": "tok ", "hub.challenge": "1"}, Forbidden, "hub.verify_token"),
        ({"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}, Forbidden, "hub.verify_token"),
        ({"hub.mode": "subscribe", "hub.challenge": "1"}, Forbidden, "hub.verify_token"),
        ({"hub.mode": "unsubscribe", "hub.verify_token": "tok", "hub.challenge": "1"}, Forbidden, "hub.mode"),
        ({"hub.verify_token": "tok", "hub.challenge": "1"}, Forbidden, "hub.mode"),
        ({"hub.mode": "subscribe", "hub.verify_token": "tok"}, BadRequest, "hub.challenge"),
        ({"hub.mode": "subscribe", "hub.verify_token": "tok", "hub.challenge": "9" * 257}, BadRequest, "hub.challenge"),
    ],
    ids=[
        "wrong-token",
        "token-plus-space",
        "empty-token",
        "no-token",
        "wrong-mode",
        "no-mode",
        "no-challenge",
        "long-challenge",
    ],
)
def test_subscribe_refuses(query, error, reason):
    with pytest.raises(error) as exc:
        MessengerChannel(b"s", "tok").subscribe(query)
    assert reason in exc.value.reason
    assert "wrong" not in exc.value.reason.replace("missing or wrong", "")


@pytest.mark.integration
async def test_get_verification_succeeds_with_the_configured_token(ingest_client, secret, verify_token):
    challenge = str(secrets.randbelow(10**10))
    async with ingest_client([MessengerChannel(secret, verify_token)]) as client:
        response = await client.get(
            PATH, params={"hub.mode": "subscribe", "hub.verify_token": verify_token, "hub.challenge": challenge}
        )
        assert metric(client.registry, REQUESTS, channel="messenger", status="200") == 1
    assert response.status_code == 200
    assert response.text == challenge
    assert response.headers["content-type"].startswith("text/plain")


@pytest.mark.integration
@pytest.mark.parametrize(
    "mode, token_ok, error, metric_reason",
    [
        ("subscribe", False, "hub.verify_token missing or wrong", "bad_verify_token"),
        ("unsubscribe", True, "hub.mode must be subscribe", "forbidden"),
        (None, True, "hub.mode must be subscribe", "forbidden"),
    ],
    ids=["wrong-token", "wrong-mode", "no-mode"],
)
async def test_get_verification_fails_with_403(
    ingest_client, secret, verify_token, mode, token_ok, error, metric_reason
):
    given = verify_token if token_ok else secrets.token_urlsafe(16)
    challenge = str(secrets.randbelow(10**10))
    params = {"hub.verify_token": given, "hub.challenge": challenge} | ({"hub.mode": mode} if mode else {})
    async with ingest_client([MessengerChannel(secret, verify_token)]) as client:
        response = await client.get(PATH, params=params)
        assert metric(client.registry, REQUESTS, channel="messenger", status="403") == 1
        assert metric(client.registry, REJECTIONS, channel="messenger", reason=metric_reason) == 1
    assert response.status_code == 403
    assert response.json() == {"error": error}
    assert challenge not in response.text and given not in response.text


# -- POST: signature --------------------------------------------------------------------------


def request(secret: bytes, body: bytes, **headers: str) -> ReceivedRequest:
    return ReceivedRequest({k.lower(): v for k, v in {**sign(secret, body), **headers}.items()}, {}, body)


def test_verify_accepts_metas_signature():
    body = orjson.dumps(webhook(entry("1", text_event("1", "2", "hi"))))
    MessengerChannel(b"app-secret", "tok").verify(request(b"app-secret", body))  # does not raise


@pytest.mark.parametrize(
    "signed_with, body, headers",
    [
        (b"another-secret", b'{"object":"page"}', {}),
        (
            b"app-secret",
            b'{"object":"page"}',
            {"X-Hub-Signature-256": "sha1=" + hmac.new(b"app-secret", b'{"object":"page"}', hashlib.sha1).hexdigest()},
        ),
        (b"app-secret", b'{"object":"page"}', {"X-Hub-Signature-256": ""}),
    ],
    ids=["wrong-secret", "sha1-value", "empty"],
)
def test_verify_refuses(signed_with, body, headers):
    with pytest.raises(Unauthorized) as exc:
        MessengerChannel(b"app-secret", "tok").verify(request(signed_with, body, **headers))
    assert exc.value.reason == "X-Hub-Signature-256 missing or wrong"


def test_verify_refuses_only_the_legacy_sha1_header():
    body = b'{"object":"page"}'
    legacy = {"x-hub-signature": "sha1=" + hmac.new(b"app-secret", body, hashlib.sha1).hexdigest()}
    with pytest.raises(Unauthorized):
        MessengerChannel(b"app-secret", "tok").verify(ReceivedRequest(legacy, {}, body))


# -- POST: parsing, without the app -----------------------------------------------------------


def parse(payload) -> Parsed:
    parsed = MessengerChannel(b"s", "t").parse(ReceivedRequest({}, {}, b""), payload)
    return Parsed(tuple(parsed.messages), parsed.ignored, parsed.reply)  # compare contents, not list vs tuple


def test_a_text_message_keeps_only_ids_time_and_text():
    payload = webhook(entry("PAGE1", text_event("PAGE1", "USER1", "hello", mid="m_1", timestamp=1767261600123)))
    assert parse(payload) == Parsed(
        messages=(InboundMessage("m_1", "PAGE1:USER1", "USER1", "2026-01-01T10:00:00.123Z", "hello"),)
    )


@pytest.mark.parametrize(
    "event",
    [
        echo_event("P", "U", "our own reply"),
        delivery_event("P", "U"),
        {"sender": {"id": "U"}, "recipient": {"id": "P"}, "timestamp": 1, "read": {"watermark": 1}},
        {
            "sender": {"id": "U"},
            "recipient": {"id": "P"},
            "timestamp": 1,
            "postback": {"title": "Start", "payload": "GET_STARTED"},
        },
        {
            "sender": {"id": "U"},
            "recipient": {"id": "P"},
            "timestamp": 1,
            "reaction": {"mid": "m_1", "action": "react", "emoji": "x"},
        },
        {
            "sender": {"id": "U"},
            "recipient": {"id": "P"},
            "timestamp": 1,
            "message": {
                "mid": "m_2",
                "attachments": [{"type": "image", "payload": {"url": "https://cdn.example/x.jpg"}}],
            },
        },
        {"sender": {"id": "U"}, "recipient": {"id": "P"}, "timestamp": 1, "message": {"mid": "m_3", "text": ""}},
    ],
    ids=["echo", "delivery", "read", "postback", "reaction", "attachment-without-text", "empty-text"],
)
def test_events_that_are_not_a_persons_text_are_ignored(event):
    assert parse(webhook(entry("P", event))) == Parsed(ignored=1)


def test_entries_without_messaging_are_ignored():
    standby = {"id": "P", "time": 1, "standby": [{"sender": {"id": "U"}, "message": {"mid": "m", "text": "t"}}]}
    assert parse(webhook(standby, entry("P"))) == Parsed(ignored=1)


BASE_EVENT = text_event("P", "U", "hi", mid="m_ok", timestamp=1)


def change(event: dict, path: str, value) -> dict:
    """A copy of ``event`` with the field at dotted ``path`` set (or removed when value is ...)."""
    event = orjson.loads(orjson.dumps(event))
    *parents, last = path.split(".")
    node = event
    for key in parents:
        node = node[key]
    if value is ...:
        del node[last]
    else:
        node[last] = value
    return event


@pytest.mark.parametrize(
    "payload, status, reason",
    [
        ([1], 400, "body must be a JSON object"),
        ({"object": "instagram", "entry": []}, 400, "object must be page"),
        ({"entry": []}, 400, "object must be page"),
        ({"object": "page"}, 400, "entry missing or not a list"),
        ({"object": "page", "entry": {"id": "P"}}, 400, "entry missing or not a list"),
        (webhook(CANARY), 400, "entry[0] not an object"),
        (webhook({"messaging": [BASE_EVENT]}), 400, "entry[0].id missing"),
        (webhook(entry("P"), {"id": "P", "messaging": CANARY}), 400, "entry[1].messaging not a list"),
        (webhook(entry("P", BASE_EVENT, CANARY)), 400, "entry[0].messaging[1] not an object"),
        (
            webhook(entry("P", change(BASE_EVENT, "message", CANARY))),
            400,
            "entry[0].messaging[0].message not an object",
        ),
        (webhook(entry("P", change(BASE_EVENT, "message.mid", ...))), 400, "entry[0].messaging[0].message.mid missing"),
        (
            webhook(entry("P", change(BASE_EVENT, "message.text", [CANARY]))),
            400,
            "entry[0].messaging[0].message.text not a string",
        ),
        (webhook(entry("P", change(BASE_EVENT, "sender", ...))), 400, "entry[0].messaging[0].sender.id missing"),
        (
            webhook(entry("P", change(BASE_EVENT, "sender.id", {"x": CANARY}))),
            400,
            "entry[0].messaging[0].sender.id missing",
        ),
        (webhook(entry("P", change(BASE_EVENT, "timestamp", ...))), 400, "entry[0].messaging[0].timestamp missing"),
        (webhook(entry("P", change(BASE_EVENT, "timestamp", CANARY))), 400, "entry[0].messaging[0].timestamp"),
        (webhook(entry("P", change(BASE_EVENT, "timestamp", 10**20))), 400, "entry[0].messaging[0].timestamp"),
        (webhook(entry("P", change(BASE_EVENT, "timestamp", True))), 400, "entry[0].messaging[0].timestamp"),
    ],
    ids=[
        "not-object",
        "instagram",
        "no-object",
        "no-entry",
        "entry-object",
        "entry-string",
        "no-page-id",
        "messaging-string",
        "event-string",
        "message-string",
        "no-mid",
        "text-list",
        "no-sender",
        "sender-id-object",
        "no-timestamp",
        "timestamp-string",
        "timestamp-huge",
        "timestamp-bool",
    ],
)
def test_malformed_payloads_are_refused_naming_the_field(payload, status, reason):
    with pytest.raises(BadRequest) as exc:
        parse(payload)
    assert exc.value.http_status == status
    assert exc.value.reason.startswith(reason)
    assert CANARY not in exc.value.reason


# -- POST end to end ------------------------------------------------------------------------


@pytest.mark.integration
async def test_a_batch_writes_only_the_text_messages(ingest_client, kafka_bootstrap, secret, verify_token):
    page1, page2, user1, user2 = new_id(), new_id(), new_id(), new_id()
    mids = [new_mid(), new_mid()]
    payload = webhook(
        entry(
            page1,
            text_event(page1, user1, "first, from user one", mid=mids[0], timestamp=1767261600123),
            delivery_event(page1, user1),
        ),
        entry(
            page2,
            echo_event(page2, user2, "an echo of the page"),
            text_event(page2, user2, "second, from user two", mid=mids[1], timestamp=1767261601000),
        ),
    )
    async with ingest_client([MessengerChannel(secret, verify_token)]) as client:
        response = await post(client, secret, payload)
        assert (response.status_code, response.text) == (200, "EVENT_RECEIVED")
        assert response.headers["content-type"].startswith("text/plain")
        assert metric(client.registry, MESSAGES, channel="messenger") == 2
        assert metric(client.registry, IGNORED, channel="messenger") == 2
        first = await events_before_sentinel(client, kafka_bootstrap, secret, page1, user1)
        second = await events_before_sentinel(client, kafka_bootstrap, secret, page2, user2)
    expected = [
        (mids[0], f"{page1}:{user1}", user1, "2026-01-01T10:00:00.123Z", "first, from user one"),
        (mids[1], f"{page2}:{user2}", user2, "2026-01-01T10:00:01.000Z", "second, from user two"),
    ]
    got = [
        (e["event_id"], e["conversation_id"], e["sender_id"], e["sent_at"], e["text"], e["channel"], e["channel_kind"])
        for e in first + second
    ]
    assert got == [
        (event_id_for("messenger", mid), conv, sender, at, text, "messenger", "public")
        for mid, conv, sender, at, text in expected
    ]


@pytest.mark.integration
async def test_profile_and_attachment_data_never_reach_chat_raw(ingest_client, kafka_bootstrap, secret, verify_token):
    page, user = new_id(), new_id()
    event = text_event(page, user, "just the text")
    event["sender"]["name"] = CANARY  # not in Meta's payloads, but whatever comes is dropped
    event["message"]["attachments"] = [
        {"type": "fallback", "payload": {"url": f"https://{CANARY}.example", "title": CANARY}}
    ]
    event["message"]["reply_to"] = {"mid": CANARY}
    async with ingest_client([MessengerChannel(secret, verify_token)]) as client:
        assert (await post(client, secret, webhook(entry(page, event)))).status_code == 200
        events = await events_before_sentinel(client, kafka_bootstrap, secret, page, user)
    assert [e["text"] for e in events] == ["just the text"]
    assert CANARY not in orjson.dumps(events).decode()


@pytest.mark.integration
async def test_a_redelivered_mid_is_written_once(ingest_client, kafka_bootstrap, secret, verify_token):
    page, user, mid = new_id(), new_id(), new_mid()
    once = text_event(page, user, "delivered twice", mid=mid)
    async with ingest_client([MessengerChannel(secret, verify_token)]) as client:
        first = await post(client, secret, webhook(entry(page, once)))
        # Meta retries the whole batch, and a batch can even carry the same event twice.
        again = await post(client, secret, webhook(entry(page, once, once)))
        assert [first.status_code, again.status_code] == [200, 200]
        assert metric(client.registry, DUPLICATES, channel="messenger") == 2
        events = await events_before_sentinel(client, kafka_bootstrap, secret, page, user)
    assert [e["event_id"] for e in events] == [event_id_for("messenger", mid)]


@pytest.mark.integration
@pytest.mark.parametrize("how", ["tampered", "wrong-secret", "no-signature", "sha1-header-only"])
async def test_unverifiable_posts_are_refused_and_not_written(
    ingest_client, kafka_bootstrap, secret, verify_token, how
):
    page, user = new_id(), new_id()
    body = orjson.dumps(webhook(entry(page, text_event(page, user, "must not be written"))))
    headers = sign(secret, body)
    if how == "tampered":
        body = body.replace(b"must not", b"must NOT")
    elif how == "wrong-secret":
        headers = sign(b"not-" + secret, body)
    elif how == "no-signature":
        del headers["X-Hub-Signature-256"]
    elif how == "sha1-header-only":
        headers = {"X-Hub-Signature": "sha1=" + hmac.new(secret, body, hashlib.sha1).hexdigest()}
    async with ingest_client([MessengerChannel(secret, verify_token)]) as client:
        response = await client.post(PATH, content=body, headers=headers)
        assert response.status_code == 401
        assert response.json() == {"error": "X-Hub-Signature-256 missing or wrong"}
        assert metric(client.registry, REJECTIONS, channel="messenger", reason="bad_signature") == 1
        assert await events_before_sentinel(client, kafka_bootstrap, secret, page, user) == []


@pytest.mark.integration
async def test_a_non_page_object_is_a_400(ingest_client, secret, verify_token):
    async with ingest_client([MessengerChannel(secret, verify_token)]) as client:
        response = await post(client, secret, {"object": "instagram", "entry": []})
    assert response.status_code == 400
    assert response.json() == {"error": "object must be page"}


@pytest.mark.integration
@pytest.mark.parametrize(("signed_over", "status"), [("compressed", 200), ("plain", 401)])
async def test_a_gzip_request_is_verified_over_the_bytes_as_received(
    ingest_client, secret, verify_token, signed_over, status
):
    """Meta signs the payload as sent: with Content-Encoding gzip that is the compressed bytes."""
    import gzip

    page, user = new_id(), new_id()
    plain = orjson.dumps(webhook(entry(page, delivery_event(page, user))))  # acknowledged, nothing written
    compressed = gzip.compress(plain)
    headers = {**sign(secret, compressed if signed_over == "compressed" else plain), "Content-Encoding": "gzip"}
    async with ingest_client([MessengerChannel(secret, verify_token)]) as client:
        response = await client.post(PATH, content=compressed, headers=headers)
        ignored = metric(client.registry, "chatguard_ingest_ignored_events_total", channel="messenger")
    assert response.status_code == status, response.text
    assert ignored == (1 if status == 200 else 0)
