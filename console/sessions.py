"""Sessions: a random id in a cookie (``HttpOnly``, ``SameSite=Strict``, ``Secure``), kept as its
SHA-256; a new one at every sign-in (no fixation); ended after the idle or absolute timeout; a CSRF
token per session that every form and API write must send back."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine, delete, insert, select, update

from console.accounts import Account
from console.roles import Role
from console.tables import sessions, users

COOKIE = "chatguard_session"


@dataclass(frozen=True, slots=True)
class Session:
    account: Account
    csrf: str
    session_hash: str
    password_set_at: int | None = None

    def password_expired(self, max_age_days: int) -> bool:
        """Only when the rotation knob is on (it is off by default: README, The console)."""
        if max_age_days <= 0:
            return False
        return self.password_set_at is None or time.time() - self.password_set_at > max_age_days * 86_400


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class Sessions:
    def __init__(self, engine: Engine, idle_s: int, absolute_s: int, clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self.idle_s = idle_s
        self.absolute_s = absolute_s
        self._clock = clock

    def start(self, account: Account, origin: str, previous: str | None = None) -> tuple[str, str]:
        """A new session for ``account`` (the one the browser had before is ended): its cookie
        value and CSRF token."""
        token, csrf, now = secrets.token_urlsafe(32), secrets.token_urlsafe(32), int(self._clock())
        with self.engine.begin() as conn:
            if previous:
                conn.execute(delete(sessions).where(sessions.c.session_hash == _sha(previous)))
            conn.execute(delete(sessions).where(sessions.c.seen_at <= now - self.idle_s))
            conn.execute(
                insert(sessions).values(
                    session_hash=_sha(token), user_id=account.user_id, csrf=csrf, created_at=now, seen_at=now,
                    address=origin[:64],
                )
            )  # fmt: skip
        return token, csrf

    def find(self, token: str | None) -> Session | None:
        """The live session behind a cookie, its idle clock restarted; None when there is none."""
        if not token or len(token) > 100:
            return None
        now = int(self._clock())
        with self.engine.begin() as conn:
            row = conn.execute(
                select(
                    sessions,
                    users.c.username,
                    users.c.role,
                    users.c.totp_secret,
                    users.c.disabled,
                    users.c.password_set_at,
                )  # fmt: skip
                .join(users, users.c.user_id == sessions.c.user_id)
                .where(sessions.c.session_hash == _sha(token))
            ).first()
            if row is None:
                return None
            if row.disabled or row.seen_at <= now - self.idle_s or row.created_at <= now - self.absolute_s:
                conn.execute(delete(sessions).where(sessions.c.session_hash == row.session_hash))
                return None
            conn.execute(update(sessions).where(sessions.c.session_hash == row.session_hash).values(seen_at=now))
        account = Account(row.user_id, row.username, Role(row.role), row.totp_secret is not None)
        return Session(account, row.csrf, row.session_hash, row.password_set_at)

    def end(self, token: str | None) -> None:
        if token:
            with self.engine.begin() as conn:
                conn.execute(delete(sessions).where(sessions.c.session_hash == _sha(token)))

    @staticmethod
    def csrf_ok(session: Session, sent: str | None) -> bool:
        return bool(sent) and secrets.compare_digest(session.csrf.encode(), (sent or "").encode())
