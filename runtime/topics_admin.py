"""Create chatguard's topics from schemas.topics, idempotently."""

from __future__ import annotations

from collections.abc import Iterable

from runtime.kafka import KafkaSettings
from schemas.errors import ChatguardError
from schemas.topics import TopicSpec


class TopicAdminError(ChatguardError):
    """Kafka refused to create, grow, describe or configure a topic (often: the principal's
    ACLs do not allow it). The message names the topic and Kafka's error."""

    exit_code = 2
    metric_reason = "topic_admin"


async def apply_topics(kafka: KafkaSettings, specs: Iterable[TopicSpec]) -> dict[str, str]:
    """Create missing topics and align the retention of existing ones.

    Returns topic name -> "created" | "updated" (partitions grown) | "configured" (settings changed) |
    "unchanged". Partition counts are never lowered (Kafka cannot); a topic with fewer partitions than
    specified is grown. A topic that already matches its spec is only described, never altered, so a
    principal with Describe and DescribeConfigs on the topics (the worker's ACLs, schemas/acls.py) can
    run this to check them.
    """
    from aiokafka.admin import AIOKafkaAdminClient, NewPartitions, NewTopic
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    specs = list(specs)
    admin = AIOKafkaAdminClient(**kafka.aiokafka_kwargs())
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        outcome: dict[str, str] = {}
        missing = [s for s in specs if s.name not in existing]
        if missing:
            response = await admin.create_topics(
                [
                    NewTopic(s.name, s.partitions, kafka.replication_factor, topic_configs=s.topic_config())
                    for s in missing
                ]
            )
            _raise_for_errors(response.topic_errors, "create")
            outcome.update({s.name: "created" for s in missing})
        present = [s for s in specs if s.name in existing]
        if present:
            described = await admin.describe_topics([s.name for s in present])
            partitions = {t["topic"]: len(t["partitions"]) for t in described}
            grow = {s.name: NewPartitions(s.partitions) for s in present if partitions.get(s.name, 0) < s.partitions}
            if grow:
                await admin.create_partitions(grow)
            current = await _topic_overrides(admin, [s.name for s in present])
            stale = [s for s in present if current.get(s.name) != s.topic_config()]
            if stale:
                # AlterConfigs replaces a topic's whole config: the spec is the complete definition.
                responses = await admin.alter_configs(
                    [ConfigResource(ConfigResourceType.TOPIC, s.name, configs=s.topic_config()) for s in stale]
                )
                for response in responses:
                    _raise_for_errors([(r[3], r[0], r[1]) for r in response.resources], "configure")
            configured = {s.name for s in stale}
            outcome.update(
                {
                    s.name: "updated" if s.name in grow else "configured" if s.name in configured else "unchanged"
                    for s in present
                }
            )
        return outcome
    finally:
        await admin.close()


_DYNAMIC_TOPIC_CONFIG = 1  # DescribeConfigs config_source: set on the topic itself (not a default)


async def _topic_overrides(admin, names: list[str]) -> dict[str, dict[str, str]]:
    """Topic name -> the settings set on the topic itself (what AlterConfigs last wrote)."""
    from aiokafka.admin.config_resource import ConfigResource, ConfigResourceType

    responses = await admin.describe_configs([ConfigResource(ConfigResourceType.TOPIC, name) for name in names])
    overrides: dict[str, dict[str, str]] = {}
    for response in responses:
        for error_code, error_message, _type, name, entries in response.resources:
            _raise_for_errors([(name, error_code, error_message)], "describe the settings of")
            overrides[name] = {entry[0]: entry[1] for entry in entries if entry[3] == _DYNAMIC_TOPIC_CONFIG}
    return overrides


_TOPIC_ALREADY_EXISTS = 36  # another process created it between our list and create: fine


def _raise_for_errors(errors, action: str) -> None:
    for error in errors:
        topic, code = error[0], error[1]
        if code not in (0, _TOPIC_ALREADY_EXISTS):
            message = error[2] if len(error) > 2 else ""
            from aiokafka.errors import for_code

            raise TopicAdminError(
                f"cannot {action} topic {topic}: {for_code(code).__name__} (Kafka error {code})"
                + (f": {message}" if message else "")
            )
