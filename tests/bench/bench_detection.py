"""``make bench``, first part: detection quality and speed, chatguard beside plain Presidio.

1. Per entity type, side by side, on the labelled chat set, the set generated with
   presidio-evaluator's templates (tests/data/generate_presidio_evaluator.py) and, when it is
   there, presidio-research's published synth set in ../shared/benchmarks (read, never copied).
2. Speed on a mix of the chat set and the generated set (half each, interleaved): plain
   Presidio one message at a time, chatguard's engine in batches, both on one core, passes
   interleaved (best pass each side: this VM's speed drifts), with the share of messages that
   went through NER.

Not a test: it asserts nothing about time, it measures and prints.
"""

from __future__ import annotations

import argparse
import os
import secrets
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from pipeline.evaluation import (  # noqa: E402
    CHAT_TARGETS,
    PUBLIC_TARGETS,
    compare_on_set,
    load_labelled,
    presidio_redactor,
)
from schemas.raw import RawMessage  # noqa: E402

DATA = ROOT / "tests" / "data"
SETS = [
    (DATA / "chat_pii_labelled.jsonl", CHAT_TARGETS),
    (DATA / "presidio_evaluator_generated.jsonl", PUBLIC_TARGETS),
    (ROOT.parent / "shared" / "benchmarks" / "presidio_research_synth_v2.jsonl", PUBLIC_TARGETS),
]


def mixed_texts(count: int) -> list[str]:
    chat = [m.text for m in load_labelled(SETS[0][0])]
    generated = [m.text for m in load_labelled(SETS[1][0])]
    half = count // 2
    if half > min(len(chat), len(generated)):
        raise SystemExit(f"bench: --mix {count} needs {half} messages from each set")
    return [text for pair in zip(chat[:half], generated[:half], strict=True) for text in pair]


def events(texts: list[str]) -> list[RawMessage]:
    return [
        RawMessage(f"bench-{i}", "bench", "private", f"c{i % 50}", f"s{i % 200}", "2026-01-01T00:00:00Z", text)
        for i, text in enumerate(texts)
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mix", type=int, default=3000, help="messages in the speed mix (half from each set)")
    parser.add_argument(
        "--plain-messages", type=int, default=600, help="plain Presidio is slow: the first N of the mix"
    )
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--skip-quality", action="store_true")
    args = parser.parse_args()

    from pipeline.engine import RedactionEngine
    from pipeline.settings import Settings

    settings = Settings.from_env({"CHATGUARD_PSEUDONYM_KEY": secrets.token_hex(32)})
    engine = RedactionEngine.from_settings(settings)
    plain = presidio_redactor(settings.spacy_model)

    if not args.skip_quality:
        for path, targets in SETS:
            if not path.exists():
                print(f"chatguard bench: {path} not present; skipped", flush=True)
                continue
            table, _ = compare_on_set(path.name, load_labelled(path), engine, "storage", plain, targets)
            print(table + "\n", flush=True)

    texts = mixed_texts(args.mix)
    batch = events(texts)
    plain_texts = texts[: args.plain_messages]
    plain(plain_texts[:20])
    engine.redact_batch(batch[:20])
    plain_rates, engine_rates = [], []
    detector = engine.detector
    for _ in range(args.passes):
        started = time.perf_counter()
        plain(plain_texts)
        plain_rates.append(len(plain_texts) / (time.perf_counter() - started))
        share = getattr(detector, "ner_share", None)
        before = (share.through_ner, share.messages) if share else (0, 0)
        started = time.perf_counter()
        for i in range(0, len(batch), args.batch):
            engine.redact_batch(batch[i : i + args.batch])
        engine_rates.append(len(batch) / (time.perf_counter() - started))
        if share:
            ner_share = (share.through_ner - before[0]) / max(share.messages - before[1], 1)
    best_plain, best_engine = max(plain_rates), max(engine_rates)
    print(
        f"chatguard bench: detection speed on a mix of {len(texts)} messages (chat set and generated set, "
        f"half each), one core, {os.cpu_count()} on the machine; best of {args.passes} interleaved passes\n"
        f"  plain Presidio, per message (first {len(plain_texts)})   {best_plain:8.1f} msg/s"
        f"   (passes: {', '.join(f'{r:.0f}' for r in plain_rates)})\n"
        f"  chatguard engine, batches of {args.batch:<4}            {best_engine:8.1f} msg/s   "
        f"{best_engine / best_plain:5.2f}x plain Presidio   (passes: {', '.join(f'{r:.0f}' for r in engine_rates)})\n"
        f"  messages through NER: {100 * ner_share:.1f} %",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
