"""Passwords (NIST SP 800-63B-4) and the second factor (RFC 6238), as table tests."""

from __future__ import annotations

import pyotp
import pytest

from console import passwords, totp
from console.roles import GRANTS, Permission, Role, may_reveal, needs_totp


@pytest.mark.parametrize(
    ("password", "ok"),
    [
        ("correct horse battery staple", True),
        ("Zażółć gęślą jaźń, proszę pana", True),  # any characters, no composition rules
        ("x" * 14 + "Q", False),  # repetitive
        ("short but Str0ng!", True),  # 17 characters
        ("Str0ng!pass", False),  # under 15
        ("password12345678", False),  # common
        ("qwertyuiopasdfgh", False),  # keyboard walk
        ("iloveyou12345678", False),
        ("my name is admin-alice ok", False),  # holds the user name
        ("chatguard chatguard 2026!", False),  # holds the service's name
        ("a" * 129, False),  # over the maximum
        ("four random words\x00here", False),  # control character
        ("ａｂｃｄｅｆｇｈｉｊｋｌｍｎｏｐ", False),  # full-width: NFKC makes it a sequence
        ("tulip-granite-ferry-oboe-cactus", True),
        ("x7#Lq!9vR2@mZ4&k" * 8, True),  # 128 characters: accepted
    ],
)
def test_password_rules(password, ok):
    if ok:
        assert passwords.check(password, ("admin-alice",))
    else:
        with pytest.raises(passwords.WeakPassword) as refused:
            passwords.check(password, ("admin-alice",))
        assert password not in str(refused.value)


def test_argon2id_hashes_verify_and_rehash_on_new_parameters():
    from argon2 import PasswordHasher

    stored = passwords.hash_password("tulip-granite-ferry-oboe")
    assert stored.startswith("$argon2id$")
    assert passwords.verify(stored, "tulip-granite-ferry-oboe") == (True, None)
    assert passwords.verify(stored, "tulip-granite-ferry-obo")[0] is False
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash("tulip-granite-ferry-oboe")
    ok, rehashed = passwords.verify(weak, "tulip-granite-ferry-oboe")
    assert ok and rehashed is not None and rehashed != weak
    assert passwords.verify("not a hash", "x")[0] is False


def test_a_totp_code_is_accepted_once_and_within_one_step_of_drift():
    secret = totp.new_secret()
    now = 1_800_000_000.0
    code = pyotp.TOTP(secret).at(now)
    step = totp.accepted_step(secret, code, None, now)
    assert step == int(now // 30)
    assert totp.accepted_step(secret, code, step, now) is None  # replayed
    assert totp.accepted_step(secret, pyotp.TOTP(secret).at(now - 30), None, now) == step - 1
    assert totp.accepted_step(secret, pyotp.TOTP(secret).at(now - 90), None, now) is None
    for bad in ("", "12345", "1234567", "abcdef", "12 34 5x"):
        assert totp.accepted_step(secret, bad, None, now) is None


def test_recovery_codes_are_distinct_and_hashed_loosely_typed():
    codes = totp.new_recovery_codes()
    assert len(set(codes)) == 10
    assert totp.code_hash(codes[0].upper()) == totp.code_hash(" " + codes[0] + " ")


def test_roles_that_see_originals_erase_or_manage_people_need_totp():
    assert {r for r in Role if needs_totp(r)} == {Role.ADMINISTRATOR, Role.MAILBOX_MODERATOR, Role.CONTEST_MODERATOR}
    assert not any(Permission.VIEW_INBOX in GRANTS[r] for r in (Role.VIEWER, Role.MARKETER, Role.EDITOR))
    assert may_reveal(Role.MAILBOX_MODERATOR, "PHONE_NUMBER") and not may_reveal(
        Role.MAILBOX_MODERATOR, "STREET_ADDRESS"
    )
    assert may_reveal(Role.CONTEST_MODERATOR, "STREET_ADDRESS") and not may_reveal(
        Role.CONTEST_MODERATOR, "EMAIL_ADDRESS"
    )
    assert not may_reveal(Role.VIEWER, "PHONE_NUMBER") and may_reveal(Role.ADMINISTRATOR, "PL_PESEL")
