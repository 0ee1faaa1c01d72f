"""Sample chat traffic sent the way each platform sends it: signed webhooks over HTTP.

``make run`` drives the ingest service with it, the ingest benchmark loads it, and tests use
the builders to sign requests exactly as Slack, Meta, Telegram, an app or the widget would.
"""

from __future__ import annotations

import asyncio
import itertools
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import orjson

from connectors.http import http_signature
from connectors.sample import SampleTraffic
from connectors.settings import IngestSettings
from connectors.signatures import hmac_sha256_hex
from connectors.slack import slack_signature
from schemas.raw import RawMessage


@dataclass(frozen=True, slots=True)
class SignedRequest:
    channel: str
    path: str
    headers: dict[str, str]
    body: bytes


def slack_request(secret: bytes, raw: RawMessage, now: float | None = None) -> SignedRequest:
    ts = str(int(time.time() if now is None else now))
    body = orjson.dumps(
        {
            "type": "event_callback",
            "team_id": "T0SAMPLE",
            "event_id": "Ev" + raw.event_id[:12].upper(),
            "event_time": int(ts),
            "event": {
                "type": "message",
                "channel": raw.conversation_id,
                "user": raw.sender_id,
                "text": raw.text,
                "ts": f"{ts}.000100",
            },
        }
    )
    headers = {
        "content-type": "application/json",
        "x-slack-request-timestamp": ts,
        "x-slack-signature": slack_signature(secret, ts, body),
    }
    return SignedRequest("slack", "/webhooks/slack", headers, body)


def messenger_request(app_secret: bytes, raw: RawMessage, now: float | None = None) -> SignedRequest:
    ms = int((time.time() if now is None else now) * 1000)
    body = orjson.dumps(
        {
            "object": "page",
            "entry": [
                {
                    "id": "PAGE1",
                    "time": ms,
                    "messaging": [
                        {
                            "sender": {"id": raw.sender_id},
                            "recipient": {"id": "PAGE1"},
                            "timestamp": ms,
                            "message": {"mid": "m_" + raw.event_id, "text": raw.text},
                        }
                    ],
                }
            ],
        }
    )
    headers = {"content-type": "application/json", "x-hub-signature-256": "sha256=" + hmac_sha256_hex(app_secret, body)}
    return SignedRequest("messenger", "/webhooks/messenger", headers, body)


def telegram_request(secret_token: str, raw: RawMessage, update_id: int, now: float | None = None) -> SignedRequest:
    body = orjson.dumps(
        {
            "update_id": update_id,
            "message": {
                "message_id": update_id,
                "from": {"id": zlib.crc32(raw.sender_id.encode()), "is_bot": False, "first_name": "Sample"},
                "chat": {"id": zlib.crc32(raw.conversation_id.encode()), "type": "private"},
                "date": int(time.time() if now is None else now),
                "text": raw.text,
            },
        }
    )
    headers = {"content-type": "application/json", "x-telegram-bot-api-secret-token": secret_token}
    return SignedRequest("telegram", "/webhooks/telegram", headers, body)


def http_request(secret: bytes, raw: RawMessage, now: float | None = None) -> SignedRequest:
    ts = str(int(time.time() if now is None else now))
    body = orjson.dumps(
        {
            "message_id": raw.event_id,
            "conversation_id": raw.conversation_id,
            "sender_id": raw.sender_id,
            "text": raw.text,
        }
    )
    headers = {
        "content-type": "application/json",
        "x-chatguard-timestamp": ts,
        "x-chatguard-signature": http_signature(secret, ts, body),
    }
    return SignedRequest("http", "/ingest", headers, body)


def widget_request(site_key: str, raw: RawMessage) -> SignedRequest:
    body = orjson.dumps(
        {
            "message_id": raw.event_id,
            "conversation_id": raw.conversation_id,
            "sender_id": raw.sender_id,
            "text": raw.text,
        }
    )
    return SignedRequest(
        "web", "/widget/messages", {"content-type": "application/json", "x-chatguard-site-key": site_key}, body
    )


def platform_requests(settings: IngestSettings, seed: int = 7, count: int | None = None) -> Iterator[SignedRequest]:
    """Sample messages, each sent through the next enabled channel in turn, signed as it signs."""
    # The settings are frozen: each secret, checked set here, is the one its builder signs with.
    builders: list[Callable[[RawMessage, int], SignedRequest]] = []
    if slack_secret := settings.slack_signing_secret:
        builders.append(lambda raw, i: slack_request(slack_secret, raw))
    if messenger_secret := settings.messenger_app_secret:
        builders.append(lambda raw, i: messenger_request(messenger_secret, raw))
    if telegram_token := settings.telegram_secret_token:
        builders.append(lambda raw, i: telegram_request(telegram_token, raw, update_id=seed * 10**9 + i))
    if hmac_secret := settings.ingest_hmac_secret:
        builders.append(lambda raw, i: http_request(hmac_secret, raw))
    if settings.widget_site_keys:
        key = sorted(settings.widget_site_keys)[0]
        builders.append(lambda raw, i: widget_request(key, raw))
    if not builders:
        raise ValueError("no channel secret set: nothing to sign requests with")
    cycle = itertools.cycle(builders)
    for i, (raw, _) in enumerate(SampleTraffic(seed).messages(count)):
        yield next(cycle)(raw, i)


async def send(
    base_url: str, requests: Iterator[SignedRequest], rate: float = 0, concurrency: int = 8
) -> dict[int, int]:
    """POST each request (at ``rate`` per second if > 0); returns a count per HTTP status."""
    import httpx

    statuses: dict[int, int] = {}
    interval = 1.0 / rate if rate > 0 else 0.0
    next_at = time.monotonic()
    semaphore = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=base_url, timeout=10) as client:

        async def one(request: SignedRequest) -> None:
            try:
                response = await client.post(request.path, content=request.body, headers=request.headers)
                status = response.status_code
            except httpx.HTTPError:
                status = 0
            finally:
                semaphore.release()
            statuses[status] = statuses.get(status, 0) + 1

        tasks = set()
        for request in requests:
            await semaphore.acquire()
            task = asyncio.create_task(one(request))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
            if interval:
                next_at += interval
                delay = next_at - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
        await asyncio.gather(*tasks)
    return statuses
