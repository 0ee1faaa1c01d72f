"""Slack Events API channel: Slack's signing scheme, the handshake, minimisation, retries.

End-to-end tests run the real app and producer against the session's Kafka broker and read
chat.raw back. Every test makes its own channel and event ids, so tests never see each
other's events.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time

import orjson
import pytest

from connectors.base import InboundMessage, Parsed, ReceivedRequest, event_id_for
from connectors.errors import BadRequest, Unauthorized
from connectors.slack import SlackChannel, slack_signature
from schemas.topics import RAW
from tests.support.kafka import consume_until
from tests.support.metrics import metric

# Slack's published example (api.slack.com/authentication/verifying-requests-from-slack).
EXAMPLE_SECRET = b"8f742231b10e8888abcd99yyyzzz85a5"
EXAMPLE_TIMESTAMP = "1531420618"
EXAMPLE_BODY = (
    b"token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V"
    b"&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text="
    b"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN"
    b"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
)
EXAMPLE_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"

TEAM = "T" + secrets.token_hex(4).upper()  # this module's workspace
IGNORED = "chatguard_ingest_ignored_events_total"
MESSAGES = "chatguard_ingest_messages_total"
REJECTIONS = "chatguard_ingest_rejections_total"
DUPLICATES = "chatguard_ingest_duplicates_total"


# -- helpers ------------------------------------------------------------------------------


def new_channel() -> str:
    return "C" + secrets.token_hex(5).upper()


def new_event_id() -> str:
    return "Ev" + secrets.token_hex(5).upper()


def message_envelope(channel: str, text: str, *, event_id: str | None = None, ts: str | None = None, **event) -> dict:
    """An event_callback shaped as Slack sends it, with the fields chatguard must drop."""
    ts = ts or f"{time.time():.6f}"
    return {
        "token": "XXYYZZ-legacy-verification-token",
        "team_id": TEAM,
        "context_team_id": TEAM,
        "api_app_id": "A0APP1234",
        "event": {
            "type": "message",
            "channel": channel,
            "user": "U0USER1234",
            "text": text,
            "ts": ts,
            "event_ts": ts,
            "channel_type": "channel",
            "client_msg_id": "b0c1a2d3-0000-4000-8000-000000000000",
            "team": TEAM,
            "blocks": [
                {
                    "type": "rich_text",
                    "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}],
                }
            ],
            "user_profile": {
                "real_name": "Ada Lovelace",
                "display_name": "ada",
                "image_72": "https://avatars.example/ada.png",
            },
            **event,
        },
        "type": "event_callback",
        "event_id": event_id or new_event_id(),
        "event_time": int(time.time()),
        "authorizations": [{"team_id": TEAM, "user_id": "U0BOT", "is_bot": True}],
        "is_ext_shared_channel": False,
        "event_context": "4-eyJldCI6Im1lc3NhZ2UifQ",
    }


def sign(secret: bytes, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """Headers exactly as Slack computes them (independently of connectors.slack)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    digest = hmac.new(secret, b"v0:" + ts.encode() + b":" + body, hashlib.sha256).hexdigest()
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}", "Content-Type": "application/json"}


async def post(client, secret: bytes, payload: dict, **headers: str):
    body = orjson.dumps(payload)
    return await client.post(SlackChannel.path, content=body, headers={**sign(secret, body), **headers})


async def events_before_sentinel(client, bootstrap: str, secret: bytes, channel: str) -> list[dict]:
    """All chat.raw events of ``channel`` written so far.

    Writes a sentinel message to the same conversation (same key, so the same partition) and
    reads chat.raw until it shows up: everything written before it has then been read.
    """
    sentinel = f"sentinel {secrets.token_hex(8)}"
    response = await post(client, secret, message_envelope(channel, sentinel))
    assert response.status_code == 200
    records = await consume_until(
        bootstrap, [RAW.name], lambda rs: any(sentinel.encode() in r.value for r in rs), timeout_s=60
    )
    key = f"{TEAM}:{channel}".encode()
    events = [orjson.loads(r.value) for r in records if r.key == key]
    assert [e["text"] for e in events].count(sentinel) == 1, "the sentinel never reached chat.raw"
    return [e for e in events if e["text"] != sentinel]


@pytest.fixture
def secret() -> bytes:
    return secrets.token_hex(16).encode()


# -- the signature, with Slack's published example -----------------------------------------


def example_request(**headers: str | None) -> ReceivedRequest:
    values = {"x-slack-request-timestamp": EXAMPLE_TIMESTAMP, "x-slack-signature": EXAMPLE_SIGNATURE, **headers}
    return ReceivedRequest({k: v for k, v in values.items() if v is not None}, {}, EXAMPLE_BODY)


def test_signature_matches_slacks_published_example():
    assert slack_signature(EXAMPLE_SECRET, EXAMPLE_TIMESTAMP, EXAMPLE_BODY) == EXAMPLE_SIGNATURE


@pytest.mark.parametrize("seconds_later", [0, 1, 299, 300, -300])
def test_verify_accepts_slacks_example_within_five_minutes(seconds_later):
    channel = SlackChannel(EXAMPLE_SECRET, clock=lambda: int(EXAMPLE_TIMESTAMP) + seconds_later)
    channel.verify(example_request())  # does not raise


@pytest.mark.parametrize(
    "secret, body, headers, seconds_later, reason, metric_reason",
    [
        (b"another-signing-secret", EXAMPLE_BODY, {}, 0, "X-Slack-Signature", "bad_signature"),
        (EXAMPLE_SECRET, EXAMPLE_BODY.replace(b"text=", b"text=hi"), {}, 0, "X-Slack-Signature", "bad_signature"),
        (
            EXAMPLE_SECRET,
            EXAMPLE_BODY,
            {"x-slack-request-timestamp": "1531420619"},
            0,
            "X-Slack-Signature",
            "bad_signature",
        ),
        (
            EXAMPLE_SECRET,
            EXAMPLE_BODY,
            {"x-slack-signature": EXAMPLE_SIGNATURE.replace("v0=", "v1=")},
            0,
            "X-Slack-Signature",
            "bad_signature",
        ),
        (
            EXAMPLE_SECRET,
            EXAMPLE_BODY,
            {"x-slack-signature": EXAMPLE_SIGNATURE[:-1]},
            0,
            "X-Slack-Signature",
            "bad_signature",
        ),
        (EXAMPLE_SECRET, EXAMPLE_BODY, {"x-slack-signature": None}, 0, "X-Slack-Signature", "bad_signature"),
        (EXAMPLE_SECRET, EXAMPLE_BODY, {}, 301, "older than 300 s", "stale_timestamp"),
        (EXAMPLE_SECRET, EXAMPLE_BODY, {}, 6 * 60, "older than 300 s", "stale_timestamp"),
        (EXAMPLE_SECRET, EXAMPLE_BODY, {}, -301, "in the future", "stale_timestamp"),
        (
            EXAMPLE_SECRET,
            EXAMPLE_BODY,
            {"x-slack-request-timestamp": None},
            0,
            "X-Slack-Request-Timestamp",
            "bad_timestamp",
        ),
        (
            EXAMPLE_SECRET,
            EXAMPLE_BODY,
            {"x-slack-request-timestamp": "1531420618.5"},
            0,
            "X-Slack-Request-Timestamp",
            "bad_timestamp",
        ),
    ],
    ids=[
        "wrong-secret",
        "tampered-body",
        "other-timestamp",
        "wrong-version",
        "truncated",
        "no-signature",
        "stale-301s",
        "stale-6min",
        "future",
        "no-timestamp",
        "fractional-timestamp",
    ],
)
def test_verify_refuses(secret, body, headers, seconds_later, reason, metric_reason):
    channel = SlackChannel(secret, clock=lambda: int(EXAMPLE_TIMESTAMP) + seconds_later)
    request = example_request(**headers)
    with pytest.raises(Unauthorized) as exc:
        channel.verify(ReceivedRequest(request.headers, {}, body))
    assert reason in exc.value.reason
    assert exc.value.metric_reason == metric_reason


# -- parsing, without the app ---------------------------------------------------------------


def parse(payload: dict) -> Parsed:
    return SlackChannel(b"s").parse(ReceivedRequest({}, {}, b""), payload)


def test_a_message_keeps_only_ids_time_and_text():
    payload = message_envelope(
        "C0CHAN", "hello there", event_id="Ev0EVENT", ts="1531420618.000200", thread_ts="1531420000.000100"
    )
    assert parse(payload) == Parsed(
        messages=[
            InboundMessage(
                platform_message_id="Ev0EVENT",
                conversation_id=f"{TEAM}:C0CHAN",
                sender_id=f"{TEAM}:U0USER1234",
                sent_at="2018-07-12T18:36:58.000Z",
                text="hello there",
            )
        ]
    )


@pytest.mark.parametrize(
    "event",
    [
        {
            "type": "reaction_added",
            "user": "U1",
            "reaction": "thumbsup",
            "item": {"type": "message", "channel": "C1", "ts": "1.2"},
        },
        {
            "type": "message",
            "subtype": "bot_message",
            "bot_id": "B1",
            "text": "I am a bot",
            "channel": "C1",
            "ts": "1.2",
        },
        {
            "type": "message",
            "bot_id": "B1",
            "user": "U1",
            "text": "an app posting as itself",
            "channel": "C1",
            "ts": "1.2",
        },
        {"type": "message", "subtype": "message_changed", "channel": "C1", "ts": "1.2", "message": {"text": "edited"}},
        {"type": "message", "subtype": "message_deleted", "channel": "C1", "ts": "1.2", "deleted_ts": "1.1"},
        {
            "type": "message",
            "subtype": "channel_join",
            "user": "U1",
            "text": "<@U1> has joined",
            "channel": "C1",
            "ts": "1.2",
        },
        {"type": "message", "user": "U1", "text": "", "channel": "C1", "ts": "1.2", "files": [{"id": "F1"}]},
        {"type": "message", "user": "U1", "channel": "C1", "ts": "1.2"},
        {"type": "app_mention", "user": "U1", "text": "<@U0BOT> hi", "channel": "C1", "ts": "1.2"},
        {"type": "member_joined_channel", "user": "U1", "channel": "C1"},
    ],
    ids=[
        "reaction_added",
        "bot_message",
        "bot_id",
        "message_changed",
        "message_deleted",
        "channel_join",
        "files-only",
        "no-text",
        "app_mention",
        "member_joined_channel",
    ],
)
def test_events_that_are_not_plain_user_messages_are_ignored(event):
    payload = {"type": "event_callback", "team_id": "T1", "event_id": "Ev1", "event": event}
    assert parse(payload) == Parsed(ignored=1)


@pytest.mark.parametrize("envelope_type", ["app_rate_limited", "some_future_envelope"])
def test_other_envelopes_are_ignored(envelope_type):
    assert parse({"type": envelope_type, "team_id": "T1", "minute_rate_limited": 1518467820}) == Parsed(ignored=1)


CANARY = "canary-4242-value"


def without(data: dict, key: str) -> dict:
    return {k: v for k, v in data.items() if k != key}


def with_event(payload: dict, **changes) -> dict:
    event = {k: v for k, v in payload["event"].items() if changes.get(k, ...) is not None}
    event.update({k: v for k, v in changes.items() if v is not None})
    return {**payload, "event": event}


BASE = message_envelope("C0CHAN", "hi")


@pytest.mark.parametrize(
    "payload, field",
    [
        ([BASE], "body must be a JSON object"),
        (without(BASE, "type"), "type"),
        ({**BASE, "type": ["event_callback"]}, "type"),
        ({"type": "url_verification", "token": "t"}, "challenge"),
        (without(BASE, "event"), "event"),
        ({**BASE, "event": CANARY}, "event"),
        (without(BASE, "event_id"), "event_id"),
        (without(BASE, "team_id"), "team_id"),
        (with_event(BASE, channel=None), "event.channel"),
        (with_event(BASE, user=None), "event.user"),
        (with_event(BASE, user=["U1"]), "event.user"),
        (with_event(BASE, ts=None), "event.ts"),
        (with_event(BASE, ts=CANARY), "event.ts"),
        (with_event(BASE, ts="1e400"), "event.ts"),
        (with_event(BASE, text={"rich": CANARY}), "event.text"),
    ],
    ids=[
        "not-object",
        "no-type",
        "type-list",
        "no-challenge",
        "no-event",
        "event-string",
        "no-event_id",
        "no-team_id",
        "no-channel",
        "no-user",
        "user-list",
        "no-ts",
        "ts-text",
        "ts-huge",
        "text-object",
    ],
)
def test_malformed_payloads_are_refused_naming_the_field(payload, field):
    with pytest.raises(BadRequest) as exc:
        parse(payload)
    assert field in exc.value.reason
    assert CANARY not in exc.value.reason


# -- end to end: the app, the producer and chat.raw -----------------------------------------

integration = pytest.mark.integration


@integration
async def test_url_verification_is_answered_with_the_challenge(ingest_client, secret):
    challenge = secrets.token_urlsafe(24)
    payload = {"token": "legacy", "challenge": challenge, "type": "url_verification"}
    async with ingest_client([SlackChannel(secret)]) as client:
        response = await post(client, secret, payload)
        unsigned = await client.post(
            SlackChannel.path, content=orjson.dumps(payload), headers={"Content-Type": "application/json"}
        )
        wrong = await post(client, b"not-the-secret", payload)
    assert response.status_code == 200
    assert response.json() == {"challenge": challenge}
    # Slack signs the handshake too: it is answered only once the signature holds.
    assert unsigned.status_code == wrong.status_code == 401
    assert challenge not in unsigned.text + wrong.text


@integration
async def test_a_message_reaches_chat_raw_with_a_deterministic_event_id(ingest_client, kafka_bootstrap, secret):
    channel, event_id = new_channel(), new_event_id()
    payload = message_envelope(channel, "call me on 020 7946 0018", event_id=event_id, ts="1767261600.123456")
    async with ingest_client([SlackChannel(secret)]) as client:
        response = await post(client, secret, payload)
        assert response.status_code == 200
        assert response.json() == {"accepted": 1}
        assert metric(client.registry, MESSAGES, channel="slack") == 1
        events = await events_before_sentinel(client, kafka_bootstrap, secret, channel)
    assert events == [
        {
            "event_id": event_id_for("slack", event_id),
            "channel": "slack",
            "channel_kind": "public",
            "conversation_id": f"{TEAM}:{channel}",
            "sender_id": f"{TEAM}:U0USER1234",
            "sent_at": "2026-01-01T10:00:00.123Z",
            "text": "call me on 020 7946 0018",
            "metadata": {},
            "form": [],
            "schema_version": 1,
        }
    ]
    # Deterministic: derived from Slack's event_id alone, the same for every delivery.
    assert events[0]["event_id"] == hashlib.sha256(f"slack\x00{event_id}".encode()).hexdigest()[:32]


@integration
async def test_profile_and_block_data_never_reach_chat_raw(ingest_client, kafka_bootstrap, secret):
    channel = new_channel()
    payload = message_envelope(channel, "plain text", user_profile={"real_name": CANARY, "display_name": CANARY})
    payload["event"]["blocks"][0]["block_id"] = CANARY
    payload["authorizations"][0]["user_id"] = CANARY
    async with ingest_client([SlackChannel(secret)]) as client:
        assert (await post(client, secret, payload)).status_code == 200
        events = await events_before_sentinel(client, kafka_bootstrap, secret, channel)
    assert [e["text"] for e in events] == ["plain text"]
    assert CANARY not in orjson.dumps(events).decode()


@integration
async def test_a_retried_event_is_written_once(ingest_client, kafka_bootstrap, secret):
    channel, event_id = new_channel(), new_event_id()
    body = orjson.dumps(message_envelope(channel, "retried", event_id=event_id))
    async with ingest_client([SlackChannel(secret)]) as client:
        first = await client.post(SlackChannel.path, content=body, headers=sign(secret, body))
        # Slack re-signs each retry with a fresh timestamp; the body, event_id included, is the same.
        retries = [
            await client.post(
                SlackChannel.path,
                content=body,
                headers={
                    **sign(secret, body, int(time.time()) + n),
                    "X-Slack-Retry-Num": str(n),
                    "X-Slack-Retry-Reason": "http_timeout",
                },
            )
            for n in (1, 2)
        ]
        assert [r.status_code for r in [first, *retries]] == [200, 200, 200]
        assert metric(client.registry, DUPLICATES, channel="slack") == 2
        events = await events_before_sentinel(client, kafka_bootstrap, secret, channel)
    assert [e["event_id"] for e in events] == [event_id_for("slack", event_id)]


@integration
@pytest.mark.parametrize(
    "how, metric_reason",
    [
        ("tampered", "bad_signature"),
        ("wrong-secret", "bad_signature"),
        ("stale-6min", "stale_timestamp"),
        ("future-6min", "stale_timestamp"),
        ("no-signature", "bad_signature"),
        ("no-timestamp", "bad_timestamp"),
        ("no-headers", "bad_timestamp"),
    ],
)
async def test_unverifiable_requests_are_refused_and_not_written(ingest_client, secret, how, metric_reason):
    body = orjson.dumps(message_envelope(new_channel(), "must not be written"))
    headers = sign(secret, body)
    if how == "tampered":
        body = body.replace(b"must not", b"must NOT")
    elif how == "wrong-secret":
        headers = sign(b"not-" + secret, body)
    elif how == "stale-6min":
        headers = sign(secret, body, int(time.time()) - 6 * 60)
    elif how == "future-6min":
        headers = sign(secret, body, int(time.time()) + 6 * 60)
    elif how == "no-signature":
        del headers["X-Slack-Signature"]
    elif how == "no-timestamp":
        del headers["X-Slack-Request-Timestamp"]
    elif how == "no-headers":
        headers = {"Content-Type": "application/json"}
    async with ingest_client([SlackChannel(secret)]) as client:
        response = await client.post(SlackChannel.path, content=body, headers=headers)
        assert response.status_code == 401
        assert set(response.json()) == {"error"}
        assert metric(client.registry, REJECTIONS, channel="slack", reason=metric_reason) == 1
        assert metric(client.registry, MESSAGES, channel="slack") == 0


@integration
async def test_a_tampered_message_is_not_on_chat_raw(ingest_client, kafka_bootstrap, secret):
    channel = new_channel()
    body = orjson.dumps(message_envelope(channel, "original"))
    headers = sign(secret, body)
    async with ingest_client([SlackChannel(secret)]) as client:
        response = await client.post(SlackChannel.path, content=body.replace(b"original", b"tampered"), headers=headers)
        assert response.status_code == 401
        assert await events_before_sentinel(client, kafka_bootstrap, secret, channel) == []


@integration
async def test_non_message_events_are_acknowledged_counted_and_not_written(ingest_client, kafka_bootstrap, secret):
    channel = new_channel()
    reaction = {
        **message_envelope(channel, ""),
        "event": {
            "type": "reaction_added",
            "user": "U1",
            "reaction": "eyes",
            "item": {"type": "message", "channel": channel, "ts": "1.2"},
        },
    }
    bot = message_envelope(channel, "bot text must not be written", subtype="bot_message", bot_id="B0BOT")
    edit = message_envelope(channel, "edit must not be written", subtype="message_changed")
    async with ingest_client([SlackChannel(secret)]) as client:
        responses = [await post(client, secret, payload) for payload in (reaction, bot, edit)]
        assert [(r.status_code, r.json()) for r in responses] == [(200, {"accepted": 0})] * 3
        assert metric(client.registry, IGNORED, channel="slack") == 3
        assert metric(client.registry, MESSAGES, channel="slack") == 0
        assert await events_before_sentinel(client, kafka_bootstrap, secret, channel) == []


@integration
async def test_a_malformed_event_is_a_400_naming_the_field(ingest_client, secret):
    payload = with_event(message_envelope(new_channel(), "hi"), ts=CANARY)
    async with ingest_client([SlackChannel(secret)]) as client:
        response = await post(client, secret, payload)
        assert metric(client.registry, MESSAGES, channel="slack") == 0
    assert response.status_code == 400
    assert response.json() == {"error": "event.ts not Unix seconds"}


@integration
@pytest.mark.parametrize(("signed_over", "status"), [("compressed", 200), ("plain", 401)])
async def test_a_gzip_request_is_verified_over_the_bytes_as_received(ingest_client, secret, signed_over, status):
    """Slack signs the raw request body: with Content-Encoding gzip that is the compressed bytes."""
    import gzip

    challenge = secrets.token_hex(8)
    plain = orjson.dumps({"type": "url_verification", "token": "t", "challenge": challenge})
    compressed = gzip.compress(plain)
    headers = {**sign(secret, compressed if signed_over == "compressed" else plain), "Content-Encoding": "gzip"}
    async with ingest_client([SlackChannel(secret)]) as client:
        response = await client.post(SlackChannel.path, content=compressed, headers=headers)
    assert response.status_code == status, response.text
    assert (challenge in response.text) == (status == 200)
