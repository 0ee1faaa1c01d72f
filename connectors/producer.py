"""The one way the ingest tier writes to chat.raw: idempotent, acks=all, keyed by conversation."""

from __future__ import annotations

import asyncio

from aiokafka import AIOKafkaProducer

from schemas.codec import encode
from schemas.kafka import KafkaSettings
from schemas.raw import RawMessage
from schemas.topics import RAW


class RawProducer:
    """A message counts as accepted only when ``send`` has returned: Kafka acknowledged it
    on every in-sync replica. Callers answer their clients after that, never before."""

    def __init__(self, kafka: KafkaSettings, *, linger_ms: int = 2, request_timeout_ms: int = 10_000) -> None:
        self._producer = AIOKafkaProducer(
            acks="all",
            enable_idempotence=True,
            linger_ms=linger_ms,
            request_timeout_ms=request_timeout_ms,
            **kafka.aiokafka_kwargs(),
        )

    async def start(self) -> None:
        try:
            await self._producer.start()
        except BaseException:
            await self._producer.stop()  # release the half-open client before reporting
            raise

    async def stop(self) -> None:
        await self._producer.stop()

    async def __aenter__(self) -> RawProducer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def enqueue(self, message: RawMessage) -> asyncio.Future:
        """Hand a message to the producer; the returned future resolves on Kafka's ack."""
        return await self._producer.send(RAW.name, encode(message), key=message.conversation_id.encode())

    async def send(self, message: RawMessage) -> None:
        await (await self.enqueue(message))
