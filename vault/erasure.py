"""Telling the downstream stores: an erasure notice on ``chat.erasure``, acknowledged by Kafka."""

from __future__ import annotations

from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer

from runtime.kafka import KafkaSettings
from schemas.erasure import ErasureNotice
from schemas.topics import ERASURE


async def publish_erasure(kafka: KafkaSettings, subject: str) -> ErasureNotice:
    notice = ErasureNotice(subject, datetime.now(UTC).isoformat(timespec="seconds"))
    producer = AIOKafkaProducer(**kafka.aiokafka_kwargs(), acks="all", enable_idempotence=True)
    await producer.start()
    try:
        await producer.send_and_wait(ERASURE.name, notice.encode(), key=notice.key())
    finally:
        await producer.stop()
    return notice
