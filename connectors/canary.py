"""``chatguard canary``: a leak probe through the real path, from outside the pipeline.

One probe sends a chat message carrying synthetic PII made up for that probe alone (an e-mail
``canary-<random>@canary.chatguard.example.org`` and a Luhn-valid card number) to the ingest
service as a signed webhook of one enabled channel (the generic HTTP channel by default). It
then reads the clean topics (chat.analytics, chat.storage, chat.nlp) and chat.quarantine from
their end, without a consumer group, until the probe's event (its id derives from the channel
and the message id, as the connectors derive it) has arrived on all three clean topics, and
checks every record that arrived meanwhile, on every one of those topics, for the probe's values.

Outcomes: ``ok`` (arrived everywhere, no value anywhere), ``leak`` (a value appeared: counted
in chatguard_canary_leaks_total), ``timeout`` (not arrived everywhere in time: a failed probe,
not a leak), ``error`` (the ingest service refused the message or Kafka was unreachable).

The e-mail's domain is under example.org (RFC 2606, reserved for examples) rather than .invalid:
Presidio's e-mail recognizer only accepts addresses under a public suffix, so an .invalid
address would never be redacted and every probe would report a leak.

Only the probe's own synthetic values are ever printed; other records are named by topic,
partition and offset, never by their content. Never imports the pipeline.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import secrets
import sys
import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Mapping

import orjson

from connectors.base import event_id_for
from connectors.sample import luhn_complete
from connectors.settings import IngestSettings
from connectors.traffic import SignedRequest, http_request, messenger_request, slack_request, telegram_request, widget_request
from schemas.kafka import KafkaSettings
from schemas.raw import RawMessage
from schemas.topics import CLEAN_TOPICS, QUARANTINE

log = logging.getLogger("chatguard.canary")

CHANNELS = ("http", "slack", "messenger", "telegram", "web")
OUTCOMES = ("ok", "leak", "timeout", "error")
EXIT_STATUS = {"ok": 0, "leak": 1, "timeout": 2, "error": 2}
DEFAULT_DOMAIN = "canary.chatguard.example.org"
CLEAN_TOPIC_NAMES = tuple(spec.name for spec in CLEAN_TOPICS.values())
WATCHED_TOPICS = (*CLEAN_TOPIC_NAMES, QUARANTINE.name)


# -- the probe's values ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CanaryValues:
    """One probe's synthetic identifiers. ``token`` occurs only inside the e-mail address."""

    token: str
    email: str
    card: str
    message_id: str
    conversation_id: str
    sender_id: str

    @classmethod
    def generate(cls, domain: str = DEFAULT_DOMAIN) -> CanaryValues:
        token = secrets.token_hex(8)
        card = luhn_complete("4" + "".join(str(secrets.randbelow(10)) for _ in range(14)))
        return cls(
            token=token,
            email=f"canary-{token}@{domain}",
            card=card,
            message_id=f"canary-msg-{secrets.token_hex(12)}",
            conversation_id=f"canary-conv-{secrets.token_hex(6)}",
            sender_id=f"canary-sender-{secrets.token_hex(6)}",
        )

    @property
    def text(self) -> str:
        return f"Canary probe: please write to {self.email} and charge my card {self.card} today."

    def markers(self) -> dict[str, bytes]:
        """What must never appear downstream: the address, its random part, the card number."""
        return {"email": self.email.encode(), "email-token": self.token.encode(), "card": self.card.encode()}


def find_markers(value: bytes | None, markers: Mapping[str, bytes]) -> list[str]:
    """Names of the markers found in one record's bytes, raw or as JSON-escaped text."""
    if not value:
        return []
    found = [name for name, marker in markers.items() if marker in value]
    if len(found) < len(markers):
        # A JSON writer may escape characters ("\u0040" for "@"); compare the decoded text too.
        try:
            decoded = orjson.dumps(orjson.loads(value), option=orjson.OPT_SORT_KEYS)
        except orjson.JSONDecodeError:
            decoded = b""
        if decoded and decoded != value:
            found += [name for name, marker in markers.items() if name not in found and marker in decoded]
    return found


def build_request(channel: str, settings: IngestSettings, values: CanaryValues) -> tuple[SignedRequest, str]:
    """The signed webhook carrying the canary, and the event id the connectors will give it."""
    raw = RawMessage(
        event_id=values.message_id,
        channel=channel,
        channel_kind="private",
        conversation_id=values.conversation_id,
        sender_id=values.sender_id,
        sent_at="1970-01-01T00:00:00Z",  # unused by the builders: the platforms stamp their own
        text=values.text,
    )
    if channel == "http":
        secret = _need(settings.ingest_hmac_secret, "CHATGUARD_INGEST_HMAC_SECRET", channel)
        return http_request(secret, raw), event_id_for("http", raw.event_id)
    if channel == "slack":
        secret = _need(settings.slack_signing_secret, "CHATGUARD_SLACK_SIGNING_SECRET", channel)
        return slack_request(secret, raw), event_id_for("slack", "Ev" + raw.event_id[:12].upper())
    if channel == "messenger":
        secret = _need(settings.messenger_app_secret, "CHATGUARD_MESSENGER_APP_SECRET", channel)
        return messenger_request(secret, raw), event_id_for("messenger", "m_" + raw.event_id)
    if channel == "telegram":
        token = _need(settings.telegram_secret_token, "CHATGUARD_TELEGRAM_SECRET_TOKEN", channel)
        update_id = secrets.randbelow(2**52) + 1
        return telegram_request(token, raw, update_id=update_id), event_id_for("telegram", str(update_id))
    if channel == "web":
        keys = _need(settings.widget_site_keys, "CHATGUARD_WIDGET_SITE_KEYS", channel)
        return widget_request(sorted(keys)[0], raw), event_id_for("web", raw.event_id)
    raise ValueError(f"unknown channel {channel!r}; one of {', '.join(CHANNELS)}")


def _need(value: Any, name: str, channel: str) -> Any:
    if not value:
        raise ValueError(f"the {channel} channel needs {name}")
    return value


# -- outcome --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Leak:
    topic: str
    partition: int
    offset: int
    markers: tuple[str, ...]


@dataclass
class ProbeResult:
    outcome: str
    event_id: str | None
    values: CanaryValues | None
    duration_s: float
    arrived: dict[str, float] = field(default_factory=dict)  # clean topic -> seconds after sending
    leaks: list[Leak] = field(default_factory=list)
    detail: str = ""

    @property
    def exit_status(self) -> int:
        return EXIT_STATUS[self.outcome]

    def summary(self) -> str:
        head = f"chatguard canary: {self.outcome} in {self.duration_s:.2f} s"
        if self.event_id:
            head += f" (event {self.event_id}"
            if self.values:
                head += f", e-mail {self.values.email}, card {self.values.card}"
            head += ")"
        lines = [head]
        if self.arrived:
            lines.append("  arrived: " + ", ".join(f"{t} after {s:.2f} s" for t, s in sorted(self.arrived.items())))
        missing = [t for t in CLEAN_TOPIC_NAMES if t not in self.arrived]
        if self.outcome in ("timeout", "leak") and missing and self.event_id:
            lines.append("  not arrived: " + ", ".join(missing))
        for leak in self.leaks:
            lines.append(f"  LEAK: {', '.join(leak.markers)} on {leak.topic} partition {leak.partition} offset {leak.offset}")
        if self.detail:
            lines.append(f"  {self.detail}")
        return "\n".join(lines)


# -- metrics --------------------------------------------------------------------------------


class CanaryMetrics:
    def __init__(self, registry: Any = None) -> None:
        from prometheus_client import REGISTRY, Counter, Gauge, Histogram

        registry = REGISTRY if registry is None else registry
        self.leaks = Counter(
            "chatguard_canary_leaks_total", "Probes whose synthetic values appeared on a clean or quarantine topic.",
            registry=registry,
        )
        self.probes = Counter("chatguard_canary_probes_total", "Probes run, by outcome.", ["outcome"], registry=registry)
        for outcome in OUTCOMES:
            self.probes.labels(outcome)  # every series exists from the start, at 0
        self.last_success = Gauge(
            "chatguard_canary_last_success_timestamp_seconds", "Unix time of the last probe that arrived redacted everywhere.",
            registry=registry,
        )
        self.duration = Histogram(
            "chatguard_canary_probe_duration_seconds",
            "From sending the probe until it had arrived on every clean topic (timeouts and errors: until given up).",
            buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 20, 30, 60, 120),
            registry=registry,
        )

    def observe(self, result: ProbeResult) -> None:
        self.probes.labels(result.outcome).inc()
        self.duration.observe(result.duration_s)
        if result.outcome == "leak":
            self.leaks.inc()
        elif result.outcome == "ok":
            self.last_success.set(time.time())


# -- one probe ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProbeConfig:
    url: str
    ingest: IngestSettings
    kafka: KafkaSettings
    channel: str = "http"
    timeout_s: float = 60.0
    settle_s: float = 1.0  # after arrival: keep reading this long for late copies
    domain: str = DEFAULT_DOMAIN


Hook = Callable[[CanaryValues, str], Any]  # (values, event_id); may return an awaitable


async def run_probe(config: ProbeConfig, *, on_armed: Hook | None = None, metrics: CanaryMetrics | None = None) -> ProbeResult:
    """One probe. ``on_armed`` is called once the topics are being watched and just before the
    message is sent (so whatever it writes to those topics is seen)."""
    result = await _probe(config, on_armed)
    if metrics is not None:
        metrics.observe(result)
    return result


async def _probe(config: ProbeConfig, on_armed: Hook | None) -> ProbeResult:
    import httpx
    from aiokafka import AIOKafkaConsumer
    from aiokafka.errors import KafkaError

    values = CanaryValues.generate(config.domain)
    try:
        request, event_id = build_request(config.channel, config.ingest, values)
    except ValueError as exc:
        return ProbeResult("error", None, values, 0.0, detail=str(exc))
    markers = values.markers()
    started = time.monotonic()
    deadline = started + config.timeout_s

    consumer = AIOKafkaConsumer(
        *WATCHED_TOPICS,
        **config.kafka.aiokafka_kwargs(),
        group_id=None,  # no group: every partition is ours, nothing committed, no rebalances
        enable_auto_commit=False,
        auto_offset_reset="latest",
        client_id="chatguard-canary",
    )
    try:
        async with asyncio.timeout(max(1.0, config.timeout_s)):
            await consumer.start()
            while {tp.topic for tp in consumer.assignment()} != set(WATCHED_TOPICS):
                await asyncio.sleep(0.05)  # assigned once the topics' metadata is in
            for tp in consumer.assignment():
                await consumer.position(tp)  # resolve "the end" now, before anything is sent
    except (KafkaError, TimeoutError, OSError) as exc:
        await consumer.stop()
        missing = set(WATCHED_TOPICS) - {tp.topic for tp in consumer.assignment()}
        detail = f"topics not found: {', '.join(sorted(missing))}" if missing else _describe(exc)
        return ProbeResult("error", event_id, values, time.monotonic() - started, detail=f"cannot read Kafka: {detail}")

    try:
        if on_armed is not None:
            maybe = on_armed(values, event_id)
            if inspect.isawaitable(maybe):
                await maybe
        sent_at = time.monotonic()
        try:
            async with httpx.AsyncClient(base_url=config.url, timeout=min(30.0, config.timeout_s)) as client:
                response = await client.post(request.path, content=request.body, headers=request.headers)
        except httpx.HTTPError as exc:
            return ProbeResult("error", event_id, values, time.monotonic() - started, detail=f"ingest unreachable: {_describe(exc)}")
        if not 200 <= response.status_code < 300:
            return ProbeResult(
                "error", event_id, values, time.monotonic() - started,
                detail=f"ingest answered HTTP {response.status_code} on {config.channel} {request.path}",
            )

        arrived: dict[str, float] = {}
        leaks: list[Leak] = []
        drain_to: dict[Any, int] | None = None  # end offsets when the event had arrived everywhere
        complete_at = 0.0
        settle_until = 0.0
        while True:
            now = time.monotonic()
            if drain_to is None and now >= deadline:
                break
            if drain_to is not None and now >= settle_until and await _caught_up(consumer, drain_to):
                break
            if drain_to is not None and now >= settle_until + config.timeout_s:
                break  # cannot catch up (Kafka gone): judge what was read
            batch = await consumer.getmany(timeout_ms=200)
            for tp, records in batch.items():
                for record in records:
                    hit = find_markers(record.value, markers) + find_markers(record.key, markers)
                    if hit:
                        leaks.append(Leak(tp.topic, tp.partition, record.offset, tuple(dict.fromkeys(hit))))
                    if tp.topic in CLEAN_TOPIC_NAMES and tp.topic not in arrived and _event_id(record.value) == event_id:
                        arrived[tp.topic] = time.monotonic() - sent_at
            if drain_to is None and len(arrived) == len(CLEAN_TOPIC_NAMES):
                complete_at = time.monotonic()
                drain_to = await consumer.end_offsets(list(consumer.assignment()))
                settle_until = time.monotonic() + config.settle_s
        # Arrived everywhere: from sending to the last arrival (the settle time is not latency).
        duration = (complete_at - sent_at) if drain_to is not None else time.monotonic() - started
        if leaks:
            return ProbeResult("leak", event_id, values, duration, arrived, leaks)
        if len(arrived) < len(CLEAN_TOPIC_NAMES):
            return ProbeResult(
                "timeout", event_id, values, duration, arrived, detail=f"not on every clean topic within {config.timeout_s:g} s"
            )
        return ProbeResult("ok", event_id, values, duration, arrived)
    except KafkaError as exc:
        return ProbeResult("error", event_id, values, time.monotonic() - started, detail=f"Kafka: {_describe(exc)}")
    finally:
        await consumer.stop()


async def _caught_up(consumer: Any, ends: Mapping[Any, int]) -> bool:
    """Has the consumer read everything up to ``ends`` (offsets per partition)?"""
    for tp, end in ends.items():
        if await consumer.position(tp) < end:
            return False
    return True


def _event_id(value: bytes | None) -> str | None:
    try:
        data = orjson.loads(value) if value else None
    except orjson.JSONDecodeError:
        return None
    return data.get("event_id") if isinstance(data, dict) else None


def _describe(exc: BaseException) -> str:
    return type(exc).__name__  # messages may quote hosts and the like; the class says enough


# -- the command ----------------------------------------------------------------------------


def run(args: Any) -> int:
    logging.basicConfig(level="WARNING", format="%(asctime)s %(levelname)s %(name)s %(message)s")
    try:
        ingest = IngestSettings.from_env()
        config = ProbeConfig(
            url=args.url,
            ingest=ingest,
            kafka=ingest.kafka,
            channel=args.channel,
            timeout_s=args.timeout,
            settle_s=args.settle,
            domain=args.domain,
        )
        build_request(config.channel, ingest, CanaryValues.generate(config.domain))  # the channel's secret is set
    except ValueError as exc:
        print(f"chatguard canary: {exc}", file=sys.stderr)
        return 2
    metrics = CanaryMetrics()
    if args.metrics_port is not None:
        import os

        from prometheus_client import start_http_server

        start_http_server(args.metrics_port, addr=os.environ.get("CHATGUARD_METRICS_ADDR", "127.0.0.1"))

    def armed(values: CanaryValues, event_id: str) -> None:
        if args.value_file:
            record = {"event_id": event_id, "channel": config.channel, **asdict(values), "text": values.text}
            tmp = f"{args.value_file}.tmp"
            with open(tmp, "wb") as f:
                f.write(orjson.dumps(record))
            import os

            os.replace(tmp, args.value_file)  # readers never see half a file

    async def forever() -> int:
        while True:
            began = time.monotonic()
            result = await run_probe(config, on_armed=armed, metrics=metrics)
            print(result.summary(), file=sys.stderr if result.outcome != "ok" else sys.stdout, flush=True)
            if args.interval is None:
                return result.exit_status
            await asyncio.sleep(max(0.0, args.interval - (time.monotonic() - began)))

    return asyncio.run(forever())
