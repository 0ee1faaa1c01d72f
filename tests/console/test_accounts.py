"""People on both databases: a one-time set-up link, TOTP required where the role needs it,
sign-in refusals that do not tell names apart, throttling, recovery codes, sessions."""

from __future__ import annotations

import pyotp
import pytest
from sqlalchemy import select

from console.accounts import AccountError, Accounts, SignInRefused, Throttled
from console.passwords import WeakPassword
from console.roles import Role
from console.sessions import Sessions
from vault.audit import verify
from vault.tables import audit

PASSWORD = "tulip-granite-ferry-oboe"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def people(console_engine):
    clock = Clock()
    return Accounts(console_engine, clock), clock


def set_up(accounts: Accounts, clock: Clock, username: str, role: Role) -> str:
    token = accounts.create(username, role, "admin", "127.0.0.1")
    row, secret = accounts.pending(token)
    accounts.complete_setup(token, PASSWORD, PASSWORD, pyotp.TOTP(secret).at(clock.now), "127.0.0.1")
    return secret


def entries(engine) -> list:
    with engine.connect() as conn:
        return list(conn.execute(select(audit).order_by(audit.c.seq)))


def test_set_up_then_sign_in_with_password_and_code(people):
    accounts, clock = people
    secret = set_up(accounts, clock, "mod-anna", Role.MAILBOX_MODERATOR)
    clock.now += 60
    account = accounts.sign_in("mod-anna", PASSWORD, pyotp.TOTP(secret).at(clock.now), "10.0.0.1")
    assert account.role is Role.MAILBOX_MODERATOR and account.totp
    with pytest.raises(SignInRefused):  # the same code again
        accounts.sign_in("mod-anna", PASSWORD, pyotp.TOTP(secret).at(clock.now), "10.0.0.1")
    log = entries(accounts.engine)
    assert [e.action for e in log][-3:] == ["setup", "sign_in", "sign_in"]
    assert all(PASSWORD not in str(tuple(e)) for e in log)
    assert log[-2].origin == "10.0.0.1" and log[-2].actor == "console:mod-anna"


def test_a_set_up_link_works_once(people):
    accounts, clock = people
    token = accounts.create("viewer-1", Role.VIEWER, "admin", "127.0.0.1")
    accounts.complete_setup(token, PASSWORD, PASSWORD, "", "127.0.0.1")  # TOTP optional for a Viewer
    with pytest.raises(AccountError):
        accounts.pending(token)
    assert accounts.sign_in("viewer-1", PASSWORD, "", "127.0.0.1").totp is False


def test_roles_that_can_reveal_must_enrol_totp(people):
    accounts, clock = people
    token = accounts.create("admin-2", Role.ADMINISTRATOR, "admin", "127.0.0.1")
    accounts.pending(token)
    with pytest.raises(WeakPassword, match="authenticator code"):
        accounts.complete_setup(token, PASSWORD, PASSWORD, "", "127.0.0.1")
    with pytest.raises(WeakPassword, match="authenticator code"):
        accounts.complete_setup(token, PASSWORD, PASSWORD, "000000", "127.0.0.1")
    with pytest.raises(WeakPassword, match="15 characters"):
        accounts.complete_setup(token, "short", "short", "", "127.0.0.1")


def test_refusals_look_the_same_and_throttle_per_account(people):
    accounts, clock = people
    secret = set_up(accounts, clock, "mod-bob", Role.MAILBOX_MODERATOR)
    messages = set()
    for name, password, code in [
        ("nobody", PASSWORD, ""),
        ("mod-bob", "wrong-password-entirely", pyotp.TOTP(secret).at(clock.now)),
        ("mod-bob", PASSWORD, "123456"),
    ]:
        with pytest.raises(SignInRefused) as refused:
            accounts.sign_in(name, password, code, "10.0.0.2")
        messages.add(str(refused.value))
    assert messages == {"wrong user name, password or code"}
    for _ in range(3):
        with pytest.raises(SignInRefused):
            accounts.sign_in("mod-bob", "wrong-password-entirely", "", "10.0.0.3")
    with pytest.raises(Throttled):  # even with the right password and code
        accounts.sign_in("mod-bob", PASSWORD, pyotp.TOTP(secret).at(clock.now), "10.0.0.4")
    clock.now += 15 * 60 + 1
    assert accounts.sign_in("mod-bob", PASSWORD, pyotp.TOTP(secret).at(clock.now), "10.0.0.4")
    # A name nobody has is not written down: it may be a password typed in the wrong box.
    assert all("nobody" not in str(tuple(e)) for e in entries(accounts.engine))


def test_a_recovery_code_signs_in_once(people):
    accounts, clock = people
    token = accounts.create("mod-cyd", Role.CONTEST_MODERATOR, "admin", "127.0.0.1")
    _row, secret = accounts.pending(token)
    codes = accounts.complete_setup(token, PASSWORD, PASSWORD, pyotp.TOTP(secret).at(clock.now), "127.0.0.1")
    assert len(codes) == 10
    assert accounts.sign_in("mod-cyd", PASSWORD, codes[3], "127.0.0.1")
    with pytest.raises(SignInRefused):
        accounts.sign_in("mod-cyd", PASSWORD, codes[3], "127.0.0.1")


def test_sessions_end_when_idle_when_old_and_when_the_role_changes(people):
    accounts, clock = people
    secret = set_up(accounts, clock, "mod-dee", Role.MAILBOX_MODERATOR)
    sessions = Sessions(accounts.engine, idle_s=900, absolute_s=3600, clock=clock)
    clock.now += 30  # the set-up's code is used: the next one
    account = accounts.sign_in("mod-dee", PASSWORD, pyotp.TOTP(secret).at(clock.now), "127.0.0.1")
    token, csrf = sessions.start(account, "127.0.0.1")
    found = sessions.find(token)
    assert found and found.csrf == csrf and Sessions.csrf_ok(found, csrf) and not Sessions.csrf_ok(found, "x")
    clock.now += 899
    assert sessions.find(token)
    clock.now += 901
    assert sessions.find(token) is None  # idle
    token, _ = sessions.start(account, "127.0.0.1")
    for _ in range(4):
        clock.now += 850
        assert sessions.find(token)
    clock.now += 850
    assert sessions.find(token) is None  # absolute
    token, _ = sessions.start(account, "127.0.0.1")
    accounts.set_role("mod-dee", Role.VIEWER, "admin", "127.0.0.1")
    assert sessions.find(token) is None
    second, _ = sessions.start(account, "127.0.0.1", previous=token)
    assert sessions.find(second) and sessions.find(token) is None


def test_the_audit_chain_holds_after_console_actions(people):
    accounts, clock = people
    set_up(accounts, clock, "admin-eve", Role.ADMINISTRATOR)
    with pytest.raises(SignInRefused):
        accounts.sign_in("admin-eve", "not the password at all", "", "127.0.0.1")
    assert verify(e._mapping for e in entries(accounts.engine)).ok


def test_one_code_signs_in_once_even_when_sent_in_parallel(people):
    import threading

    accounts, clock = people
    secret = set_up(accounts, clock, "mod-race", Role.MAILBOX_MODERATOR)
    clock.now += 30
    code, results = pyotp.TOTP(secret).at(clock.now), []

    def attempt() -> None:
        try:
            results.append(accounts.sign_in("mod-race", PASSWORD, code, "10.0.0.7"))
        except (SignInRefused, Throttled):
            results.append(None)

    threads = [threading.Thread(target=attempt) for _ in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sum(r is not None for r in results) == 1


def test_parallel_guesses_do_not_slip_past_the_limit(people):
    import threading

    accounts, clock = people
    set_up(accounts, clock, "mod-guess", Role.MAILBOX_MODERATOR)
    outcomes: list[str] = []

    def guess(i: int) -> None:
        try:
            accounts.sign_in("mod-guess", f"guess number {i} is wrong", "", "10.0.0.8")
        except SignInRefused:
            outcomes.append("checked")
        except Throttled:
            outcomes.append("throttled")

    threads = [threading.Thread(target=guess, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert outcomes.count("checked") <= 5 and len(outcomes) == 16


@pytest.mark.parametrize("code", ["١٢٣٤٥٦", "１２３４５６", "12345６"])
def test_codes_in_other_digits_are_refused_not_crashed(people, code):
    accounts, clock = people
    set_up(accounts, clock, "mod-digits", Role.MAILBOX_MODERATOR)
    with pytest.raises(SignInRefused):
        accounts.sign_in("mod-digits", PASSWORD, code, "10.0.0.9")


def test_a_reset_lifts_a_lock_out(people):
    accounts, clock = people
    set_up(accounts, clock, "admin-locked", Role.ADMINISTRATOR)
    for _ in range(5):
        with pytest.raises(SignInRefused):
            accounts.sign_in("admin-locked", "an attacker's guess here", "", "10.0.0.10")
    with pytest.raises(Throttled):
        accounts.sign_in("admin-locked", "an attacker's guess here", "", "10.0.0.11")
    token = accounts.reset("admin-locked", "admin", "127.0.0.1")
    _row, secret = accounts.pending(token)
    accounts.complete_setup(token, PASSWORD, PASSWORD, pyotp.TOTP(secret).at(clock.now), "127.0.0.1")
    clock.now += 30
    assert accounts.sign_in("admin-locked", PASSWORD, pyotp.TOTP(secret).at(clock.now), "10.0.0.12")


def test_a_set_up_link_completes_once_and_each_view_makes_a_new_key(people):
    accounts, clock = people
    token = accounts.create("mod-twice", Role.MAILBOX_MODERATOR, "admin", "127.0.0.1")
    _row, previewed = accounts.pending(token, "10.9.9.9")  # a link preview opened it first
    _row, secret = accounts.pending(token, "127.0.0.1")
    assert previewed != secret
    with pytest.raises(WeakPassword):  # the preview's key no longer works
        accounts.complete_setup(token, PASSWORD, PASSWORD, pyotp.TOTP(previewed).at(clock.now), "127.0.0.1")
    accounts.complete_setup(token, PASSWORD, PASSWORD, pyotp.TOTP(secret).at(clock.now), "127.0.0.1")
    with pytest.raises(AccountError):
        accounts.complete_setup(token, PASSWORD, PASSWORD, pyotp.TOTP(secret).at(clock.now), "127.0.0.1")
