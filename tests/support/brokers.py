"""Real single-node Kafka brokers of a test's own, started by deploy/kafka/kafka.sh."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import pytest

from tests.support.paths import KAFKA_SH
from tests.support.ports import free_port


def broker_env(state_dir: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """kafka.sh's environment for a broker on free ports with its state in ``state_dir``."""
    return {
        **os.environ,
        "CHATGUARD_KAFKA_PORT": str(free_port()),
        "CHATGUARD_KAFKA_CONTROLLER_PORT": str(free_port()),
        "CHATGUARD_KAFKA_STATE_DIR": str(state_dir),
        **(extra or {}),
    }


@contextlib.contextmanager
def kafka_brokers(envs: Sequence[Mapping[str, str]], timeout_s: float = 300) -> Iterator[list[str]]:
    """Start one broker per ``broker_env`` at once (they share the machine's two cores better than
    one after the other); yield their bootstrap addresses; stop them all afterwards. A broker that
    cannot start fails the test: it never skips."""
    starting = [
        subprocess.Popen(
            ["bash", str(KAFKA_SH), "up"], env=dict(env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for env in envs
    ]
    try:
        failed = []
        for proc in starting:
            _out, err = proc.communicate(timeout=timeout_s)
            if proc.returncode != 0:
                failed.append(err[-3000:])
        if failed:
            pytest.fail("could not start a test broker:\n" + "\n".join(failed), pytrace=False)
        yield [f"127.0.0.1:{env['CHATGUARD_KAFKA_PORT']}" for env in envs]
    finally:
        for proc in starting:
            if proc.poll() is None:
                proc.kill()
        for env in envs:
            subprocess.run(["bash", str(KAFKA_SH), "down"], env=dict(env), capture_output=True, timeout=120)
