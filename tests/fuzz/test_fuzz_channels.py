"""Fuzz every channel's parser: random JSON shapes, random Unicode,
surrogate escapes, huge numbers, missing/extra fields, wrong types, random bytes, compressed
bodies — each one correctly signed with a secret generated here, so the parser is reached.

Two levels:
  - the channel's own steps, in the order ``Ingest.handle`` runs them (verify -> decompress ->
    parse_json -> parse -> to_raw -> the producer's encoding): only chatguard's IngestError
    (an HTTP 4xx/503 answer) may come out, nothing else;
  - the real ASGI app (``connectors.service.build_app``) in-process through Starlette's
    TestClient, with a sink that acknowledges in-process (no Kafka): no answer is a 500.

Bounded in time: fixed example counts, ``derandomize=True`` (same examples on every run, no
example database), no per-example deadline. Self-contained: imports nothing from conftest.
"""

from __future__ import annotations

import asyncio
import gzip
import json
import secrets
import time
import zlib
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry
from starlette.testclient import TestClient

from connectors.base import Channel, ReceivedRequest, to_raw
from connectors.body import decompress, parse_json
from connectors.errors import IngestError
from connectors.http import HttpChannel, http_signature
from connectors.messenger import MessengerChannel
from connectors.service import build_app
from connectors.settings import IngestSettings, WidgetSettings
from connectors.signatures import hmac_sha256_hex
from connectors.slack import SlackChannel, slack_signature
from connectors.telegram import TelegramChannel
from connectors.widget import WidgetChannel
from connectors.widget.guard import new_conversation_id
from runtime.kafka import KafkaSettings
from schemas.codec import decode_raw, encode
from schemas.raw import RawMessage

BODY_LIMIT = 64 * 1024

# Generated per run: no secret lives in the repository.
HTTP_SECRET = secrets.token_hex(16).encode()
SLACK_SECRET = secrets.token_hex(16).encode()
MESSENGER_SECRET = secrets.token_hex(16).encode()
MESSENGER_VERIFY = secrets.token_hex(16)
TELEGRAM_TOKEN = secrets.token_hex(16)
SITE_KEY = "site-" + secrets.token_hex(12)
PSEUDONYM_KEY = secrets.token_hex(32).encode()

FUZZ = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
FUZZ_HTTP = settings(FUZZ, max_examples=60)


def make_channels() -> dict[str, Channel]:
    widget = WidgetChannel(
        frozenset({SITE_KEY}),
        KafkaSettings(bootstrap="127.0.0.1:1"),  # never started: no consumer, no Kafka
        # Limits high enough that fuzzing does not turn into a rate-limit test (429 is fine too).
        WidgetSettings(
            pseudonym_key=PSEUDONYM_KEY,
            key_rate_per_s=1_000_000,
            key_burst=1_000_000,
            client_rate_per_s=1_000_000,
            client_burst=1_000_000,
        ),
    )
    return {
        "http": HttpChannel(HTTP_SECRET),
        "slack": SlackChannel(SLACK_SECRET),
        "messenger": MessengerChannel(MESSENGER_SECRET, MESSENGER_VERIFY),
        "telegram": TelegramChannel(TELEGRAM_TOKEN),
        "web": widget,
    }


CHANNELS = make_channels()
WIDGET: WidgetChannel = CHANNELS["web"]  # type: ignore[assignment]
WIDGET_CONVERSATION = new_conversation_id()
WIDGET_TOKEN, _ = WIDGET.tokens.issue(SITE_KEY, WIDGET_CONVERSATION, now=time.time() + 7 * 24 * 3600)


def sign(name: str, body: bytes, variant: str = "") -> dict[str, str]:
    """The headers the platform (or the app, or the page) sends with ``body``."""
    ts = str(int(time.time()))
    if name == "http":
        return {"x-chatguard-timestamp": ts, "x-chatguard-signature": http_signature(HTTP_SECRET, ts, body)}
    if name == "slack":
        return {"x-slack-request-timestamp": ts, "x-slack-signature": slack_signature(SLACK_SECRET, ts, body)}
    if name == "messenger":
        return {"x-hub-signature-256": "sha256=" + hmac_sha256_hex(MESSENGER_SECRET, body)}
    if name == "telegram":
        return {"x-telegram-bot-api-secret-token": TELEGRAM_TOKEN}
    if name == "web":
        headers = {"x-chatguard-site-key": SITE_KEY}
        if variant == "token":
            headers["authorization"] = f"Bearer {WIDGET_TOKEN}"
        return headers
    raise AssertionError(name)


# -- valid templates: the fuzzer mutates these, so most bodies get deep into the parser -------


NOW = int(time.time())  # fixed for the run: a strategy must draw the same way every time


def template(name: str, variant: str, mid: str) -> dict:
    """A valid payload; ``mid`` (drawn) makes the platform message id, so writes are not all duplicates."""
    now = NOW
    if name == "http":
        one = {
            "message_id": mid,
            "conversation_id": "c-1",
            "sender_id": "u-1",
            "text": "hi anna@example.com",
            "sent_at": "2026-11-29T10:00:00Z",
        }
        return {"messages": [one, dict(one, message_id=mid + "-2")]} if variant == "batch" else one
    if name == "slack":
        return {
            "type": "event_callback",
            "team_id": "T1",
            "event_id": "Ev" + mid,
            "event": {
                "type": "message",
                "channel": "C1",
                "user": "U1",
                "text": "call +48 601 234 567",
                "ts": f"{now}.000100",
            },
        }
    if name == "messenger":
        return {
            "object": "page",
            "entry": [
                {
                    "id": "P1",
                    "time": now * 1000,
                    "messaging": [
                        {
                            "sender": {"id": "S1"},
                            "recipient": {"id": "P1"},
                            "timestamp": now * 1000,
                            "message": {"mid": "m." + mid, "text": "my iban PL61109010140000071219812874"},
                        }
                    ],
                }
            ],
        }
    if name == "telegram":
        return {
            "update_id": int(mid.replace("-", "")[:12], 16),
            "message": {
                "message_id": 7,
                "from": {"id": 42, "first_name": "Anna"},
                "chat": {"id": 42, "type": "private"},
                "date": now,
                "text": "pesel 44051401359",
            },
        }
    if name == "web":
        if variant == "token":
            return {"message_id": mid, "text": "I am John Smith"}
        return {"message_id": mid, "conversation_id": "c-" + mid, "sender_id": "s-" + mid, "text": "I am John Smith"}
    raise AssertionError(name)


templates = st.builds(str, st.uuids())


# -- strategies --------------------------------------------------------------------------------

# Every Unicode category except surrogates (JSON text is UTF-8; lone surrogates come as escapes below).
unicode_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=200)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),  # beyond 64 bits too: the stdlib encoder writes them, orjson reads them as floats
    st.integers(min_value=-(2**200), max_value=2**200),
    st.floats(allow_nan=False, allow_infinity=False),
    unicode_text,
    st.sampled_from(
        [
            "",
            " ",
            "0",
            "-1",
            "1e308",
            "9" * 40,
            "wc_x",
            "message",
            "event_callback",
            "page",
            "url_verification",
            "2026-11-29T10:00:00Z",
            "0000-00-00T00:00:00Z",
            "9999-12-31T23:59:59+99:99",
            "١٢٣٤٥٦٧٨٩٠.١",
        ]
    ),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5),
        st.dictionaries(
            unicode_text
            | st.sampled_from(
                [
                    "text",
                    "id",
                    "type",
                    "message",
                    "event",
                    "entry",
                    "messaging",
                    "messages",
                    "chat",
                    "from",
                    "sender",
                    "date",
                    "ts",
                    "timestamp",
                    "mid",
                    "update_id",
                    "subtype",
                    "bot_id",
                    "is_echo",
                    "sender_chat",
                    "metadata",
                ]
            ),
            inner,
            max_size=5,
        ),
    ),
    max_leaves=20,
)
# Replacements spliced into the encoded JSON in place of a string value: surrogate escapes
# (lone, reversed, paired), odd numbers, a deep nest.
SPLICES = st.sampled_from(
    [
        '"\\ud800"',
        '"\\udc00"',
        '"\\udc00\\ud800"',
        '"\\ud83d\\ude00"',
        '"a\\ud800b"',
        '"\\u0000"',
        '"\\uffff"',
        "1e400",
        "-1e400",
        "1" + "0" * 400,
        "-0",
        "0.0000000000000000000001",
        "1E+2",
        "[" * 40 + "]" * 40,
        '"' + "\\u0041" * 50 + '"',
        "{}",
        "[]",
        "null",
        "true",
    ]
)
SPLICE_MARK = "\x00fuzz-splice\x00"


def _slots(obj: Any, out: list) -> list:
    """Every (container, key) in a JSON value, containers included."""
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.append((obj, k))
            _slots(v, out)
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            out.append((obj, i))
            _slots(v, out)
    return out


@st.composite
def mutated(draw, name: str, variant: str = "") -> Any:
    """``base`` with a few random edits: values replaced by random JSON or Unicode, keys
    dropped, keys added, or a spot marked for a splice; sometimes a random JSON value instead."""
    if draw(st.integers(0, 19)) == 19:
        return draw(json_values)
    obj = template(name, variant, draw(templates))
    for _ in range(draw(st.integers(0, 4))):
        slots = _slots(obj, [])
        if not slots:
            break
        container, key = draw(st.sampled_from(slots))
        op = draw(st.sampled_from(["value", "text", "long_text", "drop", "add", "splice", "number"]))
        if op == "value":
            container[key] = draw(json_values)
        elif op == "text":
            container[key] = draw(unicode_text)
        elif op == "long_text":
            container[key] = draw(unicode_text) * draw(st.integers(1, 400))
        elif op == "number":
            container[key] = draw(
                st.one_of(
                    st.integers(min_value=-(2**100), max_value=2**100), st.floats(allow_nan=False, allow_infinity=False)
                )
            )
        elif op == "drop":
            if isinstance(container, dict):
                del container[key]
            else:
                container.pop(key)
        elif op == "add":
            if isinstance(container, dict):
                container[draw(unicode_text)] = draw(json_values)
            else:
                container.append(draw(json_values))
        else:
            container[key] = SPLICE_MARK
    return obj


@st.composite
def bodies(draw, name: str, variant: str = "") -> tuple[bytes, str | None]:
    """(bytes as sent, Content-Encoding)."""
    kind = draw(st.sampled_from(["json"] * 8 + ["ascii_json"] * 3 + ["truncated", "bytes", "text"]))
    if kind == "bytes":
        body = draw(st.binary(max_size=600))
    elif kind == "text":
        body = draw(unicode_text).encode("utf-8")
    else:
        payload = draw(mutated(name, variant))
        text = json.dumps(payload, ensure_ascii=kind == "ascii_json", allow_nan=False)
        while json.dumps(SPLICE_MARK) in text:
            text = text.replace(json.dumps(SPLICE_MARK), draw(SPLICES), 1)
        body = text.encode("utf-8")
        if kind == "truncated" and body:
            body = body[: draw(st.integers(0, len(body) - 1))]
    encoding = draw(
        st.sampled_from(
            [None] * 12
            + ["gzip"] * 3
            + ["deflate"] * 2
            + ["identity", "GZIP ", "br", "gzip-corrupt", "deflate-truncated"]
        )
    )
    if encoding in ("gzip", "GZIP "):
        body = gzip.compress(body)
    elif encoding == "deflate":
        body = zlib.compress(body)
    elif encoding == "gzip-corrupt":
        raw = bytearray(gzip.compress(body))
        raw[draw(st.integers(0, len(raw) - 1))] ^= draw(st.integers(1, 255))
        body, encoding = bytes(raw), "gzip"
    elif encoding == "deflate-truncated":
        raw = zlib.compress(body)
        body, encoding = raw[: draw(st.integers(0, len(raw) - 1))], "deflate"
    return body, encoding


CASES = [
    ("http", ""),
    ("http", "batch"),
    ("slack", ""),
    ("messenger", ""),
    ("telegram", ""),
    ("web", ""),
    ("web", "token"),
]
CASE_IDS = [f"{n}-{v}" if v else n for n, v in CASES]


def headers_for(name: str, variant: str, body: bytes, encoding: str | None) -> dict[str, str]:
    headers = {"content-type": "application/json", **sign(name, body, variant)}
    if encoding is not None:
        headers["content-encoding"] = encoding
    return headers


# -- level 1: the channel's own steps -----------------------------------------------------------


def through_channel(
    channel: Channel, headers: dict[str, str], body: bytes, query: dict[str, str] | None = None
) -> None:
    """What Ingest.handle does before writing, plus the producer's encoding: raise only IngestError."""
    query = query or {}
    channel.verify(ReceivedRequest(headers, query, body))
    plain = decompress(body, headers.get("content-encoding"), BODY_LIMIT)
    parsed = channel.parse(ReceivedRequest(headers, query, plain), parse_json(plain))
    for message in parsed.messages:
        raw = to_raw(channel, message)
        assert decode_raw(encode(raw)) == raw  # what chat.raw gets reads back as written


@pytest.mark.parametrize(("name", "variant"), CASES, ids=CASE_IDS)
def test_parser_raises_only_ingest_errors(name: str, variant: str) -> None:
    channel = CHANNELS[name]

    @FUZZ
    @given(sent=bodies(name, variant))
    def run(sent: tuple[bytes, str | None]) -> None:
        body, encoding = sent
        try:
            through_channel(channel, headers_for(name, variant, body, encoding), body)
        except IngestError as exc:
            assert 400 <= exc.http_status < 500, exc.http_status
            assert exc.reason and len(exc.reason) < 300

    run()


# Header values a client controls, beyond the signature: what verify and the widget read first.
header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=80)  # ASGI decodes latin-1


@pytest.mark.parametrize("name", ["http", "slack", "messenger", "telegram", "web"])
def test_verify_raises_only_ingest_errors_on_random_headers(name: str) -> None:
    channel = CHANNELS[name]
    names = {
        "http": ["x-chatguard-timestamp", "x-chatguard-signature"],
        "slack": ["x-slack-request-timestamp", "x-slack-signature"],
        "messenger": ["x-hub-signature-256"],
        "telegram": ["x-telegram-bot-api-secret-token"],
        "web": ["x-chatguard-site-key", "authorization", "origin", "host"],
    }[name]

    @FUZZ
    @given(
        body=st.binary(max_size=64),
        values=st.lists(st.tuples(st.sampled_from(names), header_text), max_size=4),
        keep_signature=st.booleans(),
    )
    def run(body: bytes, values: list[tuple[str, str]], keep_signature: bool) -> None:
        headers = sign(name, body, "token") if keep_signature else {}
        for header, value in values:
            headers[header] = value
        if name == "web" and draw_token_prefix(values):
            headers["authorization"] = "Bearer v1." + WIDGET_CONVERSATION + "." + values[0][1]
        try:
            through_channel(channel, headers, body)
        except IngestError as exc:
            assert 400 <= exc.http_status < 500, exc.http_status

    run()


def draw_token_prefix(values: list[tuple[str, str]]) -> bool:
    """Half the widget cases carry a token that is well-formed up to its random tail."""
    return bool(values) and len(values[0][1]) % 2 == 0


@FUZZ
@given(
    query=st.dictionaries(
        st.sampled_from(["hub.mode", "hub.verify_token", "hub.challenge", "x"]),
        st.one_of(header_text, st.just(MESSENGER_VERIFY), st.just("subscribe")),
        max_size=4,
    )
)
def test_messenger_handshake_raises_only_ingest_errors(query: dict[str, str]) -> None:
    try:
        CHANNELS["messenger"].subscribe(query)  # type: ignore[attr-defined]
    except IngestError as exc:
        assert exc.http_status in (400, 403)


# -- level 2: the real app in-process, answers only ----------------------------------------------


class AckingSink:
    """Acknowledges every message in-process, after encoding it as the real producer does;
    keeps what it could not encode (that would be a message Kafka never gets)."""

    def __init__(self) -> None:
        self.written: list[RawMessage] = []
        self.errors: list[str] = []

    async def enqueue(self, message: RawMessage) -> asyncio.Future:
        try:
            decode_raw(encode(message))
        except Exception as exc:  # recorded and asserted on
            self.errors.append(type(exc).__name__)
            raise
        self.written.append(message)
        future = asyncio.get_running_loop().create_future()
        future.set_result(None)
        return future


@pytest.fixture(scope="module")
def app_client() -> Callable[[], tuple[TestClient, AckingSink]]:
    sink = AckingSink()
    settings_ = IngestSettings(kafka=KafkaSettings(bootstrap="127.0.0.1:1"), body_limit=BODY_LIMIT, metrics_port=0)
    app = build_app(settings_, channels=list(make_channels_for_app()), sink=sink, registry=CollectorRegistry())
    # No lifespan: the sink needs no producer, and the widget's chat.nlp consumer is not needed to post.
    client = TestClient(app, base_url="http://ingest", raise_server_exceptions=False)
    return client, sink  # type: ignore[return-value]


def make_channels_for_app() -> list[Channel]:
    return list(CHANNELS.values())


@pytest.mark.parametrize(("name", "variant"), CASES, ids=CASE_IDS)
def test_app_never_answers_500(app_client, name: str, variant: str, caplog: pytest.LogCaptureFixture) -> None:
    client, sink = app_client
    path = CHANNELS[name].path

    @FUZZ_HTTP
    @given(sent=bodies(name, variant))
    def run(sent: tuple[bytes, str | None]) -> None:
        body, encoding = sent
        response = client.post(path, content=body, headers=headers_for(name, variant, body, encoding))
        failures = [r.getMessage() for r in caplog.records if "request failed" in r.getMessage()]
        assert response.status_code != 500, (response.status_code, response.text, failures)
        assert response.status_code < 500 or response.status_code == 503, response.status_code
        assert not sink.errors, sink.errors

    run()


@FUZZ_HTTP
@given(
    site_key=st.one_of(st.just(SITE_KEY), header_text.filter(lambda s: s.isascii())),
    authorization=st.one_of(st.none(), st.just(f"Bearer {WIDGET_TOKEN}"), header_text.filter(lambda s: s.isascii())),
    origin=st.one_of(st.none(), header_text.filter(lambda s: s.isascii()), st.just("http://ingest")),
)
def test_widget_session_never_answers_500(
    app_client, site_key: str, authorization: str | None, origin: str | None
) -> None:
    client, _ = app_client
    headers = {"x-chatguard-site-key": site_key}
    if authorization is not None:
        headers["authorization"] = authorization
    if origin is not None:
        headers["origin"] = origin
    response = client.post("/widget/session", headers=headers)
    assert response.status_code < 500, (response.status_code, response.text)


@FUZZ_HTTP
@given(
    frames=st.lists(
        st.one_of(
            st.builds(lambda p: json.dumps(p, ensure_ascii=False), mutated("web", "token")),
            unicode_text,
            st.binary(max_size=100),
        ),
        min_size=1,
        max_size=5,
    )
)
def test_widget_websocket_frames_get_an_answer(app_client, frames: list[str | bytes]) -> None:
    """Every frame after the hello gets an ack or an error frame; the connection stays up."""
    client, _ = app_client
    with client.websocket_connect("/widget/ws") as ws:
        ws.send_text(json.dumps({"type": "hello", "site_key": SITE_KEY, "token": WIDGET_TOKEN}))
        assert ws.receive_json()["type"] == "ready"
        for frame in frames:
            if isinstance(frame, bytes):
                ws.send_bytes(frame)
            else:
                ws.send_text(frame)
            reply = ws.receive_json()
            assert reply["type"] in ("ack", "error"), reply
