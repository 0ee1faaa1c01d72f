"""ACLs against a cluster: describe, create the missing, remove the stale (``chatguard topics acls``).

What each role needs is data in ``schemas/acls.py``; this module is the I/O.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from enum import Enum
from typing import TYPE_CHECKING, TextIO, TypeVar

from runtime.kafka import KafkaSettings
from schemas.acls import (
    ROLES,
    AclBinding,
    Operation,
    PatternType,
    Permission,
    ResourceType,
    bindings,
    principal,
    stale,
)

if TYPE_CHECKING:
    from concurrent.futures import Future

    from confluent_kafka import KafkaError, KafkaException
    from confluent_kafka.admin import AclBinding as ConfluentBinding
    from confluent_kafka.admin import AclBindingFilter

# aiokafka has no ACL calls: confluent-kafka's public AdminClient does them. Its futures are
# waited on in a worker thread (asyncio.to_thread), so the event loop never blocks.
REQUEST_TIMEOUT_S = 30.0
# librdkafka logs every failed (re)connection itself, several a second, to stderr by default.
# Its lines go to this logger at DEBUG instead: the command's one-line error says what failed.
# Without librdkafka's ``debug`` setting (never set here) they carry no credentials.
LIBRDKAFKA_LOGGER = logging.getLogger(f"{__name__}.librdkafka")

T = TypeVar("T")


def _confluent(binding: AclBinding) -> ConfluentBinding:
    """Our binding as confluent's. The enums share Kafka's codes (our CLUSTER is its BROKER)."""
    from confluent_kafka.admin import AclBinding as ConfluentBinding
    from confluent_kafka.admin import AclOperation, AclPermissionType, ResourcePatternType
    from confluent_kafka.admin import ResourceType as ConfluentResourceType

    return ConfluentBinding(
        ConfluentResourceType(int(binding.resource_type)),
        binding.resource_name,
        ResourcePatternType(int(binding.pattern_type)),
        binding.principal,
        binding.host,
        AclOperation(int(binding.operation)),
        AclPermissionType(int(binding.permission)),
    )


def _exact_filter(binding: AclBinding) -> AclBindingFilter:
    """A filter that matches ``binding`` and nothing else (every field set, no ANY)."""
    from confluent_kafka.admin import AclBindingFilter

    exact = _confluent(binding)
    return AclBindingFilter(
        exact.restype,
        exact.name,
        exact.resource_pattern_type,
        exact.principal,
        exact.host,
        exact.operation,
        exact.permission_type,
    )


def _code(value: Enum | str | int) -> int:
    """Kafka's code of one of a confluent binding's enums. confluent's constructor converts
    each to its enum; its stubs still type the attribute as the constructor's input."""
    return value.value  # type: ignore[union-attr]  # an enum at runtime (see above); the stubs keep the input union


def _ours(found: ConfluentBinding) -> AclBinding:
    return AclBinding(
        found.principal,
        ResourceType(_code(found.restype)),
        found.name,
        Operation(_code(found.operation)),
        PatternType(_code(found.resource_pattern_type)),
        found.host,
        Permission(_code(found.permission_type)),
    )


class _DebugLog:
    """What confluent-kafka calls for librdkafka's log lines (``logger.log(level, ...)``): all at DEBUG."""

    def log(self, level: int, msg: str, *args: object) -> None:
        LIBRDKAFKA_LOGGER.debug(msg, *args)


# Errors after which no request can succeed: fail now, as aiokafka did, not at REQUEST_TIMEOUT_S.
_GIVE_UP = frozenset({"_ALL_BROKERS_DOWN", "_AUTHENTICATION", "_SSL"})


class _Admin:
    """confluent's AdminClient for one command, used from one worker thread."""

    def __init__(self, kafka: KafkaSettings) -> None:
        from confluent_kafka.admin import AdminClient

        refusals: list[KafkaError] = []  # not ``self``: a cycle would leave the client to the GC

        def on_error(error: KafkaError) -> None:
            if error.fatal() or error.name() in _GIVE_UP:
                refusals.append(error)

        self.refusals = refusals
        self.client: AdminClient | None = AdminClient(
            # confluent documents callbacks as config entries; its stubs type the values str/int/float/bool only.
            {**kafka.librdkafka_config(), "logger": _DebugLog(), "error_cb": on_error}  # type: ignore[dict-item]
        )

    def wait(self, future: Future[T], what: str) -> T:
        """``future``'s result, serving librdkafka's callbacks meanwhile; KafkaException naming ``what``."""
        from confluent_kafka import KafkaException

        assert self.client is not None
        while True:
            try:
                return future.result(timeout=0.1)
            except TimeoutError:
                pass
            except KafkaException as exc:
                raise _failed(exc, what) from exc
            self.client.poll(0)  # runs on_error and the logger
            if self.refusals:
                raise _failed(KafkaException(self.refusals[0]), what)

    def close(self) -> None:
        """Destroy the client here, in the worker thread (destroying it can block briefly)."""
        client, self.client = self.client, None
        if client is not None:
            client.poll(0)
        del client


def _failed(exc: KafkaException, what: str) -> KafkaException:
    """The same error (same code), its message prefixed with what we were doing."""
    from confluent_kafka import KafkaError, KafkaException

    error = exc.args[0] if exc.args else None
    if not isinstance(error, KafkaError):
        return KafkaException(f"{what}: {exc}")
    return KafkaException(
        KafkaError(error.code(), f"{what}: {error.str()}", fatal=error.fatal(), retriable=error.retriable())
    )


def _error_name(exc: BaseException) -> str:
    """What went wrong, without the message (which may quote the broker): confluent's Kafka
    error name (``CLUSTER_AUTHORIZATION_FAILED``, ``_TRANSPORT``) or else the exception's class."""
    from confluent_kafka import KafkaError

    error = exc.args[0] if exc.args else None
    return error.name() if isinstance(error, KafkaError) else type(exc).__name__


def _describe(admin: _Admin) -> list[AclBinding]:
    from confluent_kafka.admin import AclBindingFilter, AclOperation, AclPermissionType, ResourcePatternType
    from confluent_kafka.admin import ResourceType as ConfluentResourceType

    assert admin.client is not None
    everything = AclBindingFilter(
        ConfluentResourceType.ANY,
        None,  # type: ignore[arg-type]  # None = any name; the stubs say str
        ResourcePatternType.ANY,
        None,  # type: ignore[arg-type]  # None = any principal; the stubs say str
        None,  # type: ignore[arg-type]  # None = any host; the stubs say str
        AclOperation.ANY,
        AclPermissionType.ANY,
    )
    found = admin.wait(
        admin.client.describe_acls(everything, request_timeout=REQUEST_TIMEOUT_S), "cannot describe ACLs"
    )
    return sorted(_ours(binding) for binding in found)


def _describe_sync(kafka: KafkaSettings) -> list[AclBinding]:
    admin = _Admin(kafka)
    try:
        return _describe(admin)
    finally:
        admin.close()


def _apply_sync(kafka: KafkaSettings, wanted: list[AclBinding], prune: list[str]) -> dict[AclBinding, str]:
    admin = _Admin(kafka)
    try:
        assert admin.client is not None
        present = set(_describe(admin))
        outcome: dict[AclBinding, str] = {}
        remove = stale(present, wanted, prune)
        if remove:
            # One exact filter per binding: nothing else can match it.
            filters = {binding: _exact_filter(binding) for binding in remove}
            deleted = admin.client.delete_acls(list(filters.values()), request_timeout=REQUEST_TIMEOUT_S)
            for binding, acl_filter in filters.items():
                admin.wait(deleted[acl_filter], f"cannot delete ACL {binding}")
                outcome[binding] = "removed"
        created: dict[AclBinding, Future[None]] = {}
        create = [binding for binding in wanted if binding not in present]
        if create:
            # One request for all; brokers forward it to the controller, each binding has its result.
            theirs = {binding: _confluent(binding) for binding in create}
            futures = admin.client.create_acls(list(theirs.values()), request_timeout=REQUEST_TIMEOUT_S)
            created = {binding: futures[theirs[binding]] for binding in create}
        for binding in wanted:
            if binding in created:
                admin.wait(created[binding], f"cannot create ACL {binding}")
                outcome[binding] = "created"
            else:
                outcome[binding] = "present"
        return outcome
    finally:
        admin.close()


async def describe_acls(kafka: KafkaSettings) -> list[AclBinding]:
    """Every ACL binding on the cluster (needs Describe on the cluster)."""
    return await asyncio.to_thread(_describe_sync, kafka)


async def apply_acls(
    kafka: KafkaSettings, wanted: Iterable[AclBinding], prune: Iterable[str] = ()
) -> dict[AclBinding, str]:
    """Create the bindings the cluster does not have yet, and delete the stale ALLOW bindings of
    the principals in ``prune`` (everything ``wanted`` does not grant them; see ``stale``).

    Returns binding -> "created" | "present" | "removed". Needs Alter (and Describe) on the
    cluster: run it as an admin (a ``super.users`` principal). A refusal, or a broker that cannot
    be reached or authenticated to, raises confluent-kafka's ``KafkaException``; its
    ``args[0].name()`` is the Kafka error, e.g. ``CLUSTER_AUTHORIZATION_FAILED``.
    """
    return await asyncio.to_thread(_apply_sync, kafka, sorted(set(wanted)), list(prune))


# -- chatguard topics acls ----------------------------------------------------------------------


def parse_assignments(items: Iterable[str], what: str) -> dict[str, str]:
    """``["worker=User:x", ...]`` -> ``{"worker": "User:x"}``; a role at most once."""
    result: dict[str, str] = {}
    for item in items:
        role, sep, value = item.partition("=")
        role, value = role.strip(), value.strip()
        if not (sep and role and value):
            raise ValueError(f"--{what} {item!r}: expected ROLE={what.upper()}")
        if role in result:
            raise ValueError(f"--{what}: role {role} given twice (run the command once per {what})")
        result[role] = value
    return result


def run_acls_command(
    kafka: KafkaSettings,
    principal_args: Iterable[str],
    group_args: Iterable[str],
    dry_run: bool,
    out: TextIO,
    default_groups: Mapping[str, str] | None = None,
) -> int:
    """``chatguard topics acls``: add the ACLs of the given roles and remove the stale ones of
    their principals (whatever the roles named for a principal in this run do not grant it), as
    the principal in ``kafka``. Name every role of a principal in the same run."""
    import sys

    from aiokafka.errors import KafkaError
    from confluent_kafka import KafkaException  # confluent's KafkaError is no exception: it is args[0]

    try:
        principals = parse_assignments(principal_args, "principal")
        if not principals:
            raise ValueError(f"name at least one --principal ROLE=PRINCIPAL (roles: {', '.join(ROLES)})")
        groups = {
            role: group
            for role, group in (default_groups or {}).items()
            if role in principals and ROLES[role].default_group is not None
        }
        groups.update(parse_assignments(group_args, "group"))
        wanted = bindings(principals, groups)
    except ValueError as exc:
        print(f"chatguard: topics acls: {exc}", file=sys.stderr)
        return 2
    managed = sorted({principal(who) for who in principals.values()})
    if dry_run:
        for binding in wanted:
            print(binding, file=out)
        return 0
    try:
        outcome = asyncio.run(apply_acls(kafka, wanted, prune=managed))
    except (KafkaError, KafkaException) as exc:
        reason = _error_name(exc)
        print(
            f"chatguard: topics acls: Kafka at {kafka.bootstrap} refused or is unreachable ({reason});"
            " run it as an admin principal (CHATGUARD_KAFKA_SASL_USERNAME)",
            file=sys.stderr,
        )
        return 1
    for binding, state in outcome.items():
        print(f"{binding}\t{state}", file=out)
    return 0
