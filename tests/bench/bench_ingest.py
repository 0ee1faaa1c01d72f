"""``make bench`` (ingest part): wrk posts signed Slack and HTTP-channel webhooks on loopback to
one ``chatguard ingest`` process while the Kafka broker runs alongside. Prints accepted
messages/s (counted by the service: written to chat.raw and acknowledged) and p50/p99 latency.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from connectors.sample import SampleTraffic  # noqa: E402
from connectors.traffic import http_request, slack_request  # noqa: E402
from tests.support.kafka import create_topics  # noqa: E402
from tests.support.paths import BIN, KAFKA_SH  # noqa: E402
from tests.support.ports import free_port  # noqa: E402

LUA = Path(__file__).with_name("ingest_load.lua")


def write_requests(path: Path, count: int, slack_secret: bytes, http_secret: bytes) -> None:
    run = secrets.token_hex(4)
    with path.open("w") as out:
        for i, (raw, _) in enumerate(SampleTraffic(seed=int(run, 16)).messages(count)):
            raw = type(raw)(
                f"{run}-{i}", raw.channel, raw.channel_kind, raw.conversation_id, raw.sender_id, raw.sent_at, raw.text
            )
            req = slack_request(slack_secret, raw) if i % 2 else http_request(http_secret, raw)
            headers = "|".join(f"{k}={v}" for k, v in req.headers.items())
            out.write(f"{req.path}\t{headers}\t{req.body.decode()}\n")


def accepted(metrics_url: str) -> float:
    text = urllib.request.urlopen(metrics_url, timeout=5).read().decode()
    return sum(float(v) for v in re.findall(r"^chatguard_ingest_messages_total\{[^}]*\} (\S+)$", text, re.M))


def wait_up(url: str, proc: subprocess.Popen, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"ingest exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit("ingest did not come up")


def to_ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=15, help="seconds of load")
    parser.add_argument("--connections", type=int, default=32, help="concurrent clients")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--bootstrap", help="use this broker instead of starting one")
    args = parser.parse_args()
    wrk = shutil.which("wrk")
    if not wrk:
        raise SystemExit("bench_ingest: needs wrk (Debian package wrk: apt-get install wrk)")

    slack_secret, http_secret = secrets.token_hex(16), secrets.token_hex(16)
    with tempfile.TemporaryDirectory() as tmp:
        bootstrap, kenv = args.bootstrap, None
        if not bootstrap:
            port = free_port()
            kenv = {
                **os.environ,
                "CHATGUARD_KAFKA_PORT": str(port),
                "CHATGUARD_KAFKA_CONTROLLER_PORT": str(free_port()),
                "CHATGUARD_KAFKA_STATE_DIR": f"{tmp}/kafka",
            }
            subprocess.run(["bash", str(KAFKA_SH), "up"], env=kenv, check=True, capture_output=True)
            bootstrap = f"127.0.0.1:{port}"
        create_topics(bootstrap)
        port, metrics_port = free_port(), free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("CHATGUARD_")}
        env.update(
            CHATGUARD_KAFKA_BOOTSTRAP=bootstrap,
            CHATGUARD_INGEST_PORT=str(port),
            CHATGUARD_INGEST_METRICS_PORT=str(metrics_port),
            CHATGUARD_SLACK_SIGNING_SECRET=slack_secret,
            CHATGUARD_INGEST_HMAC_SECRET=http_secret,
            CHATGUARD_LOG_LEVEL="WARNING",
        )
        ingest = subprocess.Popen([str(BIN / "chatguard"), "ingest"], env=env, stderr=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{port}"
        try:
            wait_up(f"{base}/healthz", ingest)
            data = Path(tmp) / "requests.tsv"
            count = max(20_000, args.duration * 6_000)
            write_requests(data, count, slack_secret.encode(), http_secret.encode())
            warm = Path(tmp) / "warm-up.tsv"  # other message ids: a replay would be deduplicated
            write_requests(warm, count, slack_secret.encode(), http_secret.encode())
            # Warm-up at full load: producer metadata, connections, and the freshly started
            # broker's JIT (a 2 s warm-up left the first measured seconds 30 % slower).
            subprocess.run(
                [wrk, "-t1", f"-c{args.connections}", "-d6s", "-s", str(LUA), base, "--", str(warm), "1"],
                capture_output=True,
            )
            before, started = accepted(f"http://127.0.0.1:{metrics_port}/metrics"), time.monotonic()
            result = subprocess.run(
                [
                    wrk,
                    f"-t{args.threads}",
                    f"-c{args.connections}",
                    f"-d{args.duration}s",
                    "--latency",
                    "-s",
                    str(LUA),
                    base,
                    "--",
                    str(data),
                    str(args.threads),
                ],
                capture_output=True,
                text=True,
            )
            elapsed = time.monotonic() - started
            after = accepted(f"http://127.0.0.1:{metrics_port}/metrics")
        finally:
            ingest.terminate()
            ingest.wait(timeout=30)
            if kenv:
                subprocess.run(["bash", str(KAFKA_SH), "down"], env=kenv, capture_output=True)

    out = result.stdout
    p50 = to_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    p99 = to_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    rate = (after - before) / elapsed
    print(
        f"chatguard ingest bench: {args.connections} concurrent clients, {args.duration} s, Slack + HTTP-channel webhooks, {os.cpu_count()} cores shared with the broker and wrk"
    )
    print(f"  accepted (written to chat.raw, acknowledged)  {rate:9.1f} msg/s   target >= 2000")
    print(f"  latency p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   target p99 <= 50 ms")
    print(
        f"  non-2xx responses: {non2xx.group(1) if non2xx else 0}"
        + (f"   socket errors: {errors.group(1)}" if errors else "")
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
