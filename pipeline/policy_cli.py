"""``chatguard policy``: show the detection policy in force, publish a version, withdraw it.

``publish`` refuses a document that fails validation (naming the field), one naming an entity type
no recognizer finds, and a version id already used; it prints every change that weakens protection
against the version in force and publishes such a change only with ``--allow-weakening``. The
two-person rule is the console's (an Administrator approves a weakening there); this command only
keeps a weakening from happening by accident. ``withdraw`` writes a tombstone: workers return to
their policy file (``CHATGUARD_POLICY_FILE``, compared here as this process has it).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import orjson

from pipeline.policies import load_document
from pipeline.policy_feed import FILE, Candidate, History, PolicyRejected, read_topic, replay
from pipeline.settings import Settings
from runtime.kafka import KafkaSettings
from schemas.errors import ConfigError, SchemaError, Unreachable
from schemas.policy import POLICY_KEY, PolicyDocument, weakenings
from schemas.topics import POLICY


def run(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """``args``: ``action`` (show, publish, withdraw), and for publish ``file``; ``allow_weakening``, ``dry_run``."""
    from pipeline.detection import supported_entities

    out, err = out or sys.stdout, err or sys.stderr
    settings = Settings.from_env(require_key=False)
    file = load_document(settings.policy_file)
    supported = supported_entities()
    new = read_document(args.file) if args.action == "publish" else None
    if new is not None:  # a bad document fails before Kafka is asked
        _check(lambda: History(file, supported).check(0, POLICY_KEY, new.encode()), args.file)
    records, end = asyncio.run(read_topic(settings.kafka))
    history = History(file, supported)  # the workers' reading of chat.policy
    current = replay(records, history, on_reject=lambda r, kept: print(f"ignored: {r}", file=err))
    print(f"in force: {current.describe()}", file=err)
    if args.action == "show":
        out.write(orjson.dumps(current.document.to_dict(), option=orjson.OPT_INDENT_2).decode() + "\n")
        return 0
    if args.action == "withdraw":
        if current.source == FILE:
            print("nothing to withdraw: chat.policy holds no policy in force", file=err)
            return 0
        _check_weakenings(current, file, args.allow_weakening, out)
        return _publish(settings.kafka, None, "a tombstone (workers return to their policy file)", args.dry_run, out)
    assert new is not None
    _check(lambda: history.check(end, POLICY_KEY, new.encode()), args.file)  # its version is its own
    _check_weakenings(current, new, args.allow_weakening, out)
    return _publish(settings.kafka, new.encode(), f"version {new.version}", args.dry_run, out)


def read_document(path: Path) -> PolicyDocument:
    """A PolicyDocument from a .toml or .json file; SchemaError names the file and the field."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or type(exc).__name__})") from None
    try:
        if path.suffix == ".toml":
            data = tomllib.loads(raw.decode("utf-8"))
        elif path.suffix == ".json":
            data = orjson.loads(raw)
        else:
            raise ConfigError(f"{path}: a policy document is a .toml or a .json file")
    except (UnicodeDecodeError, tomllib.TOMLDecodeError, orjson.JSONDecodeError) as exc:
        raise SchemaError(str(path), f"not valid {path.suffix[1:].upper()} ({exc})") from None
    try:
        return PolicyDocument.from_dict(data)
    except SchemaError as exc:
        raise SchemaError(f"{path}: {exc.field}", exc.reason) from None


def _check(checking: Callable[[], object], path: Path) -> None:
    """A workers' refusal of this document, as the command's: SchemaError naming the file and the field."""
    try:
        checking()
    except PolicyRejected as rejected:
        raise SchemaError(f"{path}: {rejected.field}", rejected.reason) from None


def _check_weakenings(current: Candidate, new: PolicyDocument, allowed: bool, out: TextIO) -> None:
    found = weakenings(current.document, new)
    for line in found:
        print(f"weakens: {line}", file=out)
    if found and not allowed:
        raise ConfigError(
            f"{len(found)} change(s) above weaken protection against version {current.document.version}: "
            "publish with --allow-weakening if that is intended (in the console an Administrator approves them)"
        )


def _publish(kafka: KafkaSettings, value: bytes | None, what: str, dry_run: bool, out: TextIO) -> int:
    if dry_run:
        print(f"dry run: {what} not published", file=out)
        return 0
    offset = asyncio.run(_send(kafka, value))
    print(f"published {what} to {POLICY.name} (offset {offset})", file=out)
    return 0


async def _send(kafka: KafkaSettings, value: bytes | None) -> int:
    from aiokafka import AIOKafkaProducer
    from aiokafka.errors import KafkaError

    producer = AIOKafkaProducer(
        acks="all", enable_idempotence=True, request_timeout_ms=30_000, **kafka.aiokafka_kwargs()
    )
    try:
        await producer.start()
        metadata = await producer.send_and_wait(POLICY.name, value, key=POLICY_KEY)
        return int(metadata.offset)
    except KafkaError as exc:
        raise Unreachable(f"cannot write {POLICY.name} at {kafka.bootstrap} ({type(exc).__name__})") from None
    finally:
        await producer.stop()
