"""Reading and writing ``chat.policy``: the latest record is the active detection policy."""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import KafkaError

from runtime.kafka import KafkaSettings
from schemas.errors import Unreachable
from schemas.policy import POLICY_KEY, PolicyDocument
from schemas.topics import POLICY


async def latest_policy(kafka: KafkaSettings) -> PolicyDocument | None:
    """The active document (None: nothing published, or withdrawn). A record that does not
    validate raises SchemaError: the caller decides (the workers keep theirs)."""
    consumer = AIOKafkaConsumer(enable_auto_commit=False, **kafka.aiokafka_kwargs())
    try:
        await consumer.start()
        partition = TopicPartition(POLICY.name, 0)
        consumer.assign([partition])
        end = (await consumer.end_offsets([partition]))[partition]
        if end == 0:
            return None
        # From a little before the end: the last offsets may be transaction markers, not records.
        consumer.seek(partition, max(0, end - 50))
        last: bytes | None = None
        while await consumer.position(partition) < end:
            batch = await consumer.getmany(partition, timeout_ms=5000)
            if not batch:
                break
            for record in batch.get(partition, []):
                last = record.value
        return None if last is None else PolicyDocument.decode(last)
    except KafkaError as exc:
        raise Unreachable(f"cannot read {POLICY.name} at {kafka.bootstrap} ({type(exc).__name__})") from None
    finally:
        await consumer.stop()


async def publish_policy(kafka: KafkaSettings, document: PolicyDocument | None) -> int:
    """Write ``document`` (None: withdraw, the workers return to their files); its offset once
    every in-sync replica has it."""
    producer = AIOKafkaProducer(acks="all", enable_idempotence=True, **kafka.aiokafka_kwargs())
    try:
        await producer.start()
        value = None if document is None else document.encode()
        metadata = await producer.send_and_wait(POLICY.name, value, key=POLICY_KEY)
        return int(metadata.offset)
    except KafkaError as exc:
        raise Unreachable(f"cannot write {POLICY.name} at {kafka.bootstrap} ({type(exc).__name__})") from None
    finally:
        await producer.stop()
