"""deploy/mirrormaker/, read as MirrorMaker reads it (Java properties, its topic and group
filters), without Java: the allowlist against every topic of schemas/topics.py, so that a topic
added there stays on the client's side unless it is declared clean. tests/deploy/test_mirrormaker.py
runs the same files for real."""

from __future__ import annotations

import re

import pytest

from schemas.acls import WORKER_GROUP
from schemas.topics import ERASURE, QUARANTINE, RAW, all_topics
from tests.support.mirrormaker import (
    CLEAN,
    CONNECTOR_JSON,
    MM2_PROPERTIES,
    config_list,
    connector_config,
    env_references,
    mm2_properties,
    parse_properties,
    replicates_group,
    replicates_topic,
)

CONFIGS = {"mm2.properties": mm2_properties(), "mirror-source-connector.json": connector_config()}
# Names that must never cross, besides every non-clean topic of schemas/topics.py: what a
# retry, dead-letter or audit topic of chat.raw or the vault would be called, look-alikes of the
# clean names (an unescaped "." matches any character; a prefix match would take
# "chat.analytics.raw"), MirrorMaker's and Kafka's own topics.
NEVER = (
    "chat.raw.retry", "chat.raw-dlq", "chat.raw.v2", "chat.erasure.v2", "chat.quarantine.dlq",
    "vault", "vault.values", "vault.audit", "chat.vault", "chat.audit", "audit.log",
    "chat-nlp", "chatXanalytics", "chat_storage", "chat.analytics.raw", "chat.storage-v2", "xchat.nlp", "chat.nlp ",
    "heartbeats", "client.heartbeats", "mm2-offsets.client.internal", "mm2-offset-syncs.cloud.internal",
    "client.checkpoints.internal", "chat.nlp.replica", "__consumer_offsets", "__transaction_state",
)  # fmt: skip
FILTERS = (
    "topics", "topics.exclude", "groups", "groups.exclude", "topic.filter.class", "group.filter.class",
    "replication.policy.class", "heartbeats.replication.enabled", "sync.topic.acls.enabled",
)  # fmt: skip


@pytest.mark.parametrize("name", CONFIGS)
def test_only_the_declared_clean_topics_cross(name: str):
    config = CONFIGS[name]
    for spec in all_topics():
        assert replicates_topic(config, spec.name) == (spec.name in CLEAN), spec.name
    for topic in NEVER:
        assert not replicates_topic(config, topic), topic


@pytest.mark.parametrize("name", CONFIGS)
def test_the_allowlist_names_each_clean_topic_literally(name: str):
    """Exact names, dots escaped: no pattern that a future topic could also match."""
    assert sorted(config_list(CONFIGS[name]["topics"])) == sorted(re.escape(topic) for topic in CLEAN)


@pytest.mark.parametrize("name", CONFIGS)
def test_the_exclusions_hold_even_if_the_allowlist_is_widened(name: str):
    widened = {**CONFIGS[name], "topics": ".*"}
    for topic in (RAW.name, ERASURE.name, QUARANTINE.name, "chat.raw.retry", "vault.values", "chat.audit"):
        assert not replicates_topic(widened, topic), topic


def test_both_files_filter_alike_and_keep_the_names():
    dedicated, connector = CONFIGS.values()
    for key in ("topics", "topics.exclude", "replication.policy.class", "sync.topic.acls.enabled"):
        assert config_list(dedicated[key]) == config_list(connector[key]), key
    # Same names on both sides: cloud consumers and their ACLs (schemas/acls.py) are unchanged.
    assert dedicated["replication.policy.class"] == "org.apache.kafka.connect.mirror.IdentityReplicationPolicy"
    # The cloud keeps ACLs of its own; the client's are neither read nor copied.
    assert dedicated["sync.topic.acls.enabled"] == connector["sync.topic.acls.enabled"] == "false"
    # Heartbeats topics would cross whatever the allowlist says.
    assert dedicated["heartbeats.replication.enabled"] == connector["heartbeats.replication.enabled"] == "false"
    assert (connector["source.cluster.alias"], connector["target.cluster.alias"]) == ("client", "cloud")
    assert connector["connector.class"] == "org.apache.kafka.connect.mirror.MirrorSourceConnector"


def test_one_way_from_the_client_to_the_cloud():
    config = CONFIGS["mm2.properties"]
    assert config_list(config["clusters"]) == ["client", "cloud"]
    flows = {
        key.removesuffix(".enabled"): value for key, value in config.items() if re.fullmatch(r"\w+->\w+\.enabled", key)
    }
    assert flows == {"client->cloud": "true", "cloud->client": "false"}
    # Heartbeats on would run the reverse flow anyway, writing into the client's cluster.
    assert config["emit.heartbeats.enabled"] == "false"


def test_the_filters_are_set_once_for_every_flow():
    """A `client->cloud.topics` or `client.topics` would override the top-level allowlist unseen."""
    for name, config in CONFIGS.items():
        for key in config:
            assert key in FILTERS or not any(key.endswith("." + f) for f in FILTERS), f"{name}: {key}"
        assert "topic.filter.class" not in config and "group.filter.class" not in config, name


def test_no_consumer_group_crosses():
    config = CONFIGS["mm2.properties"]
    for group in (WORKER_GROUP, "chatguard-test-1", "analytics", "storage", "nlp", "canary", "anything"):
        assert not replicates_group(config, group), group
    assert config["sync.group.offsets.enabled"] == "false"


def test_nothing_is_written_to_the_clients_cluster():
    # Offset syncs on the cloud (the dedicated mode's checkpoints need them), none at all with the
    # connector alone; Connect's own state always lives where the worker writes: the cloud.
    assert CONFIGS["mm2.properties"]["offset-syncs.topic.location"] == "target"
    assert CONFIGS["mirror-source-connector.json"]["emit.offset-syncs.enabled"] == "false"


@pytest.mark.parametrize("name", CONFIGS)
def test_addresses_and_logins_come_from_the_environment(name: str):
    config = CONFIGS[name]
    connection = [k for k in config if re.search(r"bootstrap|security\.protocol|sasl\.|ssl\.", k)]
    assert len(connection) == 8, connection  # both clusters: bootstrap, protocol, mechanism, JAAS
    for key in connection:
        assert re.fullmatch(r"\$\{env:MM2_[A-Z0-9_]+\}", config[key]), key
    assert env_references(config) == env_references(CONFIGS["mm2.properties"])
    allowed = re.compile(CONFIGS["mm2.properties"]["config.providers.env.param.allowlist.pattern"])
    assert all(allowed.fullmatch(variable) for variable in env_references(config))


def test_no_secret_in_the_files():
    for path in (MM2_PROPERTIES, CONNECTOR_JSON):
        text = path.read_text()
        assert not re.search(r"password\s*=\s*\"?[^\"$\s]", text, re.I), path
        assert not re.search(r"\b[0-9a-fA-F]{24,}\b", text), path


def test_properties_are_read_as_java_reads_them():
    props = parse_properties(
        "# comment\n! comment\nplain = a b \nescaped=chat\\\\.raw\ncolon: x\nspaced   value\n"
        "joined = one, \\\n    two\nunicode=\\u0041\narrow->key.enabled=true\nempty =\n"
    )
    assert props == {
        "plain": "a b ",
        "escaped": "chat\\.raw",
        "colon": "x",
        "spaced": "value",
        "joined": "one, two",
        "unicode": "A",
        "arrow->key.enabled": "true",
        "empty": "",
    }
    with pytest.raises(ValueError, match="topics: set twice"):
        parse_properties("topics = a\ntopics = .*\n")
