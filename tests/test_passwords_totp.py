"""Password policy and hashing; TOTP against RFC 6238's own test vectors."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.accounts import passwords, totp
from core.config import AuthSettings
from core.errors import ValidationError

AUTH = AuthSettings(argon2_time_cost=1, argon2_memory_kib=1024, argon2_parallelism=1)


@pytest.mark.parametrize(
    ("password", "username", "rule"),
    [
        ("short1!", "wang", "too short"),
        ("1234567890123", "wang", "only digits"),
        ("wangxiaoming", "wangxiaoming", "user name"),
        ("WangXiaoMing123", "wangxiaoming", "user name"),
        ("gnimoaixgnaw", "wangxiaoming", "user name"),
        ("aaaaaaaaaaaa", "wang", "too few"),
    ],
)
def test_policy_names_the_rule_that_failed(password: str, username: str, rule: str) -> None:
    with pytest.raises(ValidationError, match=rule) as info:
        passwords.check_policy(password, username, AUTH)
    assert info.value.details["field"] == "password"


def test_policy_accepts_a_good_password() -> None:
    passwords.check_policy("Correct-Horse-9", "wangxiaoming", AUTH)
    passwords.check_policy("打单员的密码很长很长", "wang", AUTH)


@given(st.text(min_size=10, max_size=40).filter(lambda p: not p.isdigit() and len(set(p)) >= 4))
def test_policy_never_rejects_a_long_varied_password_unrelated_to_the_name(pw: str) -> None:
    passwords.check_policy(pw, "zz-no-such-name-zz", AUTH)


def test_hash_is_argon2id_and_verifies() -> None:
    hashed = passwords.hash_password("Correct-Horse-9", AUTH)
    assert hashed.startswith("$argon2id$")
    assert "Correct-Horse-9" not in hashed
    assert passwords.verify_password(hashed, "Correct-Horse-9", AUTH)
    assert not passwords.verify_password(hashed, "correct-horse-9", AUTH)
    assert not passwords.verify_password("not a hash", "x", AUTH)


def test_rehash_when_cost_goes_up() -> None:
    weak = passwords.hash_password("Correct-Horse-9", AUTH)
    stronger = AuthSettings(argon2_time_cost=2, argon2_memory_kib=2048, argon2_parallelism=1)
    assert passwords.needs_rehash(weak, stronger)
    assert not passwords.needs_rehash(weak, AUTH)


# RFC 6238 appendix B: SHA-1 secret "12345678901234567890", 8 digits.
RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"


@pytest.mark.parametrize(
    ("unix_time", "code"),
    [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ],
)
def test_totp_matches_rfc6238_vectors(unix_time: int, code: str) -> None:
    assert totp.code_at(RFC_SECRET, unix_time // 30, digits=8) == code


def test_totp_accepts_one_step_of_drift_and_names_the_step() -> None:
    secret = totp.new_secret()
    moment = datetime(2026, 11, 27, 3, 0, 15, tzinfo=UTC)
    step = totp.step_of(moment)
    assert totp.matching_step(secret, totp.code_at(secret, step), moment) == step
    assert totp.matching_step(secret, totp.code_at(secret, step - 1), moment) == step - 1
    assert totp.matching_step(secret, totp.code_at(secret, step + 1), moment) == step + 1
    assert totp.matching_step(secret, totp.code_at(secret, step - 3), moment) is None
    assert totp.matching_step(secret, "12ab56", moment) is None
    assert totp.provisioning_uri(secret, "boss").startswith("otpauth://totp/orderhub%3Aboss?")
