"""The web widget channel on the real broker: POST and WebSocket in, RawMessages on chat.raw;
redacted events from chat.nlp streamed back over SSE. The WebSocket and SSE tests run the app
under a real uvicorn server on a free port."""

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
from connectors.service import build_app
from connectors.settings import IngestSettings
from connectors.widget import Hub, WidgetChannel
from schemas.codec import encode
from schemas.kafka import KafkaSettings
from schemas.redacted import Finding, RedactedMessage
from schemas.topics import NLP, RAW
from tests.conftest import free_port
from tests.connectors.conftest import metric
from tests.connectors.services import serve_in_thread
from tests.integration.kafka_helpers import consume_until, produce

pytestmark = pytest.mark.integration

SITE_KEY = "site-" + secrets.token_hex(12)
OTHER_KEY = "site-" + secrets.token_hex(12)


def rid() -> str:
    return str(uuid.uuid4())


def message(**overrides) -> dict:
    return {"message_id": rid(), "conversation_id": rid(), "sender_id": rid(), "text": "my email is anna@example.com", **overrides}


def key(k: str = SITE_KEY) -> dict[str, str]:
    return {"x-chatguard-site-key": k}


def widget_event_id(body: dict) -> str:
    return event_id_for("web", body["message_id"])


async def raw_events_with(bootstrap: str, event_id: str, settle_s: float = 2.0) -> list[dict]:
    """Every chat.raw event with this id: read until one shows up, then a little longer."""
    found_at: list[float] = []

    def done(records: list) -> bool:
        if any(event_id.encode() in r.value for r in records):
            found_at.append(found_at[0] if found_at else time.monotonic())
            return time.monotonic() - found_at[0] > settle_s
        return False

    records = await consume_until(bootstrap, [RAW.name], done, timeout_s=30)
    return [orjson.loads(r.value) for r in records if event_id.encode() in r.value]


@contextlib.contextmanager
def live_widget(bootstrap: str, **overrides):
    """The ingest app with only the widget channel, served on a real port."""
    settings = IngestSettings(kafka=KafkaSettings(bootstrap=bootstrap), **overrides)
    channel = WidgetChannel(frozenset({SITE_KEY, OTHER_KEY}), settings.kafka)
    registry = CollectorRegistry()
    app = build_app(settings, channels=[channel], registry=registry)
    with serve_in_thread(app) as base:
        yield base, channel, registry


@pytest.fixture
def widget(kafka_bootstrap):
    with live_widget(kafka_bootstrap) as served:
        yield served


def ws_url(base: str, site_key: str | None = SITE_KEY) -> str:
    url = base.replace("http://", "ws://") + "/widget/ws"
    return url + (f"?site_key={site_key}" if site_key is not None else "")


# -- POST /widget/messages ---------------------------------------------------------------------


async def test_post_with_a_good_key_lands_on_chat_raw(ingest_client, kafka_bootstrap):
    body = message()
    before = time.time()
    async with ingest_client([WidgetChannel(frozenset({SITE_KEY}), KafkaSettings(bootstrap=kafka_bootstrap))]) as client:
        response = await client.post("/widget/messages", content=orjson.dumps(body), headers=key())
        assert response.status_code == 202, response.text
        assert metric(client.registry, "chatguard_ingest_messages_total", channel="web") == 1
    assert response.json() == {"event_id": widget_event_id(body)}
    [raw] = await raw_events_with(kafka_bootstrap, response.json()["event_id"])
    assert raw["channel"] == "web" and raw["channel_kind"] == "private"
    assert raw["conversation_id"] == body["conversation_id"] and raw["sender_id"] == body["sender_id"]
    assert raw["text"] == body["text"]
    # sent_at is the server's clock, not the browser's.
    from datetime import datetime

    sent_at = datetime.fromisoformat(raw["sent_at"].replace("Z", "+00:00")).timestamp()
    assert before - 1 <= sent_at <= time.time() + 1


@pytest.mark.parametrize(
    "headers, status, reason",
    [({}, 401, "missing_site_key"), (key("site-not-a-real-key"), 403, "unknown_site_key"), (key(""), 401, "missing_site_key")],
)
async def test_post_without_a_known_site_key_is_refused(ingest_client, kafka_bootstrap, headers, status, reason):
    async with ingest_client([WidgetChannel(frozenset({SITE_KEY}), KafkaSettings(bootstrap=kafka_bootstrap))]) as client:
        response = await client.post("/widget/messages", content=orjson.dumps(message()), headers=headers)
        assert response.status_code == status
        assert metric(client.registry, "chatguard_ingest_rejections_total", channel="web", reason=reason) == 1
        assert metric(client.registry, "chatguard_ingest_messages_total", channel="web") == 0
    assert "anna" not in response.text


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
    async with ingest_client([WidgetChannel(frozenset({SITE_KEY}), KafkaSettings(bootstrap=kafka_bootstrap))]) as client:
        response = await client.post("/widget/messages", content=orjson.dumps(body), headers=key())
    assert response.status_code == 400
    assert fragment in response.json()["error"]
    assert "Anna" not in response.text and "anna@" not in response.text


async def test_any_conversation_id_is_accepted_but_only_random_ones_stream(ingest_client, kafka_bootstrap):
    """Other senders (``chatguard traffic``) use short conversation ids: they are ingested, but the
    event stream serves only random-looking ones, so no one can listen in on a guessable id."""
    body = message(conversation_id="conv-12", sender_id="user-7")
    async with ingest_client([WidgetChannel(frozenset({SITE_KEY}), KafkaSettings(bootstrap=kafka_bootstrap))]) as client:
        assert (await client.post("/widget/messages", content=orjson.dumps(body), headers=key())).status_code == 202
        stream = await client.get("/widget/events", params={"site_key": SITE_KEY, "conversation_id": "conv-12"})
        assert stream.status_code == 400


async def test_post_body_limit_is_the_ingest_limit(ingest_client, kafka_bootstrap):
    body = orjson.dumps(message(text="x" * 5000))
    async with ingest_client([WidgetChannel(frozenset({SITE_KEY}), KafkaSettings(bootstrap=kafka_bootstrap))], body_limit=4096) as client:
        assert (await client.post("/widget/messages", content=body, headers=key())).status_code == 413


async def test_reposted_message_yields_one_raw_event(ingest_client, kafka_bootstrap):
    body = message()
    async with ingest_client([WidgetChannel(frozenset({SITE_KEY}), KafkaSettings(bootstrap=kafka_bootstrap))]) as client:
        first = await client.post("/widget/messages", content=orjson.dumps(body), headers=key())
        again = await client.post("/widget/messages", content=orjson.dumps(body), headers=key())
        assert first.status_code == again.status_code == 202
        assert first.json() == again.json()
        assert metric(client.registry, "chatguard_ingest_duplicates_total", channel="web") == 1
    assert len(await raw_events_with(kafka_bootstrap, first.json()["event_id"])) == 1


def test_site_keys_are_required():
    with pytest.raises(ValueError):
        WidgetChannel(frozenset(), KafkaSettings())


# -- WebSocket /widget/ws ----------------------------------------------------------------------


async def test_websocket_acks_each_message_after_kafka(widget, kafka_bootstrap):
    base, _, registry = widget
    bodies = [message(), message()]
    async with ws_connect(ws_url(base)) as ws:
        replies = []
        for body in bodies:
            await ws.send(orjson.dumps(body).decode())
            replies.append(orjson.loads(await asyncio.wait_for(ws.recv(), 10)))
    assert replies == [{"type": "ack", "message_id": b["message_id"], "event_id": widget_event_id(b)} for b in bodies]
    assert metric(registry, "chatguard_ingest_messages_total", channel="web") == 2
    [raw] = await raw_events_with(kafka_bootstrap, replies[1]["event_id"])
    assert raw["channel"] == "web" and raw["channel_kind"] == "private" and raw["text"] == bodies[1]["text"]


@pytest.mark.parametrize("site_key", [None, "", "site-not-a-real-key"])
async def test_websocket_with_a_bad_key_is_refused(widget, site_key):
    base, _, registry = widget
    with pytest.raises(websockets.InvalidStatus) as refused:
        async with ws_connect(ws_url(base, site_key)):
            pass
    assert refused.value.response.status_code == 403
    reason = "unknown_site_key" if site_key else "missing_site_key"
    assert metric(registry, "chatguard_ingest_rejections_total", channel="web", reason=reason) == 1


async def test_bad_frames_get_error_frames_and_the_connection_stays_usable(widget, kafka_bootstrap):
    base, _, registry = widget
    good = message()
    async with ws_connect(ws_url(base), max_size=2**24) as ws:

        async def reply_to(frame: str | bytes) -> dict:
            await ws.send(frame)
            return orjson.loads(await asyncio.wait_for(ws.recv(), 10))

        bad_json = await reply_to('{"message_id": "call me on +48 601 234 567"')
        assert bad_json["type"] == "error" and "JSON" in bad_json["error"] and bad_json["message_id"] is None
        unknown = message(profile="Anna")
        refused = await reply_to(orjson.dumps(unknown).decode())
        assert refused == {"type": "error", "message_id": unknown["message_id"], "error": "unknown field profile"}
        not_text = await reply_to(orjson.dumps(good))  # a binary frame
        assert not_text["type"] == "error" and "text" in not_text["error"]
        too_big = await reply_to(orjson.dumps(message(text="x" * (256 * 1024))).decode())
        assert too_big["type"] == "error" and "larger than" in too_big["error"]
        ok = await reply_to(orjson.dumps(good).decode())
        assert ok == {"type": "ack", "message_id": good["message_id"], "event_id": widget_event_id(good)}
    for reply in (bad_json, refused, not_text, too_big):
        assert "601" not in orjson.dumps(reply).decode() and "Anna" not in orjson.dumps(reply).decode()
    assert metric(registry, "chatguard_ingest_requests_total", channel="web", status="400") == 3
    assert metric(registry, "chatguard_ingest_requests_total", channel="web", status="413") == 1
    assert metric(registry, "chatguard_ingest_requests_total", channel="web", status="202") == 1


async def test_resent_message_id_yields_one_raw_event(widget, kafka_bootstrap):
    base, _, registry = widget
    body = message()
    async with ws_connect(ws_url(base)) as ws:
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
    with live_widget(dead, ack_timeout_s=0.5) as (base, channel, registry):
        # The service is up although neither the producer nor the chat.nlp consumer connected.
        assert time.monotonic() - started < 20
        assert not channel.ready.is_set()
        body = message()
        async with ws_connect(ws_url(base)) as ws:
            await ws.send(orjson.dumps(body).decode())
            reply = orjson.loads(await asyncio.wait_for(ws.recv(), 10))
        assert reply["type"] == "error" and reply["message_id"] == body["message_id"] and "retry" in reply["error"]
        assert metric(registry, "chatguard_ingest_rejections_total", channel="web", reason="kafka_unavailable") == 1
        async with httpx.AsyncClient(base_url=base) as client:
            response = await client.post("/widget/messages", content=orjson.dumps(body), headers=key())
            assert response.status_code == 503
            # The event stream still opens; it fills once Kafka is back.
            async with client.stream("GET", "/widget/events", params={"site_key": SITE_KEY, "conversation_id": rid()}) as stream:
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
    base, channel, _ = widget
    assert channel.ready.is_set(), "the chat.nlp consumer should be positioned by the time the service is up"
    conversation = rid()
    ours = redacted(conversation)
    other_conversation = redacted(rid())
    other_channel = redacted(conversation, channel="slack")  # same id, another channel: not ours
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        params = {"site_key": SITE_KEY, "conversation_id": conversation}
        async with client.stream("GET", "/widget/events", params=params) as stream:
            assert stream.status_code == 200
            assert stream.headers["content-type"].startswith("text/event-stream")
            events = sse_events(stream)
            async with asyncio.timeout(30):
                assert (await anext(events))[0] == "ready"
                await produce(
                    kafka_bootstrap,
                    NLP.name,
                    [(m.conversation_id.encode(), encode(m)) for m in (other_conversation, other_channel, ours)],
                )
                name, event_id, data = await anext(events)
    assert name == "message" and event_id == ours.event_id
    assert data == {
        "event_id": ours.event_id,
        "text": "Hi, my name is <PERSON>",
        "findings": [{"entity_type": "PERSON", "start": 15, "end": 23, "score": 0.85}],
    }


async def test_a_reconnecting_stream_gets_what_it_missed(widget, kafka_bootstrap):
    base, channel, _ = widget
    conversation = rid()
    first, second = redacted(conversation), redacted(conversation, text="And <PERSON> again")
    await produce(kafka_bootstrap, NLP.name, [(conversation.encode(), encode(first)), (conversation.encode(), encode(second))])
    deadline = time.monotonic() + 30
    while len(channel.hub.replay(conversation, "none")) < 2 and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        params = {"site_key": SITE_KEY, "conversation_id": conversation}
        async with client.stream("GET", "/widget/events", params=params, headers={"last-event-id": first.event_id}) as stream:
            events = sse_events(stream)
            async with asyncio.timeout(30):
                replayed = await anext(events)
                assert (await anext(events))[0] == "ready"
    assert replayed[1] == second.event_id and replayed[2]["text"] == "And <PERSON> again"


@pytest.mark.parametrize(
    "params, status",
    [
        ({"conversation_id": "0" * 32}, 401),
        ({"site_key": "site-not-a-real-key", "conversation_id": "0" * 32}, 403),
        ({"site_key": SITE_KEY}, 400),
        ({"site_key": SITE_KEY, "conversation_id": "C0123"}, 400),  # guessable ids are not streamable
    ],
)
async def test_event_stream_needs_a_key_and_a_random_conversation_id(widget, params, status):
    base, _, _ = widget
    async with httpx.AsyncClient(base_url=base, timeout=10) as client:
        response = await client.get("/widget/events", params=params)
    assert response.status_code == status
    assert response.json()["error"]


def test_a_lagging_subscriber_is_dropped_and_told_so():
    async def scenario() -> None:
        hub = Hub(queue_size=2)
        slow, fast = hub.subscribe("c" * 16), hub.subscribe("c" * 16)
        for i in range(3):
            hub.publish("c" * 16, f"e{i}", f"chunk {i}".encode())
            if not fast.queue.empty():
                fast.queue.get_nowait()
        assert hub.subscriber_count() == 1  # the slow one is gone
        assert slow.queue.qsize() == 1 and slow.queue.get_nowait() is not None
        assert [c for c in hub.replay("c" * 16, "e0")] == [b"chunk 1", b"chunk 2"]
        hub.close_all()
        assert hub.subscriber_count() == 0

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


async def test_ready_event_carries_a_time_cursor(widget):
    base, _, _ = widget
    async with httpx.AsyncClient(base_url=base, timeout=30) as client:
        params = {"site_key": SITE_KEY, "conversation_id": rid()}
        async with client.stream("GET", "/widget/events", params=params) as stream:
            async with asyncio.timeout(10):
                name, cursor, _ = await anext(sse_events(stream))
    assert name == "ready" and re.fullmatch(r"t\d{13}", cursor)


# -- the page ----------------------------------------------------------------------------------


async def test_demo_page_and_its_script_are_served_without_a_key(ingest_client, kafka_bootstrap):
    async with ingest_client([WidgetChannel(frozenset({SITE_KEY}), KafkaSettings(bootstrap=kafka_bootstrap))]) as client:
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
    assert "EventSource" in script.text and "WebSocket" in script.text
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert redirect.status_code in (307, 308) and redirect.headers["location"].endswith("/widget/")
