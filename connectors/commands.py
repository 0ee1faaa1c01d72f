"""The ingest tier's sub-commands: ingest, traffic, sample-bot, sample, produce, canary. Never imports the pipeline."""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING

from schemas.errors import ConfigError, Unreachable

if TYPE_CHECKING:
    from schemas.raw import RawMessage


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("ingest", help="run the ingest service: channel webhooks -> chat.raw")
    p.add_argument("--host", help="listen address (default CHATGUARD_INGEST_HOST or 127.0.0.1)")
    p.add_argument("--port", type=int, help="listen port (default CHATGUARD_INGEST_PORT or 8080)")
    p.set_defaults(run=_run_ingest)

    p = sub.add_parser("traffic", help="send sample chat traffic to the ingest service, signed as each platform signs")
    p.add_argument("--url", default="http://127.0.0.1:8080", help="the ingest service")
    p.add_argument("--rate", type=float, default=50, help="requests per second (0: as fast as possible)")
    p.add_argument("--count", type=int, default=None, help="stop after this many (default: until Ctrl-C)")
    p.add_argument("--seed", type=int, default=7)
    p.set_defaults(run=_run_traffic)

    p = sub.add_parser(
        "sample-bot",
        help="a stand-in bot for make run: takes chatguard's signed secure-form links, writes them to a file",
    )
    p.add_argument("--port", type=int, default=8093)
    p.add_argument("--out", required=True, help="file the links are appended to (the demo's chat; owner-only)")
    p.add_argument(
        "--secret-env", default="CHATGUARD_FORMS_BOT_TOKEN", help="environment variable holding the shared bot token"
    )
    p.set_defaults(run=_run_sample_bot)

    p = sub.add_parser("sample", help="write synthetic RawMessage JSONL (with fake PII) to stdout")
    p.add_argument("--count", type=int, default=100)
    p.add_argument("--seed", type=int, default=7)
    p.set_defaults(run=_run_sample)

    p = sub.add_parser("produce", help="send RawMessage JSONL (a file or -) or sample traffic to chat.raw")
    p.add_argument("file", nargs="?", help="RawMessage JSONL file, or - for stdin")
    p.add_argument("--sample", action="store_true", help="send generated sample traffic instead of a file")
    p.add_argument(
        "--count", type=int, default=None, help="with --sample: stop after this many (default: until Ctrl-C)"
    )
    p.add_argument("--rate", type=float, default=0, help="messages per second (0: as fast as Kafka takes them)")
    p.add_argument("--quiet", action="store_true")
    p.set_defaults(run=_run_produce)

    p = sub.add_parser(
        "canary",
        help="leak probe: send synthetic PII through the ingest service, check the clean topics never carry it",
        description="Exit status (once): 0 ok (arrived redacted on every clean topic), 1 leak, 2 timeout or error.",
    )
    p.add_argument("--url", default="http://127.0.0.1:8080", help="the ingest service's base URL")
    p.add_argument(
        "--channel",
        default="http",
        choices=["http", "slack", "messenger", "telegram", "web"],
        help="send as this channel, signed with its secret from the environment (default: http)",
    )
    p.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the probe on every clean topic")
    p.add_argument("--interval", type=float, default=None, help="probe every S seconds, forever (default: once)")
    p.add_argument("--metrics-port", type=int, default=None, help="serve Prometheus metrics on this port")
    p.add_argument("--settle", type=float, default=1.0, help="after arrival, keep watching this long for late copies")
    p.add_argument("--domain", default="canary.chatguard.example.org", help="domain of the canary e-mail addresses")
    p.add_argument("--value-file", help="write each probe's synthetic values (JSON) here just before sending it")
    p.set_defaults(run=_run_canary)


def _run_canary(args: argparse.Namespace) -> int:
    from connectors.canary import run

    return run(args)


def _run_ingest(args: argparse.Namespace) -> int:
    import logging

    import uvicorn

    from connectors.service import build_app, serve_metrics
    from connectors.settings import IngestSettings
    from runtime.logs import configure_logging, server_level

    level = configure_logging()
    settings = IngestSettings.from_env()
    app = build_app(settings)
    try:
        serve_metrics(settings, app.registry)
    except OSError as exc:
        raise ConfigError(
            f"cannot serve metrics on {settings.metrics_host}:{settings.metrics_port} ({exc.strerror}); "
            "set CHATGUARD_INGEST_METRICS_PORT"
        ) from None
    # No access log: request lines carry query strings (verify tokens, conversation ids).
    # uvicorn sets its own loggers' level: never below INFO (at DEBUG/TRACE they print frames).
    uvicorn.run(
        app,
        host=args.host or settings.host,
        port=args.port if args.port is not None else settings.port,
        access_log=False,
        log_level=logging.getLevelName(server_level(level)).lower(),
        server_header=False,
        # Client addresses (the widget's rate limits) are the peer's: behind a proxy, every
        # visitor shares the proxy's address (see the README's widget section).
        proxy_headers=False,
        # A WebSocket frame is read whole before the app sees it: no larger than a request body.
        ws_max_size=settings.body_limit,
        timeout_graceful_shutdown=5,  # open SSE streams must not hold a restart for long
    )
    return 0


def _run_traffic(args: argparse.Namespace) -> int:
    from connectors.settings import IngestSettings
    from connectors.traffic import platform_requests, send

    try:
        settings = IngestSettings.from_env()
        requests = platform_requests(settings, seed=args.seed, count=args.count)
        statuses = asyncio.run(send(args.url, requests, rate=args.rate))
    except ValueError as exc:  # a channel without its secret, a bad URL: named, never a value
        raise ConfigError(str(exc)) from None
    print("chatguard traffic: " + ", ".join(f"HTTP {k}: {v}" for k, v in sorted(statuses.items())), file=sys.stderr)
    return 0 if all(200 <= k < 300 for k in statuses) else 1


def _run_sample_bot(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    import uvicorn

    from connectors.sample_bot import append_to, build_app

    secret = os.environ.get(args.secret_env, "")
    if not secret:
        raise ConfigError(f"{args.secret_env}: required (the token chatguard signs its calls to the bot with)")
    app = build_app(secret.encode(), append_to(Path(args.out)))
    uvicorn.run(app, host="127.0.0.1", port=args.port, access_log=False, log_level="warning", server_header=False)
    return 0


def _run_sample(args: argparse.Namespace) -> int:
    from connectors.sample import SampleTraffic
    from schemas.codec import encode

    out = sys.stdout.buffer
    for raw, _ in SampleTraffic(args.seed).messages(args.count):
        out.write(encode(raw) + b"\n")
    out.flush()
    return 0


def _run_produce(args: argparse.Namespace) -> int:
    if bool(args.file) == bool(args.sample):
        raise ConfigError("give a FILE (or -) or --sample, not both")
    from aiokafka.errors import KafkaError

    try:
        return asyncio.run(_produce(args))
    except KafkaError as exc:
        raise Unreachable(
            f"Kafka refused or is unreachable ({type(exc).__name__}); check CHATGUARD_KAFKA_BOOTSTRAP"
        ) from None


async def _produce(args: argparse.Namespace) -> int:
    from connectors.producer import RawProducer
    from connectors.sample import SampleTraffic
    from runtime.kafka import KafkaSettings
    from schemas.codec import decode_raw
    from schemas.errors import SchemaError

    invalid = 0

    def from_file() -> Iterator[RawMessage]:
        with sys.stdin if args.file == "-" else open(args.file, encoding="utf-8") as stream:
            for number, line in enumerate(stream, start=1):
                if not line.strip():
                    continue
                try:
                    yield decode_raw(line)
                except SchemaError as exc:
                    nonlocal invalid
                    invalid += 1
                    print(f"chatguard produce: line {number}: {exc}", file=sys.stderr)

    messages = (raw for raw, _ in SampleTraffic().messages(args.count)) if args.sample else from_file()
    interval = 1.0 / args.rate if args.rate > 0 else 0.0
    sent = 0
    pending = []
    async with RawProducer(KafkaSettings.from_env()) as producer:
        next_at = time.monotonic()
        for raw in messages:
            pending.append(await producer.enqueue(raw))
            if interval:
                next_at += interval
                delay = next_at - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
            if len(pending) >= 1000:
                await asyncio.gather(*pending)
                sent += len(pending)
                pending.clear()
        await asyncio.gather(*pending)
        sent += len(pending)
    if not args.quiet:
        print(f"chatguard produce: {sent} messages acknowledged by Kafka, {invalid} invalid lines", file=sys.stderr)
    return 1 if invalid else 0
