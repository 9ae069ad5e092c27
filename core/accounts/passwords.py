"""Password hashing (argon2id) and the password policy.

Policy (issue 2): at least `password_min_length` (10) characters, not only digits, not the
user name (in either direction, case-insensitive). Messages say exactly which rule failed.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from core.config import AuthSettings
from core.errors import ValidationError


def hasher(auth: AuthSettings) -> PasswordHasher:
    return PasswordHasher(
        time_cost=auth.argon2_time_cost,
        memory_cost=auth.argon2_memory_kib,
        parallelism=auth.argon2_parallelism,
    )


def check_policy(password: str, username: str, auth: AuthSettings) -> None:
    """Raise ValidationError (field `password`) naming the first rule the password breaks."""
    if len(password) < auth.password_min_length:
        raise ValidationError(
            f"password is too short: {len(password)} characters, at least "
            f"{auth.password_min_length} needed",
            field="password",
        )
    if password.isdigit():
        raise ValidationError("password must not be only digits", field="password")
    lowered, name = password.lower(), username.lower()
    # The name itself, reversed, or padded with up to three characters ("wangwu123").
    if name and (name in lowered or name[::-1] in lowered) and len(lowered) - len(name) <= 3:
        raise ValidationError("password must not be the user name", field="password")
    if len(set(password)) < 4:
        raise ValidationError("password repeats too few characters", field="password")


def hash_password(password: str, auth: AuthSettings) -> str:
    return hasher(auth).hash(password)


def verify_password(password_hash: str, password: str, auth: AuthSettings) -> bool:
    try:
        return hasher(auth).verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str, auth: AuthSettings) -> bool:
    """True when the stored hash used weaker parameters than configured now."""
    try:
        return hasher(auth).check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


# A hash of a random password, used to spend the same time on unknown user names as on
# known ones, so response time does not reveal which user names exist.
_DUMMY: dict[tuple[int, int, int], str] = {}


def burn_time(auth: AuthSettings) -> None:
    """Spend one argon2 computation, as checking a real password does (hashing the dummy the
    first time costs the same as verifying it later)."""
    key = (auth.argon2_time_cost, auth.argon2_memory_kib, auth.argon2_parallelism)
    if key not in _DUMMY:
        _DUMMY[key] = hash_password("orderhub-dummy-password", auth)
        return
    verify_password(_DUMMY[key], "not-the-password", auth)
