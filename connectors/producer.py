"""The one way the ingest tier writes to chat.raw: idempotent, acks=all, keyed by conversation."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging

from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    InvalidProducerEpoch,
    KafkaConnectionError,
    KafkaError,
    OutOfOrderSequenceNumber,
    UnknownProducerId,
)

from runtime.kafka import KafkaSettings
from schemas.codec import encode
from schemas.raw import RawMessage
from schemas.topics import RAW

log = logging.getLogger("chatguard.ingest")

# An idempotent producer numbers its batches per partition. When batches expire unsent (Kafka
# was down longer than request_timeout_ms), the numbering has a gap the broker refuses, with
# one of these, for every later batch: aiokafka does not recover from that by itself.
_SEQUENCE_BROKEN = (OutOfOrderSequenceNumber, UnknownProducerId, InvalidProducerEpoch)


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
        self._replacing: asyncio.Task | None = None

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
        if self._replacing is not None:
            self._replacing.cancel()
            await asyncio.gather(self._replacing, return_exceptions=True)
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
        producer = self._producer
        if producer is None:
            raise KafkaConnectionError("producer not connected yet")
        future = await producer.send(RAW.name, encode(message), key=message.conversation_id.encode())
        future.add_done_callback(functools.partial(self._check_sequence, producer))
        return future

    def _check_sequence(self, producer: AIOKafkaProducer, future: asyncio.Future) -> None:
        if future.cancelled() or not isinstance(future.exception(), _SEQUENCE_BROKEN):
            return
        if producer is self._producer and self._replacing is None:
            log.warning(
                "Kafka refused the producer's sequence (%s); starting a new producer", type(future.exception()).__name__
            )
            self._replacing = asyncio.ensure_future(self._replace(producer))

    async def _replace(self, broken: AIOKafkaProducer) -> None:
        """A new producer (new producer id, numbering from zero); meanwhile ``enqueue`` refuses.
        What the broken one still holds fails, so its callers answer 503 and platforms retry."""
        try:
            self._producer = None
            with contextlib.suppress(Exception):  # it is being discarded; a failing stop changes nothing
                await asyncio.wait_for(broken.stop(), timeout=5)
            await self.start_eventually()
        finally:
            self._replacing = None
