"""The role -> ACL table (schemas/acls.py): least privilege around chat.raw, bindings, the README copy."""

from __future__ import annotations

import ast
import io
import re
from pathlib import Path

import pytest

from runtime.acls_admin import parse_assignments, run_acls_command
from runtime.kafka import KafkaSettings
from schemas import acls
from schemas.acls import (
    GROUP,
    ROLES,
    WORKER_GROUP,
    AclBinding,
    Operation,
    ResourceType,
    bindings,
    markdown_table,
    principal,
)
from schemas.topics import CLEAN_TOPICS, POLICY, QUARANTINE, RAW, all_topics

ROOT = Path(__file__).resolve().parents[2]
R, W, D = Operation.READ, Operation.WRITE, Operation.DESCRIBE


def grants_on(topic: str) -> dict[str, set[Operation]]:
    """role -> operations it is allowed on ``topic``."""
    found: dict[str, set[Operation]] = {}
    for role in ROLES.values():
        for grant in role.grants:
            if grant.resource_type is ResourceType.TOPIC and grant.name == topic:
                found.setdefault(role.name, set()).update(grant.operations)
    return found


def test_only_ingest_and_the_secure_forms_write_and_only_the_worker_reads_chat_raw():
    assert grants_on(RAW.name) == {"ingest": {W, D}, "vault": {W, D}, "worker": {R, D, Operation.DESCRIBE_CONFIGS}}


def test_only_the_worker_writes_the_clean_topics_and_quarantine():
    for spec in (*CLEAN_TOPICS.values(), QUARANTINE):
        writers = {role for role, ops in grants_on(spec.name).items() if ops & {W, Operation.ALL, Operation.ALTER}}
        assert writers == {"worker"}, spec.name


def test_every_topic_is_covered_by_the_worker():
    worker_topics = {g.name for g in ROLES["worker"].grants if g.resource_type is ResourceType.TOPIC}
    assert worker_topics == {spec.name for spec in all_topics()}


def test_only_the_console_writes_and_only_the_siem_reads_the_audit_copy():
    assert grants_on("chat.audit") == {"console": {W, D}, "siem": {R, D}, "worker": {D, Operation.DESCRIBE_CONFIGS}}


@pytest.mark.parametrize("destination", list(CLEAN_TOPICS))
def test_a_consumer_role_reads_its_own_topic_and_group_only(destination):
    role = ROLES[destination]
    assert role.default_group == destination
    assert {(g.resource_type, g.name): set(g.operations) for g in role.grants} == {
        (ResourceType.TOPIC, CLEAN_TOPICS[destination].name): {R, D},
        (ResourceType.TOPIC, "chat.erasure"): {R, D},  # erasure notices: drop an erased pseudonym's records
        (ResourceType.GROUP, GROUP): {R, D},
    }


def test_only_the_console_writes_the_policy_and_the_worker_reads_it_without_a_group():
    writers = {role for role, ops in grants_on(POLICY.name).items() if ops & {W, Operation.ALL, Operation.ALTER}}
    assert writers == {"console"}
    assert grants_on(POLICY.name)["console"] == {R, W, D}  # reads it too: the version in force
    assert grants_on(POLICY.name)["worker"] == {R, D, Operation.DESCRIBE_CONFIGS}
    # Both read it from the beginning with no consumer group: nothing to commit, every worker reads it all.
    result = bindings({"worker": "User:w", "console": "User:c"})
    assert AclBinding("User:w", ResourceType.TOPIC, POLICY.name, R) in result
    assert AclBinding("User:c", ResourceType.TOPIC, POLICY.name, W) in result
    assert not any(b.principal == "User:c" and b.resource_name == RAW.name for b in result)


def test_quarantine_is_read_by_the_canary_only():
    readers = {role for role, ops in grants_on(QUARANTINE.name).items() if R in ops}
    assert readers == {"canary"}


def test_no_role_gets_broad_rights():
    broad = {
        Operation.ALL,
        Operation.ALTER,
        Operation.ALTER_CONFIGS,
        Operation.CREATE,
        Operation.DELETE,
        Operation.CLUSTER_ACTION,
    }
    for role in ROLES.values():
        for grant in role.grants:
            assert not broad & set(grant.operations), (role.name, grant)
            assert grant.resource_type in (ResourceType.TOPIC, ResourceType.GROUP, ResourceType.TRANSACTIONAL_ID), (
                role.name,
                grant,
            )
            # The one prefix: the worker's own transactional ids, under its group's name.
            assert grant.pattern is acls.PatternType.LITERAL or (role.name, grant.name) == ("worker", acls.TRANSACTIONS)


def test_bindings_expand_roles_principals_and_groups():
    result = bindings({"analytics": "bi", "worker": "User:w"}, {"analytics": "bi-reports"})
    assert result == sorted(result) and len(result) == len(set(result))
    assert AclBinding("User:bi", ResourceType.TOPIC, "chat.analytics", R) in result
    assert AclBinding("User:bi", ResourceType.GROUP, "bi-reports", R) in result
    assert AclBinding("User:w", ResourceType.GROUP, WORKER_GROUP, R) in result
    assert AclBinding("User:w", ResourceType.TOPIC, "chat.raw", R) in result
    assert not any(b.principal == "User:bi" and b.resource_name == "chat.raw" for b in result)
    assert all(b.host == "*" and b.permission is acls.Permission.ALLOW for b in result)
    assert all(
        b.pattern_type is acls.PatternType.LITERAL
        for b in result
        if b.resource_type is not ResourceType.TRANSACTIONAL_ID
    )
    assert (
        AclBinding(
            "User:w", ResourceType.TRANSACTIONAL_ID, f"{WORKER_GROUP}-", acls.Operation.WRITE, acls.PatternType.PREFIXED
        )
        in result
    )
    # 5 topics x 3 operations, chat.erasure 2, chat.policy 3, chat.audit 2, the group's 2, the transactional ids' 2
    assert len([b for b in result if b.principal == "User:w"]) == 26


@pytest.mark.parametrize(
    ("principals", "groups", "message"),
    [
        ({"admin": "x"}, None, "unknown role admin"),
        ({"ingest": "x"}, {"ingest": "g"}, "joins no consumer group"),
        ({"worker": "x"}, {"worker": " "}, "empty consumer group"),
        ({"worker": "two words"}, None, "principal"),
        ({"worker": "User:"}, None, "principal"),
    ],
)
def test_bindings_refuse_bad_input(principals, groups, message):
    with pytest.raises(ValueError, match=message):
        bindings(principals, groups)


def test_principal_names():
    assert principal("chatguard-worker") == "User:chatguard-worker"
    assert principal(" User:x ") == "User:x"
    assert principal("Group:ops") == "Group:ops"


def test_operation_labels_are_kafka_acls_spelling():
    assert [op.label for op in (R, Operation.IDEMPOTENT_WRITE, Operation.DESCRIBE_CONFIGS)] == [
        "Read",
        "IdempotentWrite",
        "DescribeConfigs",
    ]


def test_readme_acl_table_is_the_code():
    readme = (ROOT / "README.md").read_text()
    found = re.search(r"<!-- acl-table:begin[^>]*-->\n(.*?)<!-- acl-table:end -->", readme, re.S)
    assert found, "README.md: the ACL table markers are missing"
    assert found.group(1) == markdown_table(), "README.md's ACL table differs from schemas.acls.markdown_table()"


def test_markdown_table_names_every_role_and_topic():
    table = markdown_table()
    for role in ROLES:
        assert f"| `{role}` |" in table
    for spec in all_topics():
        assert f"`{spec.name}`" in table


def test_worker_group_default_matches_the_worker_settings():
    from pipeline.settings import Settings

    assert Settings.from_env({"CHATGUARD_PSEUDONYM_KEY": "0123456789abcdef" * 2}).consumer_group == WORKER_GROUP


def test_schemas_acls_imports_neither_pipeline_nor_connectors():
    tree = ast.parse((ROOT / "schemas" / "acls.py").read_text())
    modules = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    modules |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not {m for m in modules if m.split(".")[0] in ("pipeline", "connectors")}


def test_parse_assignments():
    assert parse_assignments(["worker=User:w", " analytics = bi "], "principal") == {
        "worker": "User:w",
        "analytics": "bi",
    }
    for bad in (["worker"], ["=x"], ["worker="]):
        with pytest.raises(ValueError, match="expected ROLE=PRINCIPAL"):
            parse_assignments(bad, "principal")
    with pytest.raises(ValueError, match="given twice"):
        parse_assignments(["worker=a", "worker=b"], "principal")


def test_acls_command_dry_run_prints_the_bindings_and_uses_the_worker_group(capsys):
    out = io.StringIO()
    code = run_acls_command(KafkaSettings(), ["worker=w"], [], True, out, {"worker": "wg", "analytics": "ignored"})
    assert code == 0
    lines = out.getvalue().splitlines()
    assert lines == [str(b) for b in bindings({"worker": "w"}, {"worker": "wg"})]
    assert "User:w\tALLOW\tRead\tGROUP:wg" in lines
    assert not any("ignored" in line for line in lines)


@pytest.mark.parametrize(
    ("principals", "groups", "message"),
    [
        ([], [], "at least one --principal"),
        (["nobody=x"], [], "unknown role"),
        (["ingest=x"], ["ingest=g"], "no consumer group"),
    ],
)
def test_acls_command_refuses_bad_arguments(capsys, principals, groups, message):
    # Exit 2 before any connection (the bootstrap points nowhere).
    code = run_acls_command(KafkaSettings(bootstrap="127.0.0.1:1"), principals, groups, False, io.StringIO())
    assert code == 2
    assert message in capsys.readouterr().err


def test_ingest_writes_chat_raw_only_and_the_widget_echo_is_a_role_of_its_own():
    assert {(g.resource_type, g.name): set(g.operations) for g in ROLES["ingest"].grants} == {
        (ResourceType.TOPIC, RAW.name): {W, D}
    }
    assert {(g.resource_type, g.name): set(g.operations) for g in ROLES["widget"].grants} == {
        (ResourceType.TOPIC, "chat.nlp"): {R, D}
    }
    assert ROLES["widget"].default_group is None  # reads without a group


def test_stale_allow_acls_of_managed_principals_are_found_and_nothing_else():
    from schemas.acls import Permission, stale

    wanted = bindings({"ingest": "chatguard-ingest"})
    dropped = AclBinding("User:chatguard-ingest", ResourceType.TOPIC, "chat.nlp", R)  # the old table's grant
    old_group = AclBinding("User:chatguard-ingest", ResourceType.GROUP, "old-group", R)
    deny = AclBinding("User:chatguard-ingest", ResourceType.TOPIC, "chat.storage", R, permission=Permission.DENY)
    someone_else = AclBinding("User:analytics", ResourceType.TOPIC, "chat.analytics", R)
    present = [*wanted, dropped, old_group, deny, someone_else]
    assert stale(present, wanted, ["User:chatguard-ingest"]) == sorted([dropped, old_group])
    assert stale(present, wanted, []) == []
    # Both of a principal's roles in one run: nothing of either is stale.
    both = bindings({"ingest": "chatguard-ingest", "widget": "chatguard-ingest"})
    assert stale([*both], both, ["User:chatguard-ingest"]) == []


def test_every_binding_of_the_table_maps_to_confluent_kafka_and_back():
    from runtime.acls_admin import _confluent, _ours

    every = bindings({role: f"User:{role}" for role in ROLES})
    cluster = AclBinding("User:x", ResourceType.CLUSTER, acls.CLUSTER_RESOURCE, Operation.IDEMPOTENT_WRITE)
    for binding in (*every, cluster):
        assert _ours(_confluent(binding)) == binding
    assert _confluent(cluster).restype.name == "BROKER"  # confluent-kafka's name for Kafka's CLUSTER


def test_librdkafka_config_is_the_same_connection_as_aiokafka_kwargs():
    kafka = KafkaSettings(
        bootstrap="k:9093",
        security_protocol="SASL_SSL",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username="u",
        sasl_password="p",
        ssl_cafile="/ca.pem",
    )
    assert kafka.librdkafka_config() == {
        "bootstrap.servers": "k:9093",
        "security.protocol": "SASL_SSL",
        "sasl.mechanism": "SCRAM-SHA-512",
        "sasl.username": "u",
        "sasl.password": "p",
        "ssl.ca.location": "/ca.pem",
    }
    assert KafkaSettings().librdkafka_config() == {
        "bootstrap.servers": "127.0.0.1:9092",
        "security.protocol": "PLAINTEXT",
    }


def test_acls_command_against_no_broker_fails_at_once_in_one_line(capsys):
    import time

    kafka = KafkaSettings(
        bootstrap="127.0.0.1:1",
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism="PLAIN",
        sasl_username="admin",
        sasl_password="s3cret-never-printed",
    )
    started = time.monotonic()
    code = run_acls_command(kafka, ["worker=w"], [], False, io.StringIO())
    err = capsys.readouterr().err
    assert code == 1
    assert time.monotonic() - started < 10  # librdkafka's "all brokers down", not the request timeout
    assert err.count("\n") == 1 and "unreachable (_ALL_BROKERS_DOWN)" in err, err
    assert "s3cret" not in err
