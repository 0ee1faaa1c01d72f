"""The console's settings (``chatguard console``)."""

from __future__ import annotations

from dataclasses import dataclass

from runtime.settings import masked_repr, setting


@dataclass(frozen=True, slots=True)
class ConsoleSettings:
    host: str = setting("CHATGUARD_CONSOLE_HOST", "127.0.0.1", "where `chatguard console` listens")
    port: int = setting("CHATGUARD_CONSOLE_PORT", 8090, "the console's port (sign-in at `/login`)", low=1, high=65_535)
    public_url: str = setting(
        "CHATGUARD_CONSOLE_PUBLIC_URL", "",
        "the console's address as people reach it; set-up links are made from it",
        shown_default="`http://HOST:PORT`",
    )  # fmt: skip
    vault_url: str = setting(
        "CHATGUARD_CONSOLE_VAULT_URL", "http://127.0.0.1:8091",
        "the vault API the console reveals and erases through (with `CHATGUARD_VAULT_API_TOKEN`)",
    )  # fmt: skip
    idle_minutes: int = setting(
        "CHATGUARD_CONSOLE_IDLE_MINUTES",
        15,
        "a session ends after this many minutes without a request",
        low=1,
        high=720,
    )
    absolute_hours: int = setting(
        "CHATGUARD_CONSOLE_ABSOLUTE_HOURS", 12, "a session ends this many hours after sign-in, whatever", low=1, high=72
    )
    password_max_age_days: int = setting(
        "CHATGUARD_CONSOLE_PASSWORD_MAX_AGE_DAYS", 0,
        "force a new password after this many days; 0 (off) as NIST SP 800-63B asks: forced periodic "
        "changes make people pick weaker, patterned passwords",
        low=0, high=3650,
    )  # fmt: skip
    secure_cookies: bool = setting(
        "CHATGUARD_CONSOLE_SECURE_COOKIES", True,
        "mark the session cookie `Secure` (browsers send it over HTTPS and to localhost only)",
    )  # fmt: skip
    metrics_url: str = setting(
        "CHATGUARD_CONSOLE_METRICS_URL", "http://127.0.0.1:9308/metrics",
        "the worker's metrics, read by the Viewer's dashboard",
    )  # fmt: skip

    def __repr__(self) -> str:
        return masked_repr(self)

    @property
    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")
