"""Starting real chatguard services for tests: an ASGI app on a real port (in a thread), and the
``chatguard worker`` / ``chatguard ingest`` console scripts as subprocesses."""

from __future__ import annotations

import asyncio
import contextlib
import os
import secrets
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator, Mapping
from pathlib import Path

import uvicorn

from tests.support.paths import BIN
from tests.support.ports import free_port
from tests.support.vaults import vault_env


@contextlib.contextmanager
def serve_in_thread(app, timeout_s: float = 30.0) -> Iterator[str]:
    """Run ``app`` (lifespan included) under uvicorn on a free port; yield its base URL."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, lifespan="on", log_level="warning", access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve()), name=f"uvicorn-{port}", daemon=True)
    thread.start()
    deadline = time.monotonic() + timeout_s
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise AssertionError(f"test server on port {port} did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        if thread.is_alive():  # open streams hold a graceful shutdown: stop waiting for them
            server.force_exit = True
            thread.join(timeout=10)


def clean_env(**values: str) -> dict[str, str]:
    """This process's environment without any CHATGUARD_* setting, plus ``values``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHATGUARD_")}
    env.update(values)
    return env


def worker_env(bootstrap: str, pseudonym_key: str, group_prefix: str, **extra: str) -> dict[str, str]:
    """A worker's environment: this broker, a free metrics port, a consumer group of its own,
    WARNING logs; ``extra`` adds or overrides settings."""
    defaults = {
        "CHATGUARD_KAFKA_BOOTSTRAP": bootstrap,
        "CHATGUARD_PSEUDONYM_KEY": pseudonym_key,
        "CHATGUARD_METRICS_PORT": str(free_port()),
        "CHATGUARD_CONSUMER_GROUP": f"{group_prefix}-{secrets.token_hex(4)}",
        "CHATGUARD_LOG_LEVEL": "WARNING",
        **vault_env(),
    }
    return clean_env(**{**defaults, **extra})


def channel_secrets() -> dict[str, str]:
    """Fresh secrets for every channel, so the ingest service enables them all."""
    return {
        "CHATGUARD_SLACK_SIGNING_SECRET": secrets.token_hex(16),
        "CHATGUARD_MESSENGER_APP_SECRET": secrets.token_hex(16),
        "CHATGUARD_MESSENGER_VERIFY_TOKEN": secrets.token_hex(16),  # 8 bytes: under 8 distinct digits 1 time in 90
        "CHATGUARD_TELEGRAM_SECRET_TOKEN": secrets.token_hex(16),
        "CHATGUARD_INGEST_HMAC_SECRET": secrets.token_hex(16),
        "CHATGUARD_WIDGET_SITE_KEYS": secrets.token_hex(8),
    }


def wait_for_url(url: str, proc: subprocess.Popen, log_path: Path, timeout_s: float = 120.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"{proc.args} exited early ({proc.returncode}):\n{tail(log_path)}")
        try:
            urllib.request.urlopen(url, timeout=1).read()
            return
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} never came up:\n{tail(log_path)}")


def tail(path: Path, chars: int = 4000) -> str:
    try:
        return path.read_text(errors="replace")[-chars:]
    except OSError:
        return "(no log)"


@contextlib.contextmanager
def chatguard_process(
    args: list[str], env: Mapping[str, str], ready_url: str, log_path: Path, timeout_s: float = 120.0
):
    """``chatguard <args>`` until the block ends; waits until ``ready_url`` answers."""
    with log_path.open("wb") as log:
        proc = subprocess.Popen([str(BIN / "chatguard"), *args], env=dict(env), stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_url(ready_url, proc, log_path, timeout_s)
        yield proc
    finally:
        stop_process(proc)


def stop_process(proc: subprocess.Popen) -> None:
    """SIGTERM, and SIGKILL if ``proc`` has not exited 30 s later."""
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def apply_topics(env: Mapping[str, str]) -> None:
    subprocess.run(
        [str(BIN / "chatguard"), "topics", "apply"], env=dict(env), check=True, capture_output=True, timeout=60
    )


@contextlib.contextmanager
def worker_process(env: Mapping[str, str], log_path: Path) -> Iterator[tuple[subprocess.Popen, str]]:
    """A real ``chatguard worker``; ``env`` as from the ``chatguard_env`` fixture. Yields the
    process and its metrics URL once that answers (the worker has loaded its models)."""
    apply_topics(env)
    url = f"http://127.0.0.1:{env['CHATGUARD_METRICS_PORT']}/metrics"
    with chatguard_process(["worker"], env, url, log_path, timeout_s=180) as proc:
        yield proc, url


@contextlib.contextmanager
def ingest_process(env: Mapping[str, str], log_path: Path) -> Iterator[tuple[subprocess.Popen, str]]:
    """A real ``chatguard ingest`` on ``CHATGUARD_INGEST_PORT`` (a free one if unset), its
    metrics on ``CHATGUARD_INGEST_METRICS_PORT`` (a free one if unset).
    Yields the process and its base URL once /healthz answers."""
    env = dict(env)
    env.setdefault("CHATGUARD_INGEST_PORT", str(free_port()))
    env.setdefault("CHATGUARD_INGEST_METRICS_PORT", str(free_port()))
    base = f"http://127.0.0.1:{env['CHATGUARD_INGEST_PORT']}"
    with chatguard_process(["ingest"], env, f"{base}/healthz", log_path, timeout_s=60) as proc:
        yield proc, base
