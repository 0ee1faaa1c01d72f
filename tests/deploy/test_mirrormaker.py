"""Hybrid hosting, for real: MirrorMaker 2, run from Kafka's own jars between two real brokers with
the unchanged files of deploy/mirrormaker/, copies the clean topics to the "cloud" cluster and
nothing else: in dedicated mode (mm2.properties) and as a connector on a Kafka Connect worker
(mirror-source-connector.json).

The client's cluster is secured (SASL/PLAIN, StandardAuthorizer) and MirrorMaker logs in to it as
a principal of its own with no right to write, create or join a group there. Here it may read every
topic, so that the allowlist alone keeps the rest back (in production its ACLs, the clean topics
only, are a second wall; with them this test could not see an allowlist mistake). Records go to
every topic of schemas/topics.py and to topics named like what must never leave: the vault's,
retries and audit trails of chat.raw, look-alikes of the clean names. Once the clean records are in
the cloud, the cloud cluster holds no topic but those and MirrorMaker's own, and no byte of any
other record nor of the client-side password; the client's cluster got no topic and no consumer
group from MirrorMaker. A second batch, written while MirrorMaker runs, must follow the same way.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

from runtime.acls_admin import apply_acls, describe_acls
from runtime.kafka import KafkaSettings
from runtime.topics_admin import apply_topics
from schemas.acls import AclBinding, ResourceType, principal
from schemas.topics import all_topics
from tests.support.brokers import broker_env, kafka_brokers
from tests.support.mirrormaker import CLEAN, CONNECTOR_JSON, MIRROR_OPERATIONS, MM2_PROPERTIES, kafka_tool
from tests.support.ports import free_port
from tests.support.processes import tail

pytestmark = [pytest.mark.integration, pytest.mark.slow, pytest.mark.timeout(240)]

ADMIN, MIRROR = "admin", "chatguard-mirror"
# Besides every chatguard topic: names that must never reach the cloud either. Look-alikes of the
# clean names ("chat-nlp" would match an unescaped "chat.nlp"; "chat.analytics.raw" a prefix match).
EXTRA_TOPICS = ("vault.values", "vault.audit", "chat.raw.retry", "chat.audit", "chat-nlp", "chat.analytics.raw")
# MirrorMaker's own topics on the cloud cluster (Connect state, offset syncs, checkpoints, the
# heartbeats topic it creates but, with heartbeats off, never writes) and Kafka's.
MM2_INTERNAL = re.compile(
    r"mm2-(configs|offsets|status|offset-syncs)\.client\.internal|client\.checkpoints\.internal|heartbeats|__consumer_offsets"
)
STEP_S = 90  # bound on waiting for MirrorMaker to deliver one batch


@dataclass(frozen=True)
class Clusters:
    client: KafkaSettings  # as admin
    cloud: str  # PLAINTEXT bootstrap
    mirror_password: str
    tmp: Path


@pytest.fixture(scope="module")
def clusters(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Clusters]:
    tmp = tmp_path_factory.mktemp("mirrormaker")
    passwords = {ADMIN: secrets.token_urlsafe(24), MIRROR: secrets.token_urlsafe(24)}
    users = tmp / "users"
    users.touch(mode=0o600)
    users.write_text("".join(f"{user}:{password}\n" for user, password in passwords.items()))
    secured = {"CHATGUARD_KAFKA_SASL_USERS_FILE": str(users), "CHATGUARD_KAFKA_SASL_ADMIN": ADMIN}
    envs = [broker_env(tmp / "client", secured), broker_env(tmp / "cloud")]
    with kafka_brokers(envs) as (client, cloud):
        admin = KafkaSettings(
            bootstrap=client,
            security_protocol="SASL_PLAINTEXT",
            sasl_mechanism="PLAIN",
            sasl_username=ADMIN,
            sasl_password=passwords[ADMIN],
        )
        asyncio.run(_prepare_client(admin))
        yield Clusters(admin, cloud, passwords[MIRROR], tmp)


async def _prepare_client(admin: KafkaSettings) -> None:
    """chatguard's topics as `chatguard topics apply` makes them, the extra ones, MirrorMaker's ACLs."""
    await apply_topics(admin, all_topics())
    client = AdminClient(admin.librdkafka_config())
    ours = {spec.name for spec in all_topics()}  # chat.audit is one of them now
    for future in client.create_topics([NewTopic(n, 1, 1) for n in EXTRA_TOPICS if n not in ours]).values():
        future.result(timeout=30)
    # Read on every topic ("*"), not just mirror_bindings(MIRROR): see the module's docstring.
    wanted = [AclBinding(principal(MIRROR), ResourceType.TOPIC, "*", op) for op in MIRROR_OPERATIONS]
    await apply_acls(admin, wanted)
    deadline = time.monotonic() + 30
    while not set(wanted) <= set(await describe_acls(admin)):  # in force on the broker, not just committed
        assert time.monotonic() < deadline, "MirrorMaker's ACLs never showed up"
        await asyncio.sleep(0.2)


def _topics(admin: AdminClient) -> set[str]:
    return set(admin.list_topics(timeout=30).topics)


async def _write_markers(admin: KafkaSettings, topics: set[str], batch: str) -> dict[str, bytes]:
    """One record per topic whose value and header name it; keyed (chat.erasure is compacted)."""
    markers = {topic: f"marker {batch} {topic} {secrets.token_hex(8)}".encode() for topic in topics}
    producer = AIOKafkaProducer(acks="all", enable_idempotence=True, **admin.aiokafka_kwargs())
    await producer.start()
    try:
        sent = [
            await producer.send(topic, value, key=b"marker", headers=[("marker", value)])
            for topic, value in markers.items()
        ]
        await asyncio.gather(*sent)
    finally:
        await producer.stop()
    return markers


async def _everything(bootstrap: str) -> list[bytes]:
    """Every key, value and header value of every record of every topic on the cluster, internal
    ones included, from the beginning to the current end."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    metadata = admin.list_topics(timeout=30)
    partitions = [TopicPartition(t, p) for t, meta in metadata.topics.items() for p in meta.partitions]
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        found: list[bytes] = []
        deadline = time.monotonic() + 60
        while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
            assert time.monotonic() < deadline, "could not read the cloud cluster to its end"
            for records in (await consumer.getmany(timeout_ms=500)).values():
                for record in records:
                    found += [record.key or b"", record.value or b"", *(v for _k, v in record.headers)]
        return found
    finally:
        await consumer.stop()


async def _wait_for(bootstrap: str, markers: dict[str, bytes], log: Path) -> None:
    """Until every one of ``markers`` (topic -> value) is on the cloud cluster."""
    deadline = time.monotonic() + STEP_S
    admin = AdminClient({"bootstrap.servers": bootstrap})
    while True:
        if set(markers) <= _topics(admin):
            found = set(await _everything(bootstrap))
            if set(markers.values()) <= found:
                return
        assert time.monotonic() < deadline, f"the clean records never reached the cloud cluster:\n{tail(log)}"
        await asyncio.sleep(1)


def _mm2_env(clusters: Clusters) -> dict[str, str]:
    """The MM2_* variables mm2.properties reads, as compose and Kubernetes set them."""
    return {
        "MM2_CLIENT_BOOTSTRAP": clusters.client.bootstrap,
        "MM2_CLIENT_SECURITY_PROTOCOL": "SASL_PLAINTEXT",
        "MM2_CLIENT_SASL_MECHANISM": "PLAIN",
        "MM2_CLIENT_SASL_JAAS_CONFIG": "org.apache.kafka.common.security.plain.PlainLoginModule required "
        f'username="{MIRROR}" password="{clusters.mirror_password}";',
        "MM2_CLOUD_BOOTSTRAP": clusters.cloud,
        "MM2_CLOUD_SECURITY_PROTOCOL": "PLAINTEXT",
        "MM2_CLOUD_SASL_MECHANISM": "PLAIN",
        "MM2_CLOUD_SASL_JAAS_CONFIG": "",
    }


def _copies_the_clean_topics_only(clusters: Clusters, args: list[str], name: str) -> None:
    """Run ``kafka.sh ARGS`` against the two clusters and check what reached the cloud."""
    client_admin = AdminClient(clusters.client.librdkafka_config())
    cloud_admin = AdminClient({"bootstrap.servers": clusters.cloud})
    source_topics = {t for t in _topics(client_admin) if not t.startswith("__")}
    assert source_topics > CLEAN and source_topics > set(EXTRA_TOPICS)
    assert not {t for t in _topics(cloud_admin) if not MM2_INTERNAL.fullmatch(t)} - CLEAN

    log = clusters.tmp / f"{name}.log"
    markers = asyncio.run(_write_markers(clusters.client, source_topics, f"{name} before"))
    with kafka_tool(args, _mm2_env(clusters), log) as proc:
        asyncio.run(_wait_for(clusters.cloud, {t: v for t, v in markers.items() if t in CLEAN}, log))
        # While it runs: a second batch takes the same way.
        later = asyncio.run(_write_markers(clusters.client, source_topics, f"{name} while running"))
        asyncio.run(_wait_for(clusters.cloud, {t: v for t, v in later.items() if t in CLEAN}, log))
        assert proc.poll() is None, tail(log)
        cloud_topics = _topics(cloud_admin)
        everything = asyncio.run(_everything(clusters.cloud))

    # The cloud holds the clean topics and MirrorMaker's own, under the same names.
    assert {t for t in cloud_topics if not MM2_INTERNAL.fullmatch(t)} == CLEAN
    # ... and not a byte of any other topic's records, in any topic (MirrorMaker's included).
    blob = b"\n".join(everything)
    for topic in source_topics - CLEAN:
        for batch in (markers, later):
            assert batch[topic] not in blob, f"a record of {topic} reached the cloud cluster"
    # Connect keeps its connectors' configuration in the cloud; the client-side login stays an
    # ${env:...} reference there, never the password.
    assert clusters.mirror_password.encode() not in blob
    # MirrorMaker wrote nothing to the client's cluster: no topic, no consumer group.
    assert {t for t in _topics(client_admin) if not t.startswith("__")} == source_topics
    groups = client_admin.list_consumer_groups().result(timeout=30).valid
    assert not groups, [g.group_id for g in groups]
    errors = [line for line in log.read_text(errors="replace").splitlines() if " ERROR " in line]
    assert not errors, errors[:5]


def test_dedicated_mirror_maker_copies_the_clean_topics_and_nothing_else(clusters: Clusters):
    _copies_the_clean_topics_only(clusters, ["mirror", str(MM2_PROPERTIES)], "dedicated")


def test_the_connector_config_copies_the_clean_topics_and_nothing_else(clusters: Clusters):
    """mirror-source-connector.json on a standalone Connect worker attached to the cloud cluster
    (a Connect cluster writes a source connector's records to its own Kafka cluster)."""
    worker = clusters.tmp / "connect-worker.properties"
    worker.write_text(
        f"""bootstrap.servers={clusters.cloud}
key.converter=org.apache.kafka.connect.converters.ByteArrayConverter
value.converter=org.apache.kafka.connect.converters.ByteArrayConverter
offset.storage.file.filename={clusters.tmp / "connect.offsets"}
listeners=http://127.0.0.1:{free_port()}
# What the connector's ${{env:MM2_...}} references need on every worker.
config.providers=env
config.providers.env.class=org.apache.kafka.common.config.provider.EnvVarConfigProvider
config.providers.env.param.allowlist.pattern=MM2_.*
"""
    )
    _copies_the_clean_topics_only(clusters, ["connect-standalone", str(worker), str(CONNECTOR_JSON)], "connect")
