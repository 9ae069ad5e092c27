"""Self-registration with a one-time code, and password reset by code (through the notifier)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.accounts import auth, registration, users
from core.errors import AuthenticationFailed, Conflict, OrderhubError, ValidationError
from core.models import Alert, VerificationCode

GOOD = "Shop-Owner-2026"


def _last_code(app, kind: str) -> str:
    """The built-in notifier writes codes to the alerts table; read the newest one."""
    with app.tx() as s:
        alert = s.scalars(
            select(Alert).where(Alert.kind == f"notification.{kind}").order_by(Alert.id.desc())
        ).first()
    assert alert is not None, f"no {kind} notification was sent"
    return re.search(r"\b(\d{6})\b", alert.message).group(1)


def test_register_verify_then_login(app) -> None:
    reg = registration.register_org(app, "小美百货", "xiaomei", GOOD, "xiaomei@example.com")
    with pytest.raises(AuthenticationFailed, match="not verified"):
        auth.login(app, "xiaomei", GOOD)
    code = _last_code(app, "register")
    registration.verify_registration(app, "xiaomei", code)
    result = auth.login(app, "xiaomei", GOOD)
    assert result.actor.org_id == reg.org_id
    assert {u.username for u in users.list_users(app, result.actor)} == {"xiaomei"}


def test_codes_are_hashed_limited_and_expire(app, frozen_clock) -> None:
    registration.register_org(app, "shop-b", "owner-b", GOOD, "13800000000")
    code = _last_code(app, "register")
    with app.tx() as s:
        stored = s.scalars(select(VerificationCode.code_hash)).all()
    assert code not in "".join(stored)
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(AuthenticationFailed, match="wrong code"):
            registration.verify_registration(app, "owner-b", wrong)
    with pytest.raises(AuthenticationFailed, match="mistyped 5 times"):  # even the right one
        registration.verify_registration(app, "owner-b", code)
    registration.resend_registration_code(app, "owner-b")
    fresh = _last_code(app, "register")
    frozen_clock[0] += timedelta(minutes=16)
    with pytest.raises(AuthenticationFailed, match="expired"):
        registration.verify_registration(app, "owner-b", fresh)
    registration.resend_registration_code(app, "owner-b")
    registration.verify_registration(app, "owner-b", _last_code(app, "register"))


def test_registration_validates_input_and_writes_nothing_on_error(app, acme) -> None:
    with pytest.raises(ValidationError, match="too short"):
        registration.register_org(app, "new-org", "newowner", "short", "a@b.c")
    with pytest.raises(Conflict, match="already exists"):
        registration.register_org(app, "acme", "other", GOOD, "a@b.c")
    with pytest.raises(ValidationError, match="contact"):
        registration.register_org(app, "new-org", "newowner", GOOD, " ")
    with pytest.raises(ValidationError, match="not '!'"):
        registration.register_org(app, "new-org", "new!owner", GOOD, "a@b.c")
    registration.register_org(app, "new-org", "newowner", GOOD, "a@b.c")  # nothing half-written


def test_password_reset_by_code(app, acme) -> None:
    registration.request_password_reset(app, "boss")
    registration.request_password_reset(app, "nobody-here")  # silent: no user enumeration
    code = _last_code(app, "password_reset")
    with pytest.raises(ValidationError, match="only digits"):
        registration.reset_password_with_code(app, "boss", code, "12345678901")
    registration.reset_password_with_code(app, "boss", code, "Brand-New-Pass-1")
    auth.login(app, "boss", "Brand-New-Pass-1")
    with pytest.raises(AuthenticationFailed):
        registration.reset_password_with_code(app, "boss", code, "Brand-New-Pass-2")


def _answer(call) -> tuple[type, str, str]:
    with pytest.raises(OrderhubError) as info:
        call()
    return type(info.value), info.value.code, str(info.value)


def test_password_reset_by_code_does_not_tell_which_users_exist(app, acme, frozen_clock) -> None:
    """Unknown, disabled, no code asked for, wrong, expired or worn-out code: one answer."""
    users.add_user(app, acme.admin, "gone", GOOD)
    users.add_user(app, acme.admin, "asked", GOOD)
    users.add_user(app, acme.admin, "tried", GOOD)
    users.set_user_enabled(app, acme.admin, "gone", enabled=False)
    registration.request_password_reset(app, "asked")
    registration.request_password_reset(app, "tried")
    registration.request_password_reset(app, "gone")  # silent, sends nothing
    code = _last_code(app, "password_reset")
    wrong = "000000" if code != "000000" else "111111"
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            registration.reset_password_with_code(app, "tried", wrong, "Brand-New-Pass-1")
    reset = registration.reset_password_with_code
    answers = {
        "unknown": _answer(lambda: reset(app, "nobody-here", code, "Brand-New-Pass-1")),
        "disabled": _answer(lambda: reset(app, "gone", code, "Brand-New-Pass-1")),
        "no code asked": _answer(lambda: reset(app, "boss", code, "Brand-New-Pass-1")),
        "wrong code": _answer(lambda: reset(app, "asked", wrong, "Brand-New-Pass-1")),
        "too many tries": _answer(lambda: reset(app, "tried", code, "Brand-New-Pass-1")),
    }
    frozen_clock[0] += timedelta(minutes=16)
    answers["expired"] = _answer(lambda: reset(app, "asked", code, "Brand-New-Pass-1"))
    assert len(set(answers.values())) == 1, answers
    assert answers["unknown"][2].startswith("wrong code")
    # A password breaking the policy is refused alike, whether the name exists or not.
    assert _answer(lambda: reset(app, "nobody-here", code, "short")) == _answer(
        lambda: reset(app, "boss", code, "short")
    )
    auth.login(app, "asked", GOOD)  # unchanged


def test_registration_codes_do_not_tell_which_names_are_waiting(app, acme) -> None:
    registration.register_org(app, "shop-c", "owner-c", GOOD, "c@example.com")
    code = _last_code(app, "register")
    wrong = "000000" if code != "000000" else "111111"
    verify = registration.verify_registration
    answers = {
        "unknown": _answer(lambda: verify(app, "nobody-here", code)),
        "already active": _answer(lambda: verify(app, "boss", code)),
        "wrong code": _answer(lambda: verify(app, "owner-c", wrong)),
    }
    assert len(set(answers.values())) == 1, answers
    # Asking for a new code says nothing either way, and sends nothing for an unknown name.
    registration.resend_registration_code(app, "nobody-here")
    registration.resend_registration_code(app, "boss")
    assert _last_code(app, "register") == code
    verify(app, "owner-c", code)
