"""``chatguard console``: the web console (with the storage sink beside it), ``console sink``
alone, and ``console first-admin`` (the one-time set-up link for the first Administrator)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from console.web import Console


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("console", help="the web console for people (six roles, 2FA, masked inbox, audit)")
    p.add_argument("--no-sink", action="store_true", help="do not run the chat.storage sink in this process")
    p.add_argument("--no-relay", action="store_true", help="do not copy the audit log to chat.audit in this process")
    p.set_defaults(run=_run_serve)
    actions = p.add_subparsers(dest="action", required=False, metavar="ACTION")
    sink = actions.add_parser("sink", help="only the sink: chat.storage into the database, chat.erasure applied")
    sink.set_defaults(run=_run_sink)
    first = actions.add_parser("first-admin", help="create the first Administrator and print their set-up link")
    first.add_argument("--username", default="admin")
    first.set_defaults(run=_run_first_admin)


def build_console() -> Console:
    from console.accounts import Accounts
    from console.db import open_console_engine
    from console.policy import PolicyDesk
    from console.sessions import Sessions
    from console.settings import ConsoleSettings
    from console.vault_client import VaultClient
    from console.web import Console
    from runtime.kafka import KafkaSettings
    from runtime.policy_topic import latest_policy, publish_policy
    from runtime.settings import load
    from vault.settings import VaultApiSettings, VaultSettings

    settings = load(ConsoleSettings)
    engine = open_console_engine(load(VaultSettings).url)
    sessions = Sessions(engine, settings.idle_minutes * 60, settings.absolute_hours * 3600)
    vault = VaultClient(settings.vault_url, load(VaultApiSettings).token)
    kafka = KafkaSettings.from_env()
    desk = PolicyDesk(engine, lambda: latest_policy(kafka), lambda document: publish_policy(kafka, document))
    return Console(settings, Accounts(engine), sessions, vault, desk)


def _run_serve(args: argparse.Namespace) -> int:
    import asyncio
    import contextlib

    import uvicorn

    from console.app import build_app
    from runtime.logs import configure_logging

    configure_logging()
    console = build_console()

    @contextlib.asynccontextmanager
    async def lifespan(_app):
        stop, tasks = asyncio.Event(), []
        if not args.no_sink:
            from console.sink import StorageSink
            from runtime.kafka import KafkaSettings

            tasks.append(asyncio.create_task(StorageSink(console.engine, KafkaSettings.from_env()).run(stop)))
        if not args.no_relay:
            from console.audit_relay import AuditRelay
            from runtime.kafka import KafkaSettings

            tasks.append(asyncio.create_task(AuditRelay(console.engine, KafkaSettings.from_env()).run(stop)))
        yield
        stop.set()
        await asyncio.gather(*tasks, return_exceptions=True)

    settings = console.settings
    print(f"chatguard console: http://{settings.host}:{settings.port}/login", file=sys.stderr)
    uvicorn.run(
        build_app(console, lifespan=lifespan), host=settings.host, port=settings.port, access_log=False,
        log_level="warning", server_header=False,
        # The peer's address, never an X-Forwarded-For anyone can write: throttling and the audit use it.
        proxy_headers=False,
    )  # fmt: skip
    return 0


def _run_sink(args: argparse.Namespace) -> int:
    from console.sink import main

    return main()


def _run_first_admin(args: argparse.Namespace) -> int:
    from console.roles import Role

    console = build_console()
    admins = [p for p in console.accounts.everyone() if p.role == Role.ADMINISTRATOR.value and not p.disabled]
    if any(p.password_hash is not None for p in admins):
        print("chatguard console first-admin: an Administrator is set up already; they add people", file=sys.stderr)
        return 1
    if admins:  # the first link was lost or expired before anyone used it: a new one
        token = console.accounts.reset(admins[0].username, "first-admin", "cli")
    else:
        token = console.accounts.create(args.username, Role.ADMINISTRATOR, "first-admin", "cli")
    print(f"{console.settings.base_url}/setup/{token}")
    return 0
