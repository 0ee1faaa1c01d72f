"""People: created with a one-time set-up link, a strong password and (for the roles that can see
originals, erase or manage people) TOTP; sign-in checked against failures per account and per
address. Refusals say the same thing for an unknown name and a wrong password."""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import NoReturn

from sqlalchemy import Connection, Engine, Row, delete, func, insert, select, update

from console import audit, passwords, totp
from console.roles import Role, needs_totp
from console.tables import failures, recovery_codes, sessions, users
from schemas.errors import ChatguardError

USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,63}")
SETUP_TTL_S = 24 * 3600
WINDOW_S = 15 * 60
MAX_FAILURES_ACCOUNT = 5  # per account per window: an online guesser gets 480 tries a day
MAX_FAILURES_ADDRESS = 20  # per address: one address spraying many accounts


class SignInRefused(ChatguardError):
    http_status = 401
    exit_code = 1
    metric_reason = "sign_in_refused"


class Throttled(ChatguardError):
    http_status = 429
    exit_code = 1
    metric_reason = "throttled"


class AccountError(ChatguardError):
    http_status = 400
    exit_code = 2
    metric_reason = "account"


@dataclass(frozen=True, slots=True)
class Account:
    user_id: str
    username: str
    role: Role
    totp: bool

    @classmethod
    def of(cls, row: Row) -> Account:
        return cls(row.user_id, row.username, Role(row.role), row.totp_secret is not None)


def _sha(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


class Accounts:
    def __init__(self, engine: Engine, clock: Callable[[], float] = time.time) -> None:
        self.engine = engine
        self._clock = clock
        self._throttle_audited: dict[str, int] = {}

    def _now(self) -> int:
        return int(self._clock())

    # -- people ---------------------------------------------------------------------------------

    def create(self, username: str, role: Role, by: str, origin: str) -> str:
        """A new person; returns the token of their one-time set-up link."""
        if not USERNAME.fullmatch(username):
            raise AccountError("user name: 3-64 of a-z 0-9 . _ -, starting with a letter or digit")
        token, now = secrets.token_urlsafe(32), self._now()
        with self.engine.begin() as conn:
            if conn.execute(select(users.c.user_id).where(users.c.username == username)).first():
                raise AccountError("that user name is taken")
            user_id = "p_" + secrets.token_hex(8)
            conn.execute(
                insert(users).values(
                    user_id=user_id, username=username, role=role.value, setup_hash=_sha(token),
                    setup_expires_at=now + SETUP_TTL_S, disabled=False, created_at=now, created_by=by,
                )
            )  # fmt: skip
            audit.record(conn, by, "user_create", f"{username} as {role.value}", origin)
        return token

    def reset(self, username: str, by: str, origin: str) -> str:
        """A new set-up link: password, second factor and sessions are gone."""
        token, now = secrets.token_urlsafe(32), self._now()
        with self.engine.begin() as conn:
            row = self._named(conn, username)
            conn.execute(
                update(users).where(users.c.user_id == row.user_id).values(
                    password_hash=None, totp_secret=None, totp_last_step=None, setup_hash=_sha(token),
                    setup_expires_at=now + SETUP_TTL_S,
                )
            )  # fmt: skip
            conn.execute(delete(recovery_codes).where(recovery_codes.c.user_id == row.user_id))
            conn.execute(delete(sessions).where(sessions.c.user_id == row.user_id))
            self._forgive(conn, row.user_id)  # a reset also lifts a lock-out
            audit.record(conn, by, "user_reset", username, origin)
        return token

    def set_role(self, username: str, role: Role, by: str, origin: str) -> str | None:
        """Change a role (their sessions end); a set-up token when the new role needs a second
        factor they have not got (they set up again)."""
        token = None
        with self.engine.begin() as conn:
            row = self._named(conn, username)
            changes: dict = {"role": role.value}
            if needs_totp(role) and row.totp_secret is None and row.password_hash is not None:
                token = secrets.token_urlsafe(32)
                changes |= {
                    "password_hash": None, "setup_hash": _sha(token), "setup_expires_at": self._now() + SETUP_TTL_S,
                }  # fmt: skip
            conn.execute(update(users).where(users.c.user_id == row.user_id).values(**changes))
            conn.execute(delete(sessions).where(sessions.c.user_id == row.user_id))  # new rights, new sign-in
            audit.record(conn, by, "user_role", f"{username} {row.role}->{role.value}"[:40], origin)
        return token

    def set_disabled(self, username: str, disabled: bool, by: str, origin: str) -> None:
        with self.engine.begin() as conn:
            row = self._named(conn, username)
            conn.execute(update(users).where(users.c.user_id == row.user_id).values(disabled=disabled))
            conn.execute(delete(sessions).where(sessions.c.user_id == row.user_id))
            if not disabled:
                self._forgive(conn, row.user_id)
            audit.record(conn, by, "user_disable" if disabled else "user_enable", username, origin)

    def everyone(self) -> list[Row]:
        with self.engine.connect() as conn:
            return list(conn.execute(select(users).order_by(users.c.username)))

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(users)).scalar_one())

    def _named(self, conn: Connection, username: str) -> Row:
        row = conn.execute(select(users).where(users.c.username == username)).first()
        if row is None:
            raise AccountError("no such user")
        return row

    # -- set-up ---------------------------------------------------------------------------------

    def pending(self, token: str, view: str | None = None) -> tuple[Row, str | None]:
        """The person a set-up link is for, and the TOTP secret to enrol. A view (``view``: where
        from) makes a new secret: a link preview that opened the page earlier learns nothing that
        lasts. Audited."""
        now = self._now()
        with self.engine.begin() as conn:
            row = conn.execute(select(users).where(users.c.setup_hash == _sha(token))).first()
            if row is None or row.setup_expires_at is None or row.setup_expires_at <= now or row.disabled:
                raise AccountError("this set-up link is unknown, used or expired: ask an administrator for a new one")
            secret = row.totp_secret
            if secret is None or view is not None:
                secret = totp.new_secret()
                conn.execute(update(users).where(users.c.user_id == row.user_id).values(totp_secret=secret))
            if view is not None:
                audit.record(conn, row.username, "setup_view", "shown", view)
        return row, secret

    def complete_setup(self, token: str, password: str, confirm: str, code: str, origin: str) -> list[str]:
        """Set the password (and enrol TOTP when a code is given or the role needs it); returns
        the recovery codes to show once (none without TOTP)."""
        row, secret = self.pending(token)
        if password != confirm:
            raise passwords.WeakPassword("the two passwords differ")
        passwords.check(password, (row.username,))
        wants_totp = needs_totp(Role(row.role)) or bool(code.strip())
        step = totp.accepted_step(secret, code, None, self._clock()) if wants_totp and secret else None
        if wants_totp and step is None:
            audit.record_alone(self.engine, row.username, "totp_enrol", "wrong code", origin)
            raise passwords.WeakPassword("the authenticator code is wrong: check the app's clock and try again")
        codes = totp.new_recovery_codes() if wants_totp else []
        hashed = passwords.hash_password(password)
        with self.engine.begin() as conn:
            claimed = conn.execute(
                update(users).where(users.c.user_id == row.user_id, users.c.setup_hash == _sha(token)).values(
                    password_hash=hashed, password_set_at=self._now(),
                    totp_secret=secret if wants_totp else None, totp_last_step=step,
                    setup_hash=None, setup_expires_at=None,
                )
            ).rowcount  # fmt: skip
            if claimed != 1:  # a second tab completed it meanwhile
                raise AccountError("this set-up link is unknown, used or expired: ask an administrator for a new one")
            conn.execute(delete(recovery_codes).where(recovery_codes.c.user_id == row.user_id))
            if codes:
                conn.execute(
                    insert(recovery_codes), [{"code_hash": totp.code_hash(c), "user_id": row.user_id} for c in codes]
                )
            audit.record(conn, row.username, "setup", "totp enrolled" if wants_totp else "password only", origin)
        return codes

    # -- sign-in --------------------------------------------------------------------------------

    def sign_in(self, username: str, password: str, code: str, origin: str) -> Account:
        now = self._now()
        name = normal_name(username)
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.username == name)).first()
        # The attempt is counted before the password is checked: parallel guesses cannot slip
        # past the limit. A name nobody has is not written down (it may be a misplaced password).
        attempt = self._attempt(f"user:{row.user_id}" if row is not None else "user:?", origin, now)
        if row is None or row.password_hash is None or row.disabled:
            passwords.burn_time(password)
            self._refuse("?" if row is None else name, origin, "unknown or not set up")
        ok, rehashed = passwords.verify(row.password_hash, password)
        if not ok:
            self._refuse(name, origin, "wrong password")
        how = "ok, password only"
        with self.engine.begin() as conn:
            if row.totp_secret is not None:
                step = totp.accepted_step(row.totp_secret, code, row.totp_last_step, self._clock())
                # Claimed by a conditional write: two sign-ins racing with one code, one wins.
                won = step is not None and conn.execute(
                    update(users)
                    .where(users.c.user_id == row.user_id)
                    .where((users.c.totp_last_step.is_(None)) | (users.c.totp_last_step < step))
                    .values(totp_last_step=step)
                ).rowcount == 1  # fmt: skip
                if won:
                    how = "ok"
                elif self._use_recovery_code(conn, row.user_id, code, now):
                    how = "ok, recovery code"
                else:
                    how = ""
            if how:
                if rehashed:
                    conn.execute(update(users).where(users.c.user_id == row.user_id).values(password_hash=rehashed))
                conn.execute(delete(failures).where(failures.c.id.in_(attempt)))  # a success is no failure
                audit.record(conn, name, "sign_in", how, origin)
        if not how:
            self._refuse(name, origin, "wrong code")
        return Account.of(row)

    def password_expired(self, user_id: str, max_age_days: int) -> bool:
        if max_age_days <= 0:
            return False
        with self.engine.connect() as conn:
            set_at = conn.execute(select(users.c.password_set_at).where(users.c.user_id == user_id)).scalar()
        return set_at is None or self._now() - set_at > max_age_days * 86_400

    def change_password(self, account: Account, current: str, new: str, confirm: str, origin: str) -> None:
        with self.engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.user_id == account.user_id)).one()
        attempt = self._attempt(f"user:{account.user_id}", origin, self._now())  # guesses count as sign-ins
        if not passwords.verify(row.password_hash, current)[0]:
            audit.record_alone(self.engine, account.username, "password_change", "wrong current", origin)
            raise SignInRefused("the current password is wrong")
        with self.engine.begin() as conn:
            conn.execute(delete(failures).where(failures.c.id.in_(attempt)))
        if new != confirm:
            raise passwords.WeakPassword("the two passwords differ")
        passwords.check(new, (account.username,))
        with self.engine.begin() as conn:
            conn.execute(
                update(users).where(users.c.user_id == account.user_id)
                .values(password_hash=passwords.hash_password(new), password_set_at=self._now())
            )  # fmt: skip
            conn.execute(delete(sessions).where(sessions.c.user_id == account.user_id))  # every session ends
            audit.record(conn, account.username, "password_change", "ok", origin)

    def _use_recovery_code(self, conn: Connection, user_id: str, code: str, now: int) -> bool:
        if len(code) > 40 or "-" not in code:
            return False
        return bool(
            conn.execute(
                update(recovery_codes)
                .where(
                    recovery_codes.c.user_id == user_id,
                    recovery_codes.c.code_hash == totp.code_hash(code),
                    recovery_codes.c.used_at.is_(None),
                )
                .values(used_at=now)
            ).rowcount
        )

    def _attempt(self, user_key: str, origin: str, now: int) -> list[int]:
        """Count this attempt against the account and the address (their ids, to forget on
        success); Throttled when either is over its limit in the window."""
        with self.engine.begin() as conn:
            ids = [
                conn.execute(insert(failures).values(key=key, at=now).returning(failures.c.id)).scalar_one()
                for key in (user_key, f"addr:{origin}")
            ]
            conn.execute(delete(failures).where(failures.c.at <= now - WINDOW_S))
        with self.engine.connect() as conn:  # after the commit: parallel attempts see each other
            counts: dict[str, int] = dict(
                conn.execute(
                    select(failures.c.key, func.count())
                    .where(failures.c.key.in_([user_key, f"addr:{origin}"]), failures.c.at > now - WINDOW_S)
                    .group_by(failures.c.key)
                ).all()
            )
        if counts.get(user_key, 0) > MAX_FAILURES_ACCOUNT or counts.get(f"addr:{origin}", 0) > MAX_FAILURES_ADDRESS:
            window = now // WINDOW_S
            if self._throttle_audited.get(user_key + origin) != window:  # once a window: no log flood
                self._throttle_audited[user_key + origin] = window
                audit.record_alone(self.engine, "?", "sign_in", "throttled", origin)
            raise Throttled("too many failed sign-ins: wait 15 minutes, or ask an administrator to reset the account")
        return ids

    def _refuse(self, actor: str, origin: str, why: str) -> NoReturn:
        audit.record_alone(self.engine, actor, "sign_in", f"refused: {why}", origin)
        raise SignInRefused("wrong user name, password or code")

    def _forgive(self, conn: Connection, user_id: str) -> None:
        conn.execute(delete(failures).where(failures.c.key == f"user:{user_id}"))


def normal_name(typed: str) -> str:
    """One spelling of a user name: NFKC, case-folded, spaces dropped at the ends."""
    import unicodedata

    return unicodedata.normalize("NFKC", typed).strip().casefold()[:64]
