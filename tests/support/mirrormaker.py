"""MirrorMaker 2 as the hybrid set-up runs it: its configuration files read as MirrorMaker reads
them (Java properties, its topic and group filters), the rights its principal needs on the
client's cluster, and the real thing started from deploy/kafka/kafka.sh's jars."""

from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path

from schemas.acls import AclBinding, Operation, ResourceType, principal
from schemas.topics import CLEAN_TOPICS
from tests.support.paths import KAFKA_SH, ROOT
from tests.support.processes import stop_process

MM2_PROPERTIES = ROOT / "deploy" / "mirrormaker" / "mm2.properties"
CONNECTOR_JSON = ROOT / "deploy" / "mirrormaker" / "mirror-source-connector.json"
CLEAN = frozenset(spec.name for spec in CLEAN_TOPICS.values())
# What MirrorMaker's principal may do on the client's cluster: read the clean topics (and their
# configs, copied to the cloud). Nothing else: no chat.raw, no group, no write.
MIRROR_OPERATIONS = (Operation.READ, Operation.DESCRIBE, Operation.DESCRIBE_CONFIGS)

_ESCAPES = {"t": "\t", "n": "\n", "r": "\r", "f": "\f"}


def _logical_lines(text: str) -> Iterator[str]:
    """java.util.Properties' logical lines: comments dropped, a line ending in an odd number of
    backslashes continued on the next (whose leading blanks are dropped)."""
    pending = ""
    for raw in text.splitlines():
        line = raw.lstrip() if pending else raw.lstrip(" \t\f")
        if not pending and (not line or line[0] in "#!"):
            continue
        trailing = len(line) - len(line.rstrip("\\"))
        if trailing % 2:
            pending += line[:-1]
            continue
        yield pending + line
        pending = ""
    if pending:
        yield pending


def _unescape(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            following = text[i + 1]
            if following == "u":
                out.append(chr(int(text[i + 2 : i + 6], 16)))
                i += 6
                continue
            out.append(_ESCAPES.get(following, following))
            i += 2
            continue
        out.append(char)
        i += 1
    return "".join(out)


def parse_properties(text: str) -> dict[str, str]:
    """Java properties as MirrorMaker loads them. A key given twice is an error here (Java keeps
    the last one silently: a second ``topics`` further down would widen the allowlist unseen)."""
    props: dict[str, str] = {}
    for line in _logical_lines(text):
        # The key ends at the first unescaped '=', ':' or blank.
        match = re.match(r"((?:\\.|[^=:\s\\])*)\s*[=:]?\s*(.*)", line, re.S)
        assert match, line
        key, value = _unescape(match.group(1)), _unescape(match.group(2))
        if key in props:
            raise ValueError(f"{key}: set twice")
        props[key] = value
    return props


def mm2_properties(path: Path = MM2_PROPERTIES) -> dict[str, str]:
    return parse_properties(path.read_text(encoding="utf-8"))


def connector_config(path: Path = CONNECTOR_JSON) -> dict[str, str]:
    return json.loads(path.read_text(encoding="utf-8"))["config"]


def config_list(value: str) -> list[str]:
    """Kafka's ConfigDef LIST: comma-separated, blanks around commas dropped; blank is empty."""
    value = value.strip()
    return re.split(r"\s*,\s*", value) if value else []


def _pattern(value: str | None, default: str) -> re.Pattern[str] | None:
    items = config_list(default if value is None else value)
    return re.compile("|".join(items)) if items else None  # MirrorUtils.compilePatternList


# MirrorMaker's defaults (DefaultTopicFilter, DefaultGroupFilter in Kafka 4.1).
TOPICS_DEFAULT, TOPICS_EXCLUDE_DEFAULT = ".*", r"mm2.*\.internal, .*\.replica, __.*"
GROUPS_DEFAULT, GROUPS_EXCLUDE_DEFAULT = ".*", "console-consumer-.*, connect-.*, __.*"


def _passes(config: Mapping[str, str], name: str, include: str, exclude: str, defaults: tuple[str, str]) -> bool:
    """DefaultTopicFilter / DefaultGroupFilter: a whole-name match of the include list and none
    of the exclude list."""
    included, excluded = _pattern(config.get(include), defaults[0]), _pattern(config.get(exclude), defaults[1])
    return bool(included and included.fullmatch(name)) and not (excluded and excluded.fullmatch(name))


def replicates_topic(config: Mapping[str, str], topic: str) -> bool:
    return _passes(config, topic, "topics", "topics.exclude", (TOPICS_DEFAULT, TOPICS_EXCLUDE_DEFAULT))


def replicates_group(config: Mapping[str, str], group: str) -> bool:
    return _passes(config, group, "groups", "groups.exclude", (GROUPS_DEFAULT, GROUPS_EXCLUDE_DEFAULT))


def env_references(config: Mapping[str, str]) -> set[str]:
    """The environment variables a configuration reads through Kafka's EnvVarConfigProvider."""
    return {name for value in config.values() for name in re.findall(r"\$\{env:([A-Za-z0-9_]+)\}", value)}


def mirror_bindings(who: str) -> list[AclBinding]:
    """The ACLs of MirrorMaker's principal on the client's cluster."""
    return sorted(
        AclBinding(principal(who), ResourceType.TOPIC, topic, operation)
        for topic in CLEAN
        for operation in MIRROR_OPERATIONS
    )


@contextlib.contextmanager
def kafka_tool(args: list[str], env: Mapping[str, str], log_path: Path) -> Iterator[subprocess.Popen]:
    """``deploy/kafka/kafka.sh ARGS`` (``mirror FILE``: MirrorMaker 2 in dedicated mode;
    ``connect-standalone WORKER CONNECTOR``: a Connect worker) until the block ends; ``env`` adds
    the MM2_* variables the configuration reads."""
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            ["bash", str(KAFKA_SH), *args], env={**os.environ, **env}, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        yield proc
    finally:
        stop_process(proc)
