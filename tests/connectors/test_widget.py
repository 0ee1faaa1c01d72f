"""The web widget channel on the real broker: sessions, POST and WebSocket in, RawMessages on
chat.raw; redacted events from chat.nlp streamed back to the token's conversation only. The
WebSocket and SSE tests run the app under a real uvicorn server on a free port. Unit tests of
the guards (tokens, Origin allowlist, rate limits) and of the hub are at the end."""

from __future__ import annotations

import asyncio
import contextlib
import re
import secrets
import time
import uuid

import httpx
import orjson
import pytest
import websockets
from prometheus_client import CollectorRegistry
from websockets.asyncio.client import connect as ws_connect

from connectors.base import event_id_for
from connectors.errors import Unauthorized
from connectors.service import build_app
from connectors.settings import IngestSettings, WidgetSettings, parse_widget_origins
from connectors.widget import WidgetChannel
from connectors.widget.guard import ConversationTokens, OriginPolicy, RateLimiter, TooManyRequests, token_secret_from
from connectors.widget.hub import CLOSE, Hub
from runtime.kafka import KafkaSettings
from schemas.codec import encode
from schemas.pseudonyms import Pseudonymiser
from schemas.redacted import Finding, RedactedMessage
from schemas.topics import NLP
from tests.support.kafka import produce, raw_events_with
from tests.support.metrics import metric
from tests.support.ports import free_port
from tests.support.processes import serve_in_thread

pytestmark = pytest.mark.integration

SITE_KEY = "site-" + secrets.token_hex(12)
OTHER_KEY = "site-" + secrets.token_hex(12)
PSEUDONYM_KEY = secrets.token_hex(32).encode()  # generated: no secret lives in the repo
ALLOWED_ORIGIN = "https://shop.example"


def rid() -> str:
    return str(uuid.uuid4())


def message(**overrides) -> dict:
    """A server-side sender's (tokenless) message."""
    return {
        "message_id": rid(),
        "conversation_id": rid(),
        "sender_id": rid(),
        "text": "my email is anna@example.com",
        **overrides,
    }


def visitor_message(**overrides) -> dict:
    """What the page sends with its token: the conversation and sender are the session's."""
    return {"message_id": rid(), "text": "my email is anna@example.com", **overrides}


def key(k: str = SITE_KEY) -> dict[str, str]:
    return {"x-chatguard-site-key": k}


def auth(session: dict, k: str = SITE_KEY) -> dict[str, str]:
    return {**key(k), "authorization": f"Bearer {session['token']}"}


def widget_settings(**overrides) -> WidgetSettings:
    return WidgetSettings(pseudonym_key=PSEUDONYM_KEY, origins={SITE_KEY: frozenset({ALLOWED_ORIGIN})}, **overrides)


def channel(bootstrap: str = "127.0.0.1:1", keys=(SITE_KEY, OTHER_KEY), **overrides) -> WidgetChannel:
    stream_max_s = overrides.pop("stream_max_s", 25.0)
    return WidgetChannel(
        frozenset(keys), KafkaSettings(bootstrap=bootstrap), widget_settings(**overrides), stream_max_s=stream_max_s
    )


def pseudonym(conversation_id: str) -> str:
    return Pseudonymiser(PSEUDONYM_KEY).conversation("web", conversation_id)


def widget_event_id(body: dict) -> str:
    return event_id_for("web", body["message_id"])


async def open_session(client: httpx.AsyncClient, k: str = SITE_KEY, **headers: str) -> dict:
    response = await client.post("/widget/session", headers={**key(k), **headers})
    assert response.status_code == 201, response.text
    return response.json()


@contextlib.contextmanager
def live_widget(bootstrap: str, widget: WidgetChannel | None = None, **overrides):
    """The ingest app with only the widget channel, served on a real port."""
    settings = IngestSettings(kafka=KafkaSettings(bootstrap=bootstrap), **overrides)
    widget = widget or channel(bootstrap)
    registry = CollectorRegistry()
    app = build_app(settings, channels=[widget], registry=registry)
    with serve_in_thread(app) as base:
        yield base, widget, registry


@pytest.fixture
def widget(kafka_bootstrap):
    with live_widget(kafka_bootstrap) as served:
        yield served


def ws_url(base: str) -> str:
    return base.replace("http://", "ws://") + "/widget/ws"


async def hello(ws, session: dict, k: str = SITE_KEY) -> dict:
    await ws.send(orjson.dumps({"type": "hello", "site_key": k, "token": session["token"]}).decode())
    return orjson.loads(await asyncio.wait_for(ws.recv(), 10))


# -- POST /widget/session and /widget/messages -------------------------------------------------


async def test_a_session_post_lands_on_chat_raw_in_the_sessions_conversation(ingest_client, kafka_bootstrap):
    body = visitor_message()
    before = time.time()
    async with ingest_client([channel(kafka_bootstrap)]) as client:
        session = await open_session(client)
        assert re.fullmatch(r"wc_[A-Za-z0-9_-]{32}", session["conversation_id"])
        assert 800 < session["expires_at"] - time.time() <= 900
        response = await client.post("/widget/messages", content=orjson.dumps(body), headers=auth(session))
        assert response.status_code == 202, response.text
        assert metric(client.registry, "chatguard_ingest_messages_total", channel="web") == 1
    assert response.json() == {"event_id": widget_event_id(body)}
    [raw] = await raw_events_with(kafka_bootstrap, response.json()["event_id"])
    assert raw["channel"] == "web" and raw["channel_kind"] == "private"
    assert (
        raw["conversation_id"] == session["conversation_id"] and raw["sender_id"] == "v-" + session["conversation_id"]
    )
    assert raw["text"] == body["text"]
    from datetime import datetime

    sent_at = datetime.fromisoformat(raw["sent_at"].replace("Z", "+00:00")).timestamp()
    assert before - 1 <= sent_at <= time.time() + 1  # the server's clock, not the browser's


async def test_a_session_is_renewed_for_the_same_conversation(ingest_client, kafka_bootstrap):
    async with ingest_client([channel(kafka_bootstrap)]) as client:
        first = await open_session(client)
        renewed = await client.post("/widget/session", headers=auth(first))
        assert renewed.status_code == 200 and renewed.headers["cache-control"] == "no-store"
        assert renewed.json()["conversation_id"] == first["conversation_id"]
        # another site key cannot renew it
        assert (await client.post("/widget/session", headers=auth(first, OTHER_KEY))).status_code == 401


async def test_a_tokenless_post_lands_on_chat_raw(ingest_client, kafka_bootstrap):
    """Server-side senders (chatguard traffic, the canary) post with the site key alone."""
    body = message()
    async with ingest_client([channel(kafka_bootstrap)]) as client:
        response = await client.post("/widget/messages", content=orjson.dumps(body), headers=key())
        assert response.status_code == 202, response.text
    [raw] = await raw_events_with(kafka_bootstrap, response.json()["event_id"])
    assert raw["conversation_id"] == body["conversation_id"] and raw["sender_id"] == body["sender_id"]


@pytest.mark.parametrize(
    "headers, status, reason",
    [
        ({}, 401, "missing_site_key"),
        (key("site-not-a-real-key"), 403, "unknown_site_key"),
        (key(""), 401, "missing_site_key"),
    ],
)
async def test_post_without_a_known_site_key_is_refused(ingest_client, kafka_bootstrap, headers, status, reason):
    async with ingest_client([channel(kafka_bootstrap)]) as client:
        response = await client.post("/widget/messages", content=orjson.dumps(message()), headers=headers)
        assert response.status_code == status
        assert metric(client.registry, "chatguard_ingest_rejections_total", channel="web", reason=reason) == 1
        assert metric(client.registry, "chatguard_ingest_messages_total", channel="web") == 0
    assert "anna" not in response.text


async def test_a_token_posts_into_its_own_conversation_only(ingest_client, kafka_bootstrap):
    async with ingest_client([channel(kafka_bootstrap)]) as client:
        mine, theirs = await open_session(client), await open_session(client)

        async def post(body: dict, headers: dict) -> httpx.Response:
            return await client.post("/widget/messages", content=orjson.dumps(body), headers=headers)

        # my token, their conversation id: 403
        wrong = await post(visitor_message(conversation_id=theirs["conversation_id"]), auth(mine))
        assert wrong.status_code == 403 and "conversation" in wrong.json()["error"]
        # their conversation id without a token (as a server-side sender): 401
        tokenless = await post(message(conversation_id=theirs["conversation_id"]), key())
        assert tokenless.status_code == 401 and "token" in tokenless.json()["error"]
        # a visitor may not name the sender
        named = await post(visitor_message(sender_id="someone-else"), auth(mine))
        assert named.status_code == 400 and "unknown field sender_id" in named.json()["error"]
        # my token with the other site key: 401
        assert (await post(visitor_message(), auth(mine, OTHER_KEY))).status_code == 401
        assert metric(client.registry, "chatguard_ingest_messages_total", channel="web") == 0
        for response in (wrong, tokenless):
            assert theirs["conversation_id"] not in response.text and theirs["token"] not in response.text


@pytest.mark.parametrize(
    "token, reason",
    [
        ("", "Authorization must be"),
        ("v1.wc_x.123", "malformed"),
        ("v1.wc_" + "A" * 32 + ".9999999999." + "A" * 43, "not valid for this site key"),
    ],
)
async def test_a_bad_token_is_401_with_a_reason_and_not_echoed(ingest_client, kafka_bootstrap, token, reason):
    async with ingest_client([channel(kafka_bootstrap)]) as client:
        headers = {**key(), "authorization": f"Bearer {token}" if token else "Bearer"}
        response = await client.post("/widget/messages", content=orjson.dumps(visitor_message()), headers=headers)
    assert response.status_code == 401 and reason in response.json()["error"]
    assert not token or token not in response.text


async def test_an_expired_token_is_401(ingest_client, kafka_bootstrap):
    widget = channel(kafka_bootstrap)
    async with ingest_client([widget]) as client:
        token, _ = widget.tokens.issue(SITE_KEY, "wc_" + secrets.token_urlsafe(24), now=time.time() - 10_000)
        response = await client.post(
            "/widget/messages",
            content=orjson.dumps(visitor_message()),
            headers={**key(), "authorization": f"Bearer {token}"},
        )
        assert response.status_code == 401 and "expired" in response.json()["error"]
        renew = await client.post("/widget/session", headers={**key(), "authorization": f"Bearer {token}"})
        assert renew.status_code == 401
        assert metric(client.registry, "chatguard_ingest_rejections_total", channel="web", reason="expired_token") == 2


async def test_tokenless_posts_can_be_turned_off(ingest_client, kafka_bootstrap):
    async with ingest_client([channel(kafka_bootstrap, tokenless_posts=False)]) as client:
        response = await client.post("/widget/messages", content=orjson.dumps(message()), headers=key())
    assert response.status_code == 401 and "token" in response.json()["error"]


@pytest.mark.parametrize(
    "body, fragment",
    [
        (message(sent_at="2020-01-01T00:00:00Z"), "unknown field sent_at"),
        (message(profile={"name": "Anna"}), "unknown field profile"),
        (message(message_id="1"), "message_id must be 16 to 128"),
        (message(message_id="has spaces in it, Anna, and is long"), "message_id must be 16 to 128"),
        (message(conversation_id=""), "conversation_id"),
        (message(sender_id=7), "sender_id"),
        (message(text=""), "text"),
        (message(text=5), "text"),
        ([message()], "JSON object"),
    ],
)
async def test_malformed_post_is_400_without_echoing_it(ingest_client, kafka_bootstrap, body, fragment):
    async with ingest_client([channel(kafka_bootstrap)]) as client:
        response = await client.post("/widget/messages", content=orjson.dumps(body), headers=key())
    assert response.status_code == 400
    assert fragment in response.json()["error"]
    assert "Anna" not in response.text and "anna@" not in response.text


async def test_post_body_limit_is_the_ingest_limit(ingest_client, kafka_bootstrap):
    body = orjson.dumps(message(text="x" * 5000))
    async with ingest_client([channel(kafka_bootstrap)], body_limit=4096) as client:
        assert (await client.post("/widget/messages", content=body, headers=key())).status_code == 413


async def test_reposted_message_yields_one_raw_event(ingest_client, kafka_bootstrap):
    body = visitor_message()
    async with ingest_client([channel(kafka_bootstrap)]) as client:
        session = await open_session(client)
        first = await client.post("/widget/messages", content=orjson.dumps(body), headers=auth(session))
        again = await client.post("/widget/messages", content=orjson.dumps(body), headers=auth(session))
        assert first.status_code == again.status_code == 202
        assert first.json() == again.json()
        assert metric(client.registry, "chatguard_ingest_duplicates_total", channel="web") == 1
    assert len(await raw_events_with(kafka_bootstrap, first.json()["event_id"])) == 1


def test_site_keys_and_the_pseudonym_key_are_required():
    with pytest.raises(ValueError):
        WidgetChannel(frozenset(), KafkaSettings(), widget_settings())
    with pytest.raises(ValueError, match="CHATGUARD_PSEUDONYM_KEY"):
        WidgetChannel(frozenset({SITE_KEY}), KafkaSettings(), WidgetSettings())


# -- Origin allowlist, CORS, rate limits ----------------------------------------------------------


async def test_the_origin_allowlist_is_per_site_key(ingest_client, kafka_bootstrap):
    async with ingest_client([channel(kafka_bootstrap)]) as client:
        allowed = await client.post("/widget/session", headers={**key(), "origin": ALLOWED_ORIGIN})
        assert allowed.status_code == 201 and allowed.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
        # the same origin with a key that does not list it, and a stranger's origin
        assert (
            await client.post("/widget/session", headers={**key(OTHER_KEY), "origin": ALLOWED_ORIGIN})
        ).status_code == 403
        evil = await client.post("/widget/session", headers={**key(), "origin": "https://evil.example"})
        assert evil.status_code == 403 and "origin" in evil.json()["error"]
        assert "access-control-allow-origin" not in evil.headers
        # the service's own page (the demo) and non-browser clients (no Origin) are let through
        assert (
            await client.post("/widget/session", headers={**key(OTHER_KEY), "origin": "http://ingest"})
        ).status_code == 201
        posted = await client.post(
            "/widget/messages",
            content=orjson.dumps(message()),
            headers={**key(OTHER_KEY), "origin": "https://evil.example"},
        )
        assert posted.status_code == 403
        assert (
            metric(client.registry, "chatguard_ingest_rejections_total", channel="web", reason="origin_not_allowed")
            == 3
        )
        preflight = await client.options(
            "/widget/events", headers={"origin": ALLOWED_ORIGIN, "access-control-request-method": "POST"}
        )
        assert preflight.status_code == 204 and preflight.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
        assert "authorization" in preflight.headers["access-control-allow-headers"]
        assert (await client.options("/widget/messages", headers={"origin": "https://evil.example"})).status_code == 403


async def test_rate_limits_per_client_and_per_site_key_answer_429(ingest_client, kafka_bootstrap):
    async with ingest_client([channel(kafka_bootstrap, client_rate_per_s=1, client_burst=3)]) as client:
        statuses = [(await client.post("/widget/session", headers=key())).status_code for _ in range(4)]
        assert statuses == [201, 201, 201, 429]
        limited = await client.post("/widget/session", headers=key())
        assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
        assert "too many requests from this client" in limited.json()["error"]
        assert (
            metric(client.registry, "chatguard_ingest_rejections_total", channel="web", reason="rate_limited_client")
            == 2
        )
    # Requests refused for their client's pace do not drain the site key's bucket.
    async with ingest_client(
        [channel(kafka_bootstrap, client_rate_per_s=0.01, client_burst=1, key_rate_per_s=0.01, key_burst=3)]
    ) as client:
        assert (await client.post("/widget/session", headers=key())).status_code == 201
        for _ in range(10):
            refused = await client.post("/widget/session", headers=key())
            assert "from this client" in refused.json()["error"]
        assert (
            metric(client.registry, "chatguard_ingest_rejections_total", channel="web", reason="rate_limited_site_key")
            == 0
        )
    async with ingest_client([channel(kafka_bootstrap, key_rate_per_s=1, key_burst=2)]) as client:
        session = await open_session(client)
        ok = await client.post("/widget/messages", content=orjson.dumps(visitor_message()), headers=auth(session))
        assert ok.status_code == 202
        limited = await client.post("/widget/messages", content=orjson.dumps(visitor_message()), headers=auth(session))
        assert limited.status_code == 429 and "site key" in limited.json()["error"] and limited.headers["retry-after"]
        # the other key has its own bucket
        assert (await client.post("/widget/session", headers=key(OTHER_KEY))).status_code == 201
        assert metric(client.registry, "chatguard_ingest_requests_total", channel="web", status="429") == 1


# -- WebSocket /widget/ws ----------------------------------------------------------------------


async def test_websocket_acks_each_message_after_kafka(widget, kafka_bootstrap):
    base, _, registry = widget
    async with httpx.AsyncClient(base_url=base) as client:
        session = await open_session(client)
    bodies = [visitor_message(), visitor_message()]
    async with ws_connect(ws_url(base)) as ws:
        ready = await hello(ws, session)
        assert ready == {"type": "ready", "expires_at": session["expires_at"]}
        replies = []
        for body in bodies:
            await ws.send(orjson.dumps(body).decode())
            replies.append(orjson.loads(await asyncio.wait_for(ws.recv(), 10)))
    assert replies == [{"type": "ack", "message_id": b["message_id"], "event_id": widget_event_id(b)} for b in bodies]
    assert metric(registry, "chatguard_ingest_messages_total", channel="web") == 2
    [raw] = await raw_events_with(kafka_bootstrap, replies[1]["event_id"])
    assert raw["conversation_id"] == session["conversation_id"] and raw["text"] == bodies[1]["text"]


async def test_websocket_without_a_valid_hello_is_closed(widget):
    base, widget_channel, registry = widget
    async with httpx.AsyncClient(base_url=base) as client:
        session = await open_session(client)
    forged = dict(session, token=session["token"][:-4] + "AAAA")
    cases = [
        (orjson.dumps({"type": "hello", "site_key": SITE_KEY}).decode(), "token missing"),
        (
            orjson.dumps({"type": "hello", "site_key": "site-not-a-real-key", "token": session["token"]}).decode(),
            "unknown site key",
        ),
        (orjson.dumps({"type": "hello", "site_key": SITE_KEY, "token": forged["token"]}).decode(), "not valid"),
        (orjson.dumps({"type": "hello", "site_key": OTHER_KEY, "token": session["token"]}).decode(), "not valid"),
        (orjson.dumps(visitor_message()).decode(), "first frame"),
    ]
    for frame, says in cases:
        async with ws_connect(ws_url(base)) as ws:
            await ws.send(frame)
            reply = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
            assert reply["type"] == "error" and says in reply["error"], reply
            assert session["token"] not in reply["error"]
            with pytest.raises(websockets.ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 10)
            assert closed.value.rcvd.code == 1008


async def test_websocket_from_a_foreign_origin_is_refused_at_the_handshake(widget):
    base, _, registry = widget
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with ws_connect(ws_url(base), origin="https://evil.example"):
            pass
    assert refused.value.response.status_code == 403
    assert metric(registry, "chatguard_ingest_rejections_total", channel="web", reason="origin_not_allowed") == 1
    async with ws_connect(ws_url(base), origin=ALLOWED_ORIGIN) as ws:  # listed for a key: the hello decides
        await ws.send("{}")
        assert orjson.loads(await asyncio.wait_for(ws.recv(), 10))["type"] == "error"


async def test_websocket_messages_go_to_the_tokens_conversation_only(widget):
    base, _, registry = widget
    async with httpx.AsyncClient(base_url=base) as client:
        mine, theirs = await open_session(client), await open_session(client)
    async with ws_connect(ws_url(base)) as ws:
        await hello(ws, mine)
        await ws.send(orjson.dumps(visitor_message(conversation_id=theirs["conversation_id"])).decode())
        reply = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
    assert reply["type"] == "error" and "conversation" in reply["error"]
    assert metric(registry, "chatguard_ingest_messages_total", channel="web") == 0


async def test_bad_frames_get_error_frames_and_the_connection_stays_usable(widget, kafka_bootstrap):
    base, _, registry = widget
    good = visitor_message()
    async with httpx.AsyncClient(base_url=base) as client:
        session = await open_session(client)
    async with ws_connect(ws_url(base), max_size=2**24) as ws:
        await hello(ws, session)

        async def reply_to(frame: str | bytes) -> dict:
            await ws.send(frame)
            return orjson.loads(await asyncio.wait_for(ws.recv(), 10))

        bad_json = await reply_to('{"message_id": "call me on +48 601 234 567"')
        assert bad_json["type"] == "error" and "JSON" in bad_json["error"] and bad_json["message_id"] is None
        unknown = visitor_message(profile="Anna")
        refused = await reply_to(orjson.dumps(unknown).decode())
        assert refused == {"type": "error", "message_id": unknown["message_id"], "error": "unknown field profile"}
        not_text = await reply_to(orjson.dumps(good))  # a binary frame
        assert not_text["type"] == "error" and "text" in not_text["error"]
        too_big = await reply_to(orjson.dumps(visitor_message(text="x" * (256 * 1024))).decode())
        assert too_big["type"] == "error" and "larger than" in too_big["error"]
        ok = await reply_to(orjson.dumps(good).decode())
        assert ok == {"type": "ack", "message_id": good["message_id"], "event_id": widget_event_id(good)}
    for reply in (bad_json, refused, not_text, too_big):
        assert "601" not in orjson.dumps(reply).decode() and "Anna" not in orjson.dumps(reply).decode()
    assert metric(registry, "chatguard_ingest_requests_total", channel="web", status="400") == 3
    assert metric(registry, "chatguard_ingest_requests_total", channel="web", status="413") == 1
    assert metric(registry, "chatguard_ingest_requests_total", channel="web", status="202") == 1


async def test_websocket_frames_are_rate_limited_per_client(kafka_bootstrap):
    with live_widget(kafka_bootstrap, channel(kafka_bootstrap, client_rate_per_s=1, client_burst=4)) as (
        base,
        _,
        registry,
    ):
        async with httpx.AsyncClient(base_url=base) as client:
            session = await open_session(client)  # 1 of 4
        async with ws_connect(ws_url(base)) as ws:  # handshake: 2 of 4
            await hello(ws, session)
            replies = []
            for _ in range(3):
                await ws.send(orjson.dumps(visitor_message()).decode())
                replies.append(orjson.loads(await asyncio.wait_for(ws.recv(), 10)))
    assert [r["type"] for r in replies] == ["ack", "ack", "error"]
    assert "retry in" in replies[2]["error"]  # the page retries what says "retry"
    assert metric(registry, "chatguard_ingest_requests_total", channel="web", status="429") == 1


async def test_resent_message_id_yields_one_raw_event(widget, kafka_bootstrap):
    base, _, registry = widget
    body = visitor_message()
    async with httpx.AsyncClient(base_url=base) as client:
        session = await open_session(client)
    async with ws_connect(ws_url(base)) as ws:
        await hello(ws, session)
        acks = []
        for _ in range(3):  # e.g. the browser resending after a reconnect
            await ws.send(orjson.dumps(body).decode())
            acks.append(orjson.loads(await asyncio.wait_for(ws.recv(), 10)))
    assert all(a == acks[0] and a["type"] == "ack" for a in acks)
    assert metric(registry, "chatguard_ingest_duplicates_total", channel="web") == 2
    assert len(await raw_events_with(kafka_bootstrap, acks[0]["event_id"])) == 1


async def test_kafka_down_gives_error_frames_and_start_does_not_hang():
    dead = f"127.0.0.1:{free_port()}"
    started = time.monotonic()
    with live_widget(dead, ack_timeout_ms=500) as (base, widget_channel, registry):
        # The service is up although neither the producer nor the chat.nlp consumer connected.
        assert time.monotonic() - started < 20
        assert not widget_channel.ready.is_set()
        body = visitor_message()
        async with httpx.AsyncClient(base_url=base) as client:
            session = await open_session(client)  # sessions need no Kafka
            async with ws_connect(ws_url(base)) as ws:
                await hello(ws, session)
                await ws.send(orjson.dumps(body).decode())
                reply = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
            assert reply["type"] == "error" and reply["message_id"] == body["message_id"] and "retry" in reply["error"]
            assert metric(registry, "chatguard_ingest_rejections_total", channel="web", reason="kafka_unavailable") == 1
            response = await client.post("/widget/messages", content=orjson.dumps(body), headers=auth(session))
            assert response.status_code == 503
            # The event stream still opens; it fills once Kafka is back.
            async with client.stream("POST", "/widget/events", headers=auth(session)) as stream:
                assert stream.status_code == 200
                assert await first_event(stream, "ready", timeout_s=5) == {}


# -- SSE /widget/events ------------------------------------------------------------------------


def redacted(conversation_id: str, channel: str = "web", text: str = "Hi, my name is <PERSON>") -> RedactedMessage:
    start = text.index("<PERSON>")
    return RedactedMessage(
        event_id=secrets.token_hex(16),
        channel=channel,
        channel_kind="private",
        conversation_id=conversation_id,
        sender="p-" + secrets.token_hex(8),
        sent_at="2026-01-01T10:00:00.000Z",
        text=text,
        findings=(Finding("PERSON", start, start + len("<PERSON>"), 0.85),),
        policy="nlp",
        policy_version="1",
        processed_at="2026-01-01T10:00:00.100Z",
    )


async def sse_events(stream: httpx.Response):
    """(event, id, data) for each server-sent event of a streaming response."""
    name, event_id, data = "message", None, []
    async for line in stream.aiter_lines():
        if not line:
            if data:
                yield name, event_id, orjson.loads("\n".join(data))
            name, event_id, data = "message", None, []
        elif line.startswith("event:"):
            name = line[6:].strip()
        elif line.startswith("id:"):
            event_id = line[3:].strip()
        elif line.startswith("data:"):
            data.append(line[5:].strip())


async def first_event(stream: httpx.Response, wanted: str, timeout_s: float = 30) -> dict:
    async with asyncio.timeout(timeout_s):
        async for name, _, data in sse_events(stream):
            if name == wanted:
                return data
    raise AssertionError(f"stream ended before a {wanted} event")


async def test_redacted_events_stream_to_their_conversation_only(widget, kafka_bootstrap):
    """The worker names the conversation by its pseudonym on chat.nlp: the widget finds it so."""
    base, widget_channel, _ = widget
    assert widget_channel.ready.is_set(), "the chat.nlp consumer should be positioned by the time the service is up"
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        session, other = await open_session(client), await open_session(client)
        token = pseudonym(session["conversation_id"])
        ours = redacted(token)
        other_conversation = redacted(pseudonym(other["conversation_id"]))
        other_channel = redacted(token, channel="slack")  # same token, another channel: not ours
        raw_id = redacted(session["conversation_id"])  # the raw id is never what chat.nlp carries
        async with client.stream("POST", "/widget/events", headers=auth(session)) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            events = sse_events(stream)
            async with asyncio.timeout(30):
                assert (await anext(events))[0] == "ready"
                await produce(
                    kafka_bootstrap,
                    NLP.name,
                    [
                        (m.conversation_id.encode(), encode(m))
                        for m in (other_conversation, other_channel, raw_id, ours)
                    ],
                )
                name, event_id, data = await anext(events)
    assert name == "message" and event_id == ours.event_id
    assert data == {
        "event_id": ours.event_id,
        "text": "Hi, my name is <PERSON>",
        "findings": [{"entity_type": "PERSON", "start": 15, "end": 23, "score": 0.85}],
    }


async def test_a_reconnecting_stream_gets_what_it_missed(widget, kafka_bootstrap):
    base, widget_channel, _ = widget
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        session = await open_session(client)
        conversation = pseudonym(session["conversation_id"])
        first, second = redacted(conversation), redacted(conversation, text="And <PERSON> again")
        await produce(
            kafka_bootstrap, NLP.name, [(conversation.encode(), encode(first)), (conversation.encode(), encode(second))]
        )
        deadline = time.monotonic() + 30
        while len(widget_channel.hub.replay(conversation, "none")) < 2 and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        headers = {**auth(session), "last-event-id": first.event_id}
        async with client.stream("POST", "/widget/events", headers=headers) as stream:
            events = sse_events(stream)
            async with asyncio.timeout(30):
                replayed = await anext(events)
                assert (await anext(events))[0] == "ready"
    assert replayed[1] == second.event_id and replayed[2]["text"] == "And <PERSON> again"


async def test_event_stream_needs_a_key_and_a_token_never_a_query_string(widget):
    base, _, _ = widget
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        session = await open_session(client)
        cases = [
            ({"authorization": f"Bearer {session['token']}"}, {}, 401),
            ({**key("site-not-a-real-key"), "authorization": f"Bearer {session['token']}"}, {}, 403),
            (key(), {}, 401),
            (key(), {"token": session["token"], "conversation_id": session["conversation_id"]}, 401),  # query ignored
            (auth(session, OTHER_KEY), {}, 401),
        ]
        for headers, params, status in cases:
            response = await client.post("/widget/events", headers=headers, params=params)
            assert response.status_code == status, (headers.keys(), params.keys())
            assert response.json()["error"] and session["token"] not in response.text
        assert (
            await client.get("/widget/events", params={"site_key": SITE_KEY, "conversation_id": rid()})
        ).status_code == 405


async def test_open_streams_are_capped_per_client(kafka_bootstrap):
    with live_widget(kafka_bootstrap, channel(kafka_bootstrap, streams_per_client=2)) as (base, _, registry):
        async with httpx.AsyncClient(base_url=base, timeout=10) as client:
            session = await open_session(client)
            async with contextlib.AsyncExitStack() as stack:
                open_streams = []  # keep each reader alive: a dropped one closes its stream
                for _ in range(2):
                    stream = await stack.enter_async_context(
                        client.stream("POST", "/widget/events", headers=auth(session))
                    )
                    open_streams.append(sse_events(stream))
                    assert (await asyncio.wait_for(anext(open_streams[-1]), 5))[0] == "ready"
                third = await client.post("/widget/events", headers=auth(session))
                assert third.status_code == 429 and third.headers["retry-after"] and "streams" in third.json()["error"]
            await asyncio.sleep(0.5)  # the two closed: room again
            async with client.stream("POST", "/widget/events", headers=auth(session)) as stream:
                assert stream.status_code == 200
    assert metric(registry, "chatguard_ingest_rejections_total", channel="web", reason="too_many_client_streams") == 1


async def test_ready_event_carries_a_time_cursor(widget):
    base, _, _ = widget
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        session = await open_session(client)
        async with client.stream("POST", "/widget/events", headers=auth(session)) as stream:
            async with asyncio.timeout(10):
                name, cursor, _ = await anext(sse_events(stream))
    assert name == "ready" and re.fullmatch(r"t\d{13}", cursor)


async def test_a_stream_ends_when_its_token_expires(kafka_bootstrap):
    widget_channel = channel(kafka_bootstrap)
    with live_widget(kafka_bootstrap, widget_channel) as (base, _, _):
        token, claims = widget_channel.tokens.issue(
            SITE_KEY, "wc_" + secrets.token_urlsafe(24), now=time.time() - widget_channel.tokens.ttl_s + 2
        )
        async with httpx.AsyncClient(base_url=base, timeout=30) as client:
            started = time.monotonic()
            async with client.stream(
                "POST", "/widget/events", headers={**key(), "authorization": f"Bearer {token}"}
            ) as stream:
                async for _ in sse_events(stream):
                    pass
            assert time.monotonic() - started < 10  # not the 25 s a stream may last


# -- the page ----------------------------------------------------------------------------------


async def test_demo_page_and_its_script_are_served_without_a_key(ingest_client, kafka_bootstrap):
    async with ingest_client([channel(kafka_bootstrap)]) as client:
        page = await client.get("/widget/")
        script = await client.get("/widget/widget.js")
        css = await client.get("/widget/widget.css")
        redirect = await client.get("/widget", follow_redirects=False)
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert page.headers["referrer-policy"] == "no-referrer"
    assert 'data-testid="send"' in page.text and 'src="widget.js"' in page.text
    assert "http://" not in page.text and "https://" not in page.text  # nothing from elsewhere
    assert SITE_KEY not in page.text  # the server never hands out a key
    assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert "WebSocket" in script.text and "Authorization" in script.text and "EventSource" not in script.text
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert redirect.status_code in (307, 308) and redirect.headers["location"].endswith("/widget/")


# -- units: tokens, origins, rate limits, settings, hub ----------------------------------------


def test_tokens_sign_verify_expire_and_resist_tampering():
    tokens = ConversationTokens(secrets.token_bytes(32), ttl_s=60)
    conversation = "wc_" + secrets.token_urlsafe(24)
    token, claims = tokens.issue(SITE_KEY, conversation, now=1_000_000)
    assert tokens.verify(SITE_KEY, token, now=1_000_030) == claims and claims.conversation_id == conversation
    with pytest.raises(Unauthorized, match="expired"):
        tokens.verify(SITE_KEY, token, now=1_000_060)
    with pytest.raises(Unauthorized, match="not valid for this site key"):
        tokens.verify(OTHER_KEY, token, now=1_000_030)
    version, conv, expiry, mac = token.split(".")
    tampered = [
        f"{version}.{'wc_' + secrets.token_urlsafe(24)}.{expiry}.{mac}",  # another conversation
        f"{version}.{conv}.{int(expiry) + 3600}.{mac}",  # a longer life
        f"{version}.{conv}.{expiry}.{mac[:-2]}{'AA' if mac[-2:] != 'AA' else 'BB'}",
    ]
    for bad in tampered:
        with pytest.raises(Unauthorized, match="not valid"):
            tokens.verify(SITE_KEY, bad, now=1_000_030)
    for malformed in (
        "",
        "v2." + token[3:],
        token + ".x",
        f"v1.other-{conv}.{expiry}.{mac}",
        f"v1.{conv}.soon.{mac}",
        f"v1.{conv}.0{expiry}.{mac}",  # the same claims spelled another way
    ):
        with pytest.raises(Unauthorized) as refused:
            tokens.verify(SITE_KEY, malformed, now=1_000_030)
        assert token not in refused.value.reason
    other_secret = ConversationTokens(secrets.token_bytes(32), ttl_s=60)
    with pytest.raises(Unauthorized):
        other_secret.verify(SITE_KEY, token, now=1_000_030)
    assert "secret=***" in repr(tokens)


def test_the_token_secret_is_derived_from_the_pseudonym_key_unless_set():
    derived = token_secret_from(PSEUDONYM_KEY, None)
    assert derived != PSEUDONYM_KEY and len(derived) == 32 and derived == token_secret_from(PSEUDONYM_KEY, None)
    assert token_secret_from(PSEUDONYM_KEY, b"s" * 32) == b"s" * 32


def test_origin_policy():
    policy = OriginPolicy(
        {SITE_KEY: frozenset({"https://shop.example", "http://localhost:3000"}), OTHER_KEY: frozenset({"*"})}
    )
    assert policy.allows(SITE_KEY, "https://shop.example", "chat.example")
    assert policy.allows(SITE_KEY, "https://SHOP.example", "chat.example")
    assert not policy.allows(SITE_KEY, "https://shop.example.evil", "chat.example")
    assert not policy.allows(SITE_KEY, "http://shop.example", "chat.example")  # scheme matters
    assert policy.allows(SITE_KEY, "https://chat.example", "chat.example")  # the service's own page
    assert policy.allows(SITE_KEY, None, "chat.example")  # not a page
    assert policy.allows(OTHER_KEY, "https://anything.example", "chat.example")
    assert policy.allows_any_key("https://anything.example", "chat.example")
    strict = OriginPolicy({SITE_KEY: frozenset({"https://shop.example"})})
    assert not strict.allows(OTHER_KEY, "https://shop.example", "chat.example")
    assert strict.allows_any_key("https://shop.example", "chat.example")
    assert not strict.allows_any_key("https://evil.example", "chat.example")
    assert strict.cors_origin("https://shop.example", "chat.example") == "https://shop.example"
    assert strict.cors_origin("https://evil.example", "chat.example") is None


def test_rate_limiter_buckets_refill_and_are_bounded():
    limiter = RateLimiter(rate_per_s=2, burst=3, max_buckets=2)
    assert [limiter.take("a", now=0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert limiter.take("a", now=0.0) == pytest.approx(0.5)
    assert limiter.take("b", now=0.0) == 0.0  # its own bucket
    assert limiter.take("a", now=0.5) == 0.0  # refilled by one
    assert limiter.take("a", now=0.5) > 0
    limiter.take("c", now=0.5)
    limiter.take("d", now=0.5)
    assert limiter.take("a", now=0.5) == 0.0  # two buckets at most: "a", least recently used, went (forgotten is full)
    assert TooManyRequests("slow down", 0.2).retry_after_s == 1


def test_widget_settings_from_the_environment():
    base_env = {"CHATGUARD_WIDGET_SITE_KEYS": f"{SITE_KEY},{OTHER_KEY}"}
    with pytest.raises(ValueError, match="CHATGUARD_PSEUDONYM_KEY: required when the widget is enabled"):
        IngestSettings.from_env(base_env)
    with pytest.raises(ValueError, match="CHATGUARD_PSEUDONYM_KEY"):
        IngestSettings.from_env({**base_env, "CHATGUARD_PSEUDONYM_KEY": "short"})
    assert IngestSettings.from_env({}).widget.pseudonym_key is None  # widget off: not needed
    env = {
        **base_env,
        "CHATGUARD_PSEUDONYM_KEY": PSEUDONYM_KEY.decode(),
        "CHATGUARD_WIDGET_ORIGINS": f"{SITE_KEY}=https://a.example,http://localhost:8000 ; {OTHER_KEY}=*",
        "CHATGUARD_WIDGET_CLIENT_RATE": "7",
        "CHATGUARD_WIDGET_TOKENLESS_POSTS": "0",
    }
    widget = IngestSettings.from_env(env).widget
    assert widget.origins == {
        SITE_KEY: frozenset({"https://a.example", "http://localhost:8000"}),
        OTHER_KEY: frozenset({"*"}),
    }
    assert widget.client_rate_per_s == 7 and widget.tokenless_posts is False and widget.token_ttl_s == 900
    assert SITE_KEY not in repr(IngestSettings.from_env(env)) and PSEUDONYM_KEY.decode() not in repr(widget)
    for bad, says in [
        ("site-unknown=https://a.example", "entry 1 names a site key that is not in"),
        (f"{SITE_KEY}=https://a.example/path", "is not an origin"),
        (f"{SITE_KEY}", "must be SITE_KEY=ORIGIN"),
    ]:
        with pytest.raises(ValueError, match=says) as refused:
            parse_widget_origins(bad, frozenset({SITE_KEY}))
        assert "site-unknown" not in str(refused.value)


def test_a_lagging_subscriber_is_dropped_and_told_so():
    async def scenario() -> None:
        hub = Hub(queue_size=2, max_subscribers=2)
        slow, fast = hub.subscribe("c" * 16), hub.subscribe("c" * 16)
        assert not hub.has_room("d" * 16)
        for i in range(3):
            hub.publish("c" * 16, f"e{i}", f"chunk {i}".encode())
            if not fast.queue.empty():
                fast.queue.get_nowait()
        assert hub.has_room("d" * 16)  # the slow one is gone
        assert slow.queue.qsize() == 1 and slow.queue.get_nowait() is CLOSE
        assert [c for c in hub.replay("c" * 16, "e0")] == [b"chunk 1", b"chunk 2"]
        hub.close_all()
        assert fast.queue.get_nowait() is CLOSE
        hub.subscribe("d" * 16)
        assert hub.has_room("e" * 16)  # close_all left no subscriber: room for a second one

    asyncio.run(scenario())


def test_streams_are_counted_per_client():
    async def scenario() -> None:
        hub = Hub(max_per_client=2)
        a = [hub.subscribe("c" * 16, "10.0.0.1"), hub.subscribe("d" * 16, "10.0.0.1")]
        assert not hub.client_has_room("10.0.0.1") and hub.client_has_room("10.0.0.2")
        hub.unsubscribe(a[0])
        assert hub.client_has_room("10.0.0.1")
        hub.subscribe("e" * 16, "10.0.0.1")
        assert not hub.client_has_room("10.0.0.1")  # one left, and the new one
        hub.close_all()
        hub.subscribe("c" * 16, "10.0.0.1")
        assert hub.client_has_room("10.0.0.1")  # close_all released every stream of the client

    asyncio.run(scenario())


def test_replay_buffer_is_bounded():
    hub = Hub(recent_events=3)
    for i in range(10):
        hub.publish("c" * 16, f"e{i}", b"x")
    assert hub.replay("c" * 16, "e0") == [b"x"] * 3  # e0 was evicted: everything left is newer


def test_a_time_cursor_replays_what_arrived_after_it():
    """A stream that ends before any event arrived reconnects with its ready event's time cursor."""
    hub = Hub()
    before = int(time.time() * 1000)
    hub.publish("c" * 16, "e1", b"one")
    hub.publish("d" * 16, "e2", b"another conversation")
    assert hub.replay("c" * 16, f"t{before}") == [b"one"]
    assert hub.replay("c" * 16, f"t{before + 60_000}") == []


async def test_open_websockets_are_capped_per_client(kafka_bootstrap):
    with live_widget(kafka_bootstrap, channel(kafka_bootstrap, streams_per_client=2)) as (base, _, registry):
        async with ws_connect(ws_url(base)), ws_connect(ws_url(base)):
            with pytest.raises(websockets.InvalidStatus) as refused:
                async with ws_connect(ws_url(base)):
                    pass
            assert refused.value.response.status_code == 429
        async with ws_connect(ws_url(base)):  # closed ones make room again
            pass
    assert metric(registry, "chatguard_ingest_requests_total", channel="web", status="429") == 1
