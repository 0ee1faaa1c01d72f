"""The widget's echo: the chat.nlp consumer that feeds a visitor's stream its redacted events.

One Kafka consumer per process, no consumer group: every partition of chat.nlp is assigned
here (and re-assigned when partitions are added); no committed offsets, so "latest" puts each
partition at its end and only events written from now on are streamed. Nothing here ever reads
``chat.raw``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import orjson
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import KafkaError

from connectors.widget.hub import Hub
from runtime.kafka import KafkaSettings
from schemas.codec import decode_redacted
from schemas.errors import SchemaError
from schemas.topics import NLP

log = logging.getLogger("chatguard.ingest.widget")


class RedactedEcho:
    """Reads chat.nlp and publishes ``channel``'s events to ``hub`` by conversation pseudonym."""

    def __init__(
        self, channel: str, hub: Hub, kafka: KafkaSettings, *, start_wait_s: float = 5.0, retry_s: float = 2.0
    ) -> None:
        self._channel = channel
        self._hub = hub
        self._kafka = kafka
        self._start_wait_s = start_wait_s
        self._retry_s = retry_s
        self.ready = asyncio.Event()  # set once the consumer is positioned: later events will stream
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        """Start consuming in the background; wait briefly for it, never for long: while Kafka
        is unreachable the service still serves (streams open, and fill once Kafka is back)."""
        self._task = asyncio.create_task(self._consume(), name="widget-chat.nlp-consumer")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.ready.wait(), self._start_wait_s)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None

    async def _consume(self) -> None:
        while True:
            consumer = AIOKafkaConsumer(
                NLP.name,
                group_id=None,
                enable_auto_commit=False,
                auto_offset_reset="latest",
                **self._kafka.aiokafka_kwargs(),
            )
            try:
                await consumer.start()
                await _position_at_end(consumer)
                self.ready.set()
                log.info("widget: streaming redacted events from %s", NLP.name)
                while True:
                    batch = await consumer.getmany(timeout_ms=1000, max_records=500)
                    for records in batch.values():
                        for record in records:
                            self.dispatch(record.value)
            except asyncio.CancelledError:
                raise
            except (KafkaError, OSError) as exc:
                log.warning(
                    "widget: %s not readable (%s); retrying in %.0f s", NLP.name, type(exc).__name__, self._retry_s
                )
            finally:
                self.ready.clear()
                await consumer.stop()
            await asyncio.sleep(self._retry_s)

    def dispatch(self, value: bytes | None) -> None:
        """One chat.nlp record to the hub, as a server-sent event chunk."""
        if not value:
            return
        try:
            message = decode_redacted(value)
        except SchemaError as exc:
            log.warning("widget: skipped an invalid %s event (%s)", NLP.name, exc.field)
            return
        if message.channel != self._channel:
            return  # conversation ids of other channels are not the widget's to show
        payload = {
            "event_id": message.event_id,
            "text": message.text,
            "findings": [
                {"entity_type": f.entity_type, "start": f.start, "end": f.end, "score": f.score}
                for f in message.findings
            ],
        }
        chunk = b"id: " + message.event_id.encode() + b"\ndata: " + orjson.dumps(payload) + b"\n\n"
        self._hub.publish(message.conversation_id, message.event_id, chunk)


async def _position_at_end(consumer: AIOKafkaConsumer) -> None:
    """Wait for the partitions, then resolve their end offsets now rather than at the first
    fetch, so that ``ready`` means: every later event will be seen."""
    waited = 0.0
    while not consumer.assignment():
        if waited == 10.0:
            log.warning("widget: still waiting for topic %s (run `chatguard topics apply`)", NLP.name)
        await asyncio.sleep(0.2)
        waited = round(waited + 0.2, 1)
    for tp in consumer.assignment():
        await consumer.position(tp)
