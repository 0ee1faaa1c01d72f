"""The one way the ingest tier writes to chat.raw: idempotent, acks=all, keyed by conversation."""

from __future__ import annotations

import asyncio
import logging

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaConnectionError, KafkaError

from schemas.codec import encode
from schemas.kafka import KafkaSettings
from schemas.raw import RawMessage
from schemas.topics import RAW

log = logging.getLogger("chatguard.ingest")


class RawProducer:
    """A message counts as accepted only when its future has resolved: Kafka acknowledged it
    on every in-sync replica. Callers answer their clients after that, never before."""

    def __init__(self, kafka: KafkaSettings, *, linger_ms: int = 2, request_timeout_ms: int = 10_000) -> None:
        self._kwargs = dict(
            acks="all",
            enable_idempotence=True,
            linger_ms=linger_ms,
            request_timeout_ms=request_timeout_ms,
            **kafka.aiokafka_kwargs(),
        )
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        producer = AIOKafkaProducer(**self._kwargs)
        try:
            await producer.start()
        except BaseException:
            await producer.stop()  # release the half-open client before reporting
            raise
        self._producer = producer

    async def start_eventually(self, retry_s: float = 2.0) -> None:
        """Keep trying to connect; meanwhile ``enqueue`` refuses, so callers answer 503."""
        while True:
            try:
                await self.start()
                return
            except KafkaError as exc:
                log.warning("Kafka not reachable (%s); retrying in %.0f s", type(exc).__name__, retry_s)
                await asyncio.sleep(retry_s)

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()
            self._producer = None

    async def __aenter__(self) -> RawProducer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def enqueue(self, message: RawMessage) -> asyncio.Future:
        """Hand a message to the producer; the returned future resolves on Kafka's ack."""
        if self._producer is None:
            raise KafkaConnectionError("producer not connected yet")
        return await self._producer.send(RAW.name, encode(message), key=message.conversation_id.encode())

    async def send(self, message: RawMessage) -> None:
        await (await self.enqueue(message))
