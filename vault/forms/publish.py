"""A form's one event onto ``chat.raw``, acknowledged by every in-sync replica before it returns.

Blocking on purpose: the forms store calls it inside the database transaction that keeps the
values, so a write Kafka did not acknowledge is not committed either. Its timeout (4 s) stays well
under SQLite's busy timeout (10 s): a Kafka stall delays the worker's vault writes, never fails them.
"""

from __future__ import annotations

import logging
import threading

from confluent_kafka import KafkaError, KafkaException, Producer

from runtime.kafka import KafkaSettings
from schemas.codec import encode
from schemas.errors import Unreachable
from schemas.raw import RawMessage
from schemas.topics import RAW


class RawPublisher:
    def __init__(self, kafka: KafkaSettings, timeout_s: float = 4.0) -> None:
        self._producer = Producer(
            {
                **kafka.librdkafka_config(),
                "acks": "all",
                "enable.idempotence": True,
                "linger.ms": 0,
                "message.timeout.ms": int(timeout_s * 1000),
                "logger": logging.getLogger("chatguard.forms.kafka"),  # not librdkafka's own stderr
            }
        )
        self._timeout_s = timeout_s
        self._lock = threading.Lock()  # one form at a time: forms are rare, order is simple

    def __call__(self, event: RawMessage) -> None:
        failure: list[KafkaError] = []
        done = threading.Event()

        def delivered(error: KafkaError | None, _message: object) -> None:
            if error is not None:
                failure.append(error)
            done.set()

        # Keyed as the connectors key (connectors/producer.py): the conversation keeps its order.
        key = event.conversation_id
        with self._lock:
            try:
                self._producer.produce(RAW.name, encode(event), key=key.encode(), on_delivery=delivered)
            except (KafkaException, BufferError) as exc:
                raise Unreachable(f"chat.raw refused the form's event ({type(exc).__name__})") from None
            self._producer.flush(self._timeout_s + 1)
        if not done.is_set() or failure:
            why = failure[0].name() if failure else "no acknowledgement in time"
            raise Unreachable(f"Kafka did not acknowledge the form's event ({why}); nothing was kept, try again")

    def close(self) -> None:
        self._producer.flush(self._timeout_s)
