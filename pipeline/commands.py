"""The pipeline's sub-commands: redact, worker, topics, policy, watch, eval. Heavy imports stay inside them."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

from schemas.errors import ConfigError, Unreachable
from schemas.topics import DESTINATIONS


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("redact", help="redact RawMessage JSONL from stdin to RedactedMessage JSONL on stdout")
    p.add_argument("--to", required=True, choices=DESTINATIONS, help="destination policy to apply")
    p.add_argument("--batch-size", type=_positive_int, default=256)
    p.set_defaults(run=_run_redact)

    p = sub.add_parser("worker", help="run the Faust redaction worker (chat.raw -> clean topics)")
    p.set_defaults(run=_run_worker)

    p = sub.add_parser("topics", help="manage chatguard's Kafka topics and their ACLs")
    p.add_argument(
        "action",
        choices=["apply", "list", "acls"],
        help="apply: create or align every topic; list: show the specs; acls: add the ACLs of the roles given with --principal, remove their principals' stale ones",
    )
    p.add_argument(
        "--principal",
        action="append",
        default=[],
        metavar="ROLE=PRINCIPAL",
        help="acls: e.g. worker=User:chatguard-worker (roles: see schemas/acls.py); repeatable",
    )
    p.add_argument(
        "--group",
        action="append",
        default=[],
        metavar="ROLE=GROUP",
        help="acls: a role's consumer group (worker: CHATGUARD_CONSUMER_GROUP; a consumer role: its name)",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="acls: print the wanted ACL bindings, change nothing (nothing added or removed)",
    )
    p.set_defaults(run=_run_topics)

    p = sub.add_parser("policy", help="the detection policy on chat.policy: show the version in force, publish one")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    show = actions.add_parser("show", help="print the policy in force as JSON (where it comes from on stderr)")
    show.set_defaults(run=_run_policy)
    publish = actions.add_parser("publish", help="validate a PolicyDocument file and publish it to chat.policy")
    publish.add_argument("file", metavar="FILE.toml|FILE.json", type=Path)
    withdraw = actions.add_parser("withdraw", help="withdraw the published policy: workers return to their file")
    for q in (publish, withdraw):
        q.add_argument(
            "--allow-weakening",
            action="store_true",
            help="go ahead although the change weakens protection (each weakening is printed first)",
        )
        q.add_argument("--dry-run", action="store_true", help="check and print, publish nothing")
        q.set_defaults(run=_run_policy)

    p = sub.add_parser("watch", help="live throughput and redaction counts from a worker's metrics endpoint")
    p.add_argument("--metrics-url", default="http://127.0.0.1:9308/metrics")
    p.add_argument("--ingest-metrics-url", help="also show an ingest service's counts")
    p.add_argument("--interval", type=float, default=1.0)
    p.set_defaults(run=_run_watch)

    p = sub.add_parser(
        "eval", help="measure redaction quality on labelled JSONL (recall, leaks, over-redaction, speed)"
    )
    p.add_argument(
        "labelled",
        metavar="LABELLED.jsonl",
        nargs="+",
        help='lines of {"text", "entities": [{"type", "start", "end"}], "lang"}; one table per file',
    )
    p.add_argument(
        "--targets",
        default="public",
        choices=["public", "chat"],
        help="public: sets nobody here wrote (each type's leak at most plain Presidio's, all direct "
        "identifiers <= 12 %%, ...); chat: the labelled chat set's gates",
    )
    p.add_argument(
        "--to", default="storage", choices=DESTINATIONS, help="destination policy whose output is checked for leaks"
    )
    p.add_argument(
        "--baseline", default="presidio", choices=["presidio", "none"], help="also run plain Presidio for comparison"
    )
    p.add_argument("--limit", type=_positive_int, help="only the first N messages")
    p.set_defaults(run=_run_eval)


def _positive_int(text: str) -> int:
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise argparse.ArgumentTypeError("must be a positive integer")
    return int(text)


def _run_redact(args: argparse.Namespace) -> int:
    from pipeline.engine import RedactionEngine
    from pipeline.jsonl import redact_stream
    from pipeline.settings import Settings
    from runtime.plugins import value_keeper

    engine = RedactionEngine.from_settings(Settings.from_env(), keeper=value_keeper())
    return redact_stream(engine, args.to, sys.stdin, sys.stdout, sys.stderr, args.batch_size)


def _run_worker(args: argparse.Namespace) -> int:
    from pipeline.run_worker import run_worker

    return run_worker()


def _run_topics(args: argparse.Namespace) -> int:
    from pipeline.settings import Settings
    from runtime.topics_admin import apply_topics
    from schemas.topics import all_topics

    if args.action != "acls" and (args.principal or args.group or args.dry_run):
        raise ConfigError(f"topics {args.action}: --principal, --group and --dry-run go with 'topics acls'")
    settings = Settings.from_env(require_key=False)
    if args.action == "acls":
        from runtime.acls_admin import run_acls_command

        return run_acls_command(
            settings.kafka, args.principal, args.group, args.dry_run, sys.stdout, {"worker": settings.consumer_group}
        )
    specs = all_topics(settings.raw_retention_ms)
    if args.action == "list":
        for spec in specs:
            print(
                f"{spec.name}\tpartitions={spec.partitions}\t"
                + "\t".join(f"{k}={v}" for k, v in spec.topic_config().items())
            )
        return 0
    from aiokafka.errors import KafkaError

    try:
        outcome = asyncio.run(apply_topics(settings.kafka, specs))
    except KafkaError as exc:
        raise Unreachable(
            f"Kafka refused or is unreachable at {settings.kafka.bootstrap} ({type(exc).__name__})"
        ) from None
    for name, state in outcome.items():
        print(f"{name}: {state}")
    return 0


def _run_policy(args: argparse.Namespace) -> int:
    from pipeline.policy_cli import run

    return run(args)


def _run_watch(args: argparse.Namespace) -> int:
    from pipeline.watch import watch

    return watch(args.metrics_url, args.interval, sys.stdout, ingest_url=args.ingest_metrics_url)


def _run_eval(args: argparse.Namespace) -> int:
    import os
    import secrets

    from pipeline.engine import RedactionEngine
    from pipeline.evaluation import TARGETS, compare_on_set, load_labelled
    from pipeline.settings import Settings

    sets = []
    for path in args.labelled:
        messages = load_labelled(path)
        if args.limit:
            messages = messages[: args.limit]
        if not messages:
            raise ConfigError(f"{path}: no labelled messages")
        sets.append((path, messages))
    env = dict(os.environ)
    if not env.get("CHATGUARD_PSEUDONYM_KEY"):
        # Pseudonyms computed here never leave the process, so any key will do.
        env["CHATGUARD_PSEUDONYM_KEY"] = secrets.token_hex(32)
        print("chatguard: CHATGUARD_PSEUDONYM_KEY not set; using a random key for this evaluation", file=sys.stderr)
    settings = Settings.from_env(env)
    engine = RedactionEngine.from_settings(settings)
    baseline = None
    if args.baseline == "presidio":
        from pipeline.evaluation import presidio_redactor

        baseline = presidio_redactor(settings.spacy_model)
    failed = 0
    for path, messages in sets:
        print(f"chatguard: evaluating {path}", file=sys.stderr, flush=True)
        table, passed = compare_on_set(path, messages, engine, args.to, baseline, TARGETS[args.targets])
        print(table, flush=True)
        failed += not passed
    return 1 if failed else 0
