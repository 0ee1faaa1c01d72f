"""The vault's sub-commands: ``vault reveal|sweep|rotate-master|serve|forms``, ``audit verify``, ``erase``."""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson

if TYPE_CHECKING:
    from schemas.pseudonyms import Pseudonymiser
    from vault.core import Vault


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "vault", help="the vault: reveal a value with a reason, sweep expired values, rotate the master key"
    )
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    reveal = actions.add_parser("reveal", help="print the original value of a vault_ref (audited)")
    reveal.add_argument("ref")
    reveal.add_argument("--reason", required=True, help="why (10-500 characters); it goes to the audit log")
    reveal.add_argument("--actor", default=None, help="who asks (default: the OS user)")
    reveal.set_defaults(run=_guarded(_run_reveal))
    sweep = actions.add_parser("sweep", help="delete values past CHATGUARD_VAULT_RETENTION_DAYS")
    sweep.set_defaults(run=_guarded(_run_sweep))
    rotate = actions.add_parser("rotate-master", help="re-wrap every subject key under a new master key")
    rotate.add_argument(
        "--new-key-file",
        help="the new master key (64 hex), with every process stopped; then point CHATGUARD_VAULT_MASTER_KEY_FILE "
        "at it. Without it: re-wrap what CHATGUARD_VAULT_PREVIOUS_KEY_FILES still hold under the current key",
    )
    rotate.add_argument("--actor", default=None)
    rotate.set_defaults(run=_guarded(_run_rotate))

    serve = actions.add_parser("serve", help="the vault's HTTP API for the console (reveal, erase, audit verify)")
    serve.set_defaults(run=_guarded(_run_serve))

    forms = actions.add_parser("forms", help="one-time secure forms: values go straight into the vault")
    forms.set_defaults(run=_guarded(_run_forms))

    p = sub.add_parser("audit", help="the vault's audit log")
    audit_actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    verify = audit_actions.add_parser("verify", help="check the hash chain: no entry edited, deleted or reordered")
    verify.set_defaults(run=_guarded(_run_verify))

    p = sub.add_parser("erase", help="GDPR erasure: destroy a sender's vault key and values, notify chat.erasure")
    p.add_argument(
        "--channel",
        required=True,
        help="the channel the sender wrote on (web, mobile, messenger, slack, telegram, http)",
    )
    p.add_argument("--sender", required=True, help="the sender's id on that channel")
    p.add_argument("--reason", required=True, help="the request's reference (10-500 characters), for the audit log")
    p.add_argument("--actor", default=None)
    p.add_argument("--no-notice", action="store_true", help="do not publish to chat.erasure (no Kafka at hand)")
    p.set_defaults(run=_guarded(_run_erase))


def _guarded(run: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    def guarded(args: argparse.Namespace) -> int:
        from vault.store import database_errors

        with database_errors():
            return run(args)

    return guarded


def _actor(args: argparse.Namespace) -> str:
    from vault.core import check_actor

    return check_actor(args.actor or getpass.getuser())


def _vault() -> Vault:
    from vault.core import open_vault
    from vault.settings import VaultSettings

    return open_vault(VaultSettings.from_env())


def _run_reveal(args: argparse.Namespace) -> int:
    revealed = _vault().reveal(args.ref, args.reason, _actor(args))
    print(orjson.dumps({"ref": revealed.ref, "entity_type": revealed.entity_type, "value": revealed.value}).decode())
    return 0


def _run_sweep(args: argparse.Namespace) -> int:
    print(f"chatguard vault sweep: {_vault().sweep()} expired values removed", file=sys.stderr)
    return 0


def _run_rotate(args: argparse.Namespace) -> int:
    from vault.keys import KeyProvider, LocalKeys, read_master_key
    from vault.settings import VaultSettings

    settings = VaultSettings.from_env()
    vault = _vault()
    assert settings.master_key_file is not None  # from_env requires it
    new: KeyProvider
    if args.new_key_file:
        old = [read_master_key(settings.master_key_file), *map(read_master_key, settings.previous_keys)]
        new = LocalKeys(read_master_key(args.new_key_file), *old)
    else:
        new = vault.keys  # current + previous: re-wrap the previous ones' subjects
    done = vault.rotate_master(new, _actor(args))
    left = vault.stale_keys()
    print(f"chatguard vault rotate-master: {done} subject keys re-wrapped under {new.key_id}", file=sys.stderr)
    if left:
        print(
            f"chatguard vault rotate-master: {left} subject keys are still under another master key (a process "
            "wrote with an old key meanwhile): run it again once every process uses the new key",
            file=sys.stderr,
        )
        return 1
    if args.new_key_file:
        print(
            "chatguard vault rotate-master: now set CHATGUARD_VAULT_MASTER_KEY_FILE to the new file everywhere",
            file=sys.stderr,
        )
    return 0


def _run_verify(args: argparse.Namespace) -> int:
    verdict = _vault().verify_audit()
    if verdict.ok:
        print(f"chatguard audit verify: {verdict.entries} entries, chain intact; head {verdict.head}")
        return 0
    print(
        f"chatguard audit verify: BROKEN at {verdict.problem}; {verdict.entries} entries before it hold",
        file=sys.stderr,
    )
    return 1


def _run_erase(args: argparse.Namespace) -> int:
    from runtime.kafka import KafkaSettings
    from schemas.errors import ConfigError
    from schemas.raw import CHANNEL_NAME
    from vault.core import check_reason
    from vault.erasure import publish_erasure

    reason = check_reason(args.reason)
    if not CHANNEL_NAME.fullmatch(args.channel):
        raise ConfigError("--channel: a channel name as the events carry it, lower-case (web, mobile, slack, ...)")
    subject = _pseudonymiser("it names the sender in the vault").sender(args.channel, args.sender)
    erased = _vault().erase(subject, _actor(args), reason)
    if erased.had_key:
        print(f"chatguard erase: {subject}: key destroyed, {erased.values} values deleted", file=sys.stderr)
    else:
        print(
            f"chatguard erase: the vault holds no key for {subject} (no value kept from this sender on "
            f"{args.channel}, or erased before); check --channel and --sender",
            file=sys.stderr,
        )
    if not erased.scrubbed:
        print(
            "chatguard erase: a reader kept SQLite's log busy; run 'chatguard vault sweep' to scrub it", file=sys.stderr
        )
    if not args.no_notice:
        from aiokafka.errors import KafkaError

        from schemas.errors import Unreachable

        kafka = KafkaSettings.from_env()
        try:
            asyncio.run(publish_erasure(kafka, subject))
        except KafkaError as exc:
            raise Unreachable(
                f"the vault is erased, but the notice to chat.erasure failed ({type(exc).__name__}) at "
                f"{kafka.bootstrap}; run again to resend it"
            ) from None
        print(f"chatguard erase: notice published to chat.erasure for {subject}", file=sys.stderr)
    return 0


def _pseudonymiser(why: str) -> Pseudonymiser:
    """The worker's pseudonym key, which names senders in the vault; ConfigError saying ``why``."""
    from runtime.settings import load
    from schemas.errors import ConfigError
    from schemas.pseudonyms import Pseudonymiser
    from vault.settings import PseudonymKey

    key = load(PseudonymKey).pseudonym_key
    if key is None:
        raise ConfigError(f"CHATGUARD_PSEUDONYM_KEY: required (the worker's: {why})")
    return Pseudonymiser(key)


def _serve(app: Any, host: str, port: int) -> None:
    import uvicorn

    # No access log (a form link's token is in its path); the peer's address, never a forgeable
    # X-Forwarded-For.
    uvicorn.run(
        app, host=host, port=port, access_log=False, log_level="warning", server_header=False, proxy_headers=False
    )


def _run_serve(args: argparse.Namespace) -> int:
    from runtime.kafka import KafkaSettings
    from runtime.logs import configure_logging
    from runtime.settings import load
    from schemas.errors import ConfigError
    from vault.api import build_app
    from vault.erasure import publish_erasure
    from vault.settings import VaultApiSettings

    configure_logging()
    api = load(VaultApiSettings)
    if api.token is None:
        raise ConfigError("CHATGUARD_VAULT_API_TOKEN: required (openssl rand -hex 32); the console presents it")
    pseudonyms = _pseudonymiser("erasure names the sender by it")
    kafka = KafkaSettings.from_env()

    def notify(subject: str) -> None:
        asyncio.run(publish_erasure(kafka, subject))

    vault = _vault()
    _serve(
        build_app(vault, api.token.encode(), pseudonyms, notify, _form_sender(vault, pseudonyms)), api.host, api.port
    )
    return 0


def _form_sender(vault: Vault, pseudonyms: Pseudonymiser) -> Any:
    """The API's "send a secure form", if the bot's webhook is configured (None: refused, 503)."""
    from runtime.settings import load
    from schemas.errors import ConfigError
    from vault.forms.delivery import BotWebhook, send_form
    from vault.forms.store import FormStore
    from vault.settings import FormsSettings

    settings = load(FormsSettings)
    if not settings.bot_webhook_url:
        return None
    if settings.bot_token is None:
        raise ConfigError(
            "CHATGUARD_FORMS_BOT_TOKEN: required with CHATGUARD_FORMS_BOT_WEBHOOK_URL (it signs the calls)"
        )
    store = FormStore(vault, pseudonyms, ttl_s=settings.ttl_minutes * 60)
    webhook = BotWebhook(settings.bot_webhook_url, settings.bot_token.encode())

    def send(sender: str, conversation: str, fields: tuple[str, ...], actor: str) -> Any:
        return send_form(store, webhook, settings.base_url, sender, conversation, fields, actor)

    return send


def _run_forms(args: argparse.Namespace) -> int:
    from runtime.kafka import KafkaSettings
    from runtime.logs import configure_logging
    from runtime.settings import load
    from schemas.errors import ConfigError
    from vault.forms.app import build_app
    from vault.forms.publish import RawPublisher
    from vault.forms.store import FormStore
    from vault.settings import FormsSettings

    configure_logging()
    settings = load(FormsSettings)
    if settings.bot_token is None:
        raise ConfigError("CHATGUARD_FORMS_BOT_TOKEN: required (openssl rand -hex 32); bots present it")
    pseudonyms = _pseudonymiser("a form's values are kept under it")
    store = FormStore(_vault(), pseudonyms, ttl_s=settings.ttl_minutes * 60)
    publisher = RawPublisher(KafkaSettings.from_env())
    try:
        _serve(
            build_app(store, settings.bot_token.encode(), settings.base_url, publisher), settings.host, settings.port
        )
    finally:
        publisher.close()
    return 0
