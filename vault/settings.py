"""The vault's settings, shared by the worker, ``chatguard redact`` and the vault commands."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from runtime.settings import load, masked_repr, pseudonym_key_setting, setting, vault_mode_setting
from schemas.errors import ConfigError


def default_database_url() -> str:
    from platformdirs import user_data_dir

    return f"sqlite:///{Path(user_data_dir('chatguard')) / 'vault.db'}"


def _http_url(raw: str) -> str:
    from urllib.parse import urlsplit

    if not raw.isprintable() or " " in raw:
        raise ValueError("a URL without spaces or control characters")
    parts = urlsplit(raw)
    _ = parts.port  # ValueError for a port out of range
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        raise ValueError("an https:// URL without a user name or password in it")
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        raise ValueError("https:// (the calls carry a form link and a sender's ids); http:// only to this machine")
    return raw


@dataclass(frozen=True, slots=True)
class VaultSettings:
    mode: str = vault_mode_setting()
    master_key_file: Path | None = setting(
        "CHATGUARD_VAULT_MASTER_KEY_FILE",
        None,
        "file holding the vault's master key, 64 hex characters (`openssl rand -hex 32 > FILE`); it wraps each "
        "data subject's key. Required unless `CHATGUARD_VAULT=off`; `make run` generates one under `.run/`",
        shown_default="**required**",
    )
    previous_key_files: str = setting(
        "CHATGUARD_VAULT_PREVIOUS_KEY_FILES",
        "",
        "comma-separated files of master keys being retired: they still unwrap, never wrap. Set on every "
        "process while rotating (README, master-key rotation); empty once `chatguard vault rotate-master` "
        "reports none left",
    )
    database_url: str = setting(
        "CHATGUARD_VAULT_DATABASE_URL",
        "",
        "SQLAlchemy URL of the vault's database: SQLite embedded by default, PostgreSQL in production "
        "(`postgresql+psycopg://user:password@host/db`)",
        secret=True,
        strong=False,
        shown_default="SQLite file in the user's data directory",
    )
    retention_days: int = setting(
        "CHATGUARD_VAULT_RETENTION_DAYS",
        30,
        "days a value stays in the vault: a reveal after that is refused; the worker deletes expired values "
        "hourly as it writes, `chatguard vault sweep` on demand",
        low=1,
        high=3650,
    )

    reply_addresses: bool = setting(
        "CHATGUARD_VAULT_REPLY_ADDRESSES",
        True,
        "keep where each sender can be reached again (their raw channel ids, sealed under their key, erased "
        "with it, expiring with the retention period), so the console can send a contest winner a secure "
        "form; off: it cannot",
    )

    def __repr__(self) -> str:
        return masked_repr(self)  # a database URL may carry a password

    @property
    def enabled(self) -> bool:
        return self.mode == "on"

    @property
    def url(self) -> str:
        return self.database_url or default_database_url()

    @property
    def previous_keys(self) -> list[Path]:
        return [Path(p.strip()) for p in self.previous_key_files.split(",") if p.strip()]

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> VaultSettings:
        settings = load(cls, environ)
        if settings.enabled and settings.master_key_file is None:
            raise ConfigError(
                "CHATGUARD_VAULT_MASTER_KEY_FILE: required (openssl rand -hex 32 > FILE), or CHATGUARD_VAULT=off"
            )
        return settings


@dataclass(frozen=True, slots=True)
class PseudonymKey:
    """The worker's pseudonym key: ``chatguard erase`` names the sender by it, as the vault does."""

    pseudonym_key: bytes | None = pseudonym_key_setting()

    def __repr__(self) -> str:
        return masked_repr(self)


@dataclass(frozen=True, slots=True)
class VaultApiSettings:
    """``chatguard vault serve``: the HTTP API the console calls."""

    token: str | None = setting(
        "CHATGUARD_VAULT_API_TOKEN", None,
        "bearer token the console presents to the vault's HTTP API (the rule of every secret); required by "
        "`chatguard vault serve`", secret=True, shown_default="**required** by `vault serve`",
    )  # fmt: skip
    host: str = setting("CHATGUARD_VAULT_API_HOST", "127.0.0.1", "where `chatguard vault serve` listens")
    port: int = setting("CHATGUARD_VAULT_API_PORT", 8091, "the vault API's port", low=1, high=65_535)

    def __repr__(self) -> str:
        return masked_repr(self)


@dataclass(frozen=True, slots=True)
class FormsSettings:
    """``chatguard vault forms``: one-time secure forms, the visitor-facing side of the vault."""

    bot_token: str | None = setting(
        "CHATGUARD_FORMS_BOT_TOKEN", None,
        "bearer token a bot presents to `POST /forms` to ask for a form link (the rule of every secret); "
        "required by `chatguard vault forms`", secret=True, shown_default="**required** by `vault forms`",
    )  # fmt: skip
    host: str = setting("CHATGUARD_FORMS_HOST", "127.0.0.1", "where `chatguard vault forms` listens")
    port: int = setting("CHATGUARD_FORMS_PORT", 8092, "the secure forms' port", low=1, high=65_535)
    public_url: str = setting(
        "CHATGUARD_FORMS_PUBLIC_URL", "",
        "the forms' address as visitors reach it (`https://forms.example.com`); links are made from it",
        shown_default="`http://HOST:PORT`",
    )  # fmt: skip
    ttl_minutes: int = setting(
        "CHATGUARD_FORMS_TTL_MINUTES", 15, "minutes a form link stays usable (once)", low=1, high=60
    )
    bot_webhook_url: str = setting(
        "CHATGUARD_FORMS_BOT_WEBHOOK_URL", "",
        "where `chatguard vault serve` hands the bot a form link a person sent from the console (a contest "
        "winner's); the bot posts it into the conversation. Signed with `CHATGUARD_FORMS_BOT_TOKEN` "
        "(README, Secure forms). Empty: the console cannot send forms",
        shown_default="empty", parse=lambda raw: _http_url(raw.strip()),
    )  # fmt: skip

    def __repr__(self) -> str:
        return masked_repr(self)

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")
