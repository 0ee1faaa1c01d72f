"""The Kafka ACLs each chatguard role needs: the only place they are written down.

Every topic comes from ``schemas.topics``. A role is what a process does (``ingest`` writes
``chat.raw``, ``worker`` turns it into the clean topics, ...); a principal is who it runs as on a
given cluster (``User:chatguard-ingest``). ``bindings`` turns roles and principals into ACL
bindings (``runtime/acls_admin.py`` applies them: ``chatguard topics acls``), ``stale`` names the
ALLOW ACLs of managed principals that the table no longer grants, and the README's table is ``markdown_table()`` (tests/schemas/test_acls.py keeps the two equal).

Only the unredacted ``chat.raw`` is written by ``ingest`` and read by ``worker``; no other role has
any access to it. ``ingest`` writes chat.raw and nothing else: the widget's redacted echo (the
ingest service reading ``chat.nlp``) is the separate ``widget`` role, granted only where the widget
is enabled (usually to the ingest service's principal). ``chat.quarantine`` (ids and error classes, never text) is written by the worker
and read by the canary only. ``chat.policy`` (the detection policy) is written by the console only
(approved versions; an admin may also run ``chatguard policy publish``) and read by the workers.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from schemas.topics import AUDIT, CLEAN_TOPICS, ERASURE, NLP, POLICY, QUARANTINE, RAW, STORAGE


class ResourceType(enum.IntEnum):
    """Kafka's resource type codes (org.apache.kafka.common.resource.ResourceType)."""

    UNKNOWN = 0
    ANY = 1
    TOPIC = 2
    GROUP = 3
    CLUSTER = 4
    TRANSACTIONAL_ID = 5
    DELEGATION_TOKEN = 6
    USER = 7


class Operation(enum.IntEnum):
    """Kafka's ACL operation codes (org.apache.kafka.common.acl.AclOperation)."""

    UNKNOWN = 0
    ANY = 1
    ALL = 2
    READ = 3
    WRITE = 4
    CREATE = 5
    DELETE = 6
    ALTER = 7
    DESCRIBE = 8
    CLUSTER_ACTION = 9
    DESCRIBE_CONFIGS = 10
    ALTER_CONFIGS = 11
    IDEMPOTENT_WRITE = 12
    CREATE_TOKENS = 13
    DESCRIBE_TOKENS = 14
    TWO_PHASE_COMMIT = 15

    @property
    def label(self) -> str:
        """As kafka-acls.sh spells it: Read, Describe, IdempotentWrite."""
        return self.name.title().replace("_", "")


class PatternType(enum.IntEnum):
    UNKNOWN = 0
    ANY = 1
    MATCH = 2
    LITERAL = 3
    PREFIXED = 4


class Permission(enum.IntEnum):
    UNKNOWN = 0
    ANY = 1
    DENY = 2
    ALLOW = 3


CLUSTER_RESOURCE = "kafka-cluster"  # the one name of the cluster resource

# The workers' consumer group unless CHATGUARD_CONSUMER_GROUP says otherwise.
WORKER_GROUP = "chatguard-worker"
# The console's storage sink (console/sink.py): chat.storage into the console's database.
CONSOLE_SINK_GROUP = "chatguard-console-sink"

_READ = (Operation.READ, Operation.DESCRIBE)
_WRITE = (Operation.WRITE, Operation.DESCRIBE)
# Placeholder for the role's consumer group in a Grant, resolved by ``bindings``.
GROUP = "<group>"
# Placeholder for the prefix of the role's transactional ids: its group and "-".
TRANSACTIONS = "<group>-"


@dataclass(frozen=True, slots=True)
class Grant:
    """Operations a role is allowed on one resource: a literal name, or (``pattern``
    PREFIXED) every name starting with it."""

    resource_type: ResourceType
    name: str
    operations: tuple[Operation, ...]
    note: str = ""
    pattern: PatternType = PatternType.LITERAL

    def describe_resource(self, group: str | None = None) -> str:
        if self.resource_type is ResourceType.CLUSTER:
            return "the cluster"
        name = _resolve(self.name, group)
        if self.pattern is PatternType.PREFIXED:
            return f"{self.resource_type.name.lower().replace('_', ' ')}s prefixed `{name}`"
        return f"{self.resource_type.name.lower()} `{name}`"


def _resolve(name: str, group: str | None) -> str:
    if name == GROUP and group:
        return group
    if name == TRANSACTIONS and group:
        return f"{group}-"
    return name


@dataclass(frozen=True, slots=True)
class Role:
    name: str
    runs: str  # what runs as this role
    example_principal: str
    grants: tuple[Grant, ...]
    # The consumer group the role joins, if it joins one (overridable per deployment).
    default_group: str | None = None


def _consumer_role(destination: str) -> Role:
    topic = CLEAN_TOPICS[destination].name
    return Role(
        name=destination,
        runs=f"{destination} consumers of `{topic}`",
        example_principal=f"User:{destination}",
        grants=(
            Grant(ResourceType.TOPIC, topic, _READ),
            Grant(ResourceType.TOPIC, ERASURE.name, _READ, "to drop an erased pseudonym's records"),
            Grant(ResourceType.GROUP, GROUP, _READ, "their own consumer group"),
        ),
        default_group=destination,
    )


_CLEAN_AND_QUARANTINE = (*(spec.name for spec in CLEAN_TOPICS.values()), QUARANTINE.name)

ROLES: Mapping[str, Role] = MappingProxyType(
    {
        "ingest": Role(
            name="ingest",
            runs="connectors: `chatguard ingest`, `chatguard produce`",
            example_principal="User:chatguard-ingest",
            grants=(
                # The idempotent producer needs no IdempotentWrite on the cluster: since Kafka 2.8
                # (KIP-679) Write on a topic is enough to get a producer id.
                Grant(ResourceType.TOPIC, RAW.name, _WRITE),
            ),
        ),
        "widget": Role(
            name="widget",
            runs="the widget's redacted echo in `chatguard ingest` (only where the widget is enabled)",
            example_principal="User:chatguard-ingest",
            grants=(Grant(ResourceType.TOPIC, NLP.name, _READ, "without a group"),),
        ),
        "worker": Role(
            name="worker",
            runs="`chatguard worker`",
            example_principal="User:chatguard-worker",
            # DescribeConfigs: at start-up the worker checks that every topic matches schemas/topics.py
            # (apply_topics only alters a topic that differs, which needs an admin).
            grants=(
                Grant(ResourceType.TOPIC, RAW.name, (*_READ, Operation.DESCRIBE_CONFIGS)),
                *(
                    Grant(ResourceType.TOPIC, name, (*_WRITE, Operation.DESCRIBE_CONFIGS))
                    for name in _CLEAN_AND_QUARANTINE
                ),
                Grant(ResourceType.TOPIC, ERASURE.name, (Operation.DESCRIBE, Operation.DESCRIBE_CONFIGS)),
                Grant(
                    ResourceType.TOPIC,
                    AUDIT.name,
                    (Operation.DESCRIBE, Operation.DESCRIBE_CONFIGS),
                    "checks it at start-up, as every topic",
                ),
                Grant(
                    ResourceType.TOPIC,
                    POLICY.name,
                    (*_READ, Operation.DESCRIBE_CONFIGS),
                    "without a group: the detection policy, followed while running",
                ),
                Grant(ResourceType.GROUP, GROUP, _READ, "`CHATGUARD_CONSUMER_GROUP`"),
                Grant(
                    ResourceType.TRANSACTIONAL_ID,
                    TRANSACTIONS,
                    _WRITE,
                    "`<group>-chat.raw-<partition>`: exactly_once",
                    PatternType.PREFIXED,
                ),
            ),
            default_group=WORKER_GROUP,
        ),
        **{destination: _consumer_role(destination) for destination in CLEAN_TOPICS},
        "vault": Role(
            name="vault",
            runs="`chatguard erase`, `chatguard vault serve` and `chatguard vault forms`",
            example_principal="User:chatguard-vault",
            grants=(
                Grant(ResourceType.TOPIC, ERASURE.name, _WRITE),
                Grant(ResourceType.TOPIC, RAW.name, _WRITE, "secure forms: one event per submitted form"),
            ),
        ),
        "console": Role(
            name="console",
            runs="`chatguard console` (its storage sink, also `chatguard console sink`)",
            example_principal="User:chatguard-console",
            grants=(
                Grant(ResourceType.TOPIC, STORAGE.name, _READ, "the storage sink"),
                Grant(ResourceType.TOPIC, ERASURE.name, _READ, "without a group: deletes erased pseudonyms' messages"),
                Grant(ResourceType.GROUP, GROUP, _READ, "the storage sink's"),
                Grant(
                    ResourceType.TOPIC,
                    POLICY.name,
                    (Operation.READ, Operation.WRITE, Operation.DESCRIBE),
                    "without a group: publishes approved detection policy versions",
                ),
                Grant(ResourceType.TOPIC, AUDIT.name, _WRITE, "the audit relay"),
            ),
            default_group=CONSOLE_SINK_GROUP,
        ),
        "siem": Role(
            name="siem",
            runs="your SIEM's consumer of the audit log",
            example_principal="User:siem",
            grants=(
                Grant(ResourceType.TOPIC, AUDIT.name, _READ),
                Grant(ResourceType.GROUP, GROUP, _READ, "its own consumer group"),
            ),
            default_group="chatguard-siem",
        ),
        "canary": Role(
            name="canary",
            runs="`chatguard canary` (joins no group)",
            example_principal="User:chatguard-canary",
            grants=tuple(Grant(ResourceType.TOPIC, name, _READ) for name in _CLEAN_AND_QUARANTINE),
        ),
    }
)


@dataclass(frozen=True, slots=True, order=True)
class AclBinding:
    """One ACL entry; the ones chatguard creates are ALLOW, from any host, on a literal name."""

    principal: str
    resource_type: ResourceType
    resource_name: str
    operation: Operation
    pattern_type: PatternType = PatternType.LITERAL
    host: str = "*"
    permission: Permission = Permission.ALLOW

    def __str__(self) -> str:
        kind = "" if self.pattern_type is PatternType.LITERAL else f" ({self.pattern_type.name.lower()})"
        return f"{self.principal}\t{self.permission.name}\t{self.operation.label}\t{self.resource_type.name}:{self.resource_name}{kind}"


_PRINCIPAL = re.compile(r"^[A-Za-z][A-Za-z0-9]*:[^\s]+$")


def principal(name: str) -> str:
    """``User:name`` from ``name`` or ``Type:name``."""
    text = name.strip()
    if ":" not in text:
        text = f"User:{text}"
    if not _PRINCIPAL.match(text):
        raise ValueError(f"principal {name!r}: expected NAME or Type:NAME without spaces")
    return text


def bindings(principals: Mapping[str, str], groups: Mapping[str, str] | None = None) -> list[AclBinding]:
    """ACL bindings giving each role in ``principals`` (role -> principal) what it needs.

    ``groups`` (role -> consumer group) overrides a role's default group. Sorted, without repeats.
    """
    groups = dict(groups or {})
    unknown = sorted((set(principals) | set(groups)) - set(ROLES))
    if unknown:
        raise ValueError(f"unknown role {', '.join(unknown)} (roles: {', '.join(ROLES)})")
    result: set[AclBinding] = set()
    for role_name, who in principals.items():
        role = ROLES[role_name]
        group = groups.get(role_name, role.default_group)
        if role_name in groups and role.default_group is None:
            raise ValueError(f"role {role_name} joins no consumer group")
        if group is not None and not group.strip():
            raise ValueError(f"role {role_name}: empty consumer group")
        for grant in role.grants:
            name = CLUSTER_RESOURCE if grant.resource_type is ResourceType.CLUSTER else _resolve(grant.name, group)
            for operation in grant.operations:
                result.add(AclBinding(principal(who), grant.resource_type, name, operation, grant.pattern))
    return sorted(result)


def markdown_table() -> str:
    """The README's ACL table."""
    lines = ["| role | runs | principal (example) | allow | on |", "|---|---|---|---|---|"]
    for role in ROLES.values():
        first = True
        for grant in role.grants:
            ops = ", ".join(op.label for op in grant.operations)
            on = grant.describe_resource(role.default_group)
            if grant.note:
                on += f" ({grant.note})"
            head = [f"`{role.name}`", role.runs, f"`{role.example_principal}`"] if first else ["", "", ""]
            lines.append("| " + " | ".join([*head, ops, on]) + " |")
            first = False
    return "\n".join(lines) + "\n"


def stale(present: Iterable[AclBinding], wanted: Iterable[AclBinding], managed: Iterable[str]) -> list[AclBinding]:
    """The ALLOW bindings of the ``managed`` principals that ``wanted`` no longer holds (a grant
    dropped from the table, an old consumer group). DENY bindings are an admin's own: kept."""
    wanted, managed = set(wanted), set(managed)
    return sorted(b for b in present if b.principal in managed and b.permission is Permission.ALLOW and b not in wanted)
