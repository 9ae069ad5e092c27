"""Self-registration with a one-time code, and password reset by code (through the notifier)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from core.accounts import auth, registration, users
from core.app import App
from core.errors import AuthenticationFailed, Conflict, OrderhubError, ValidationError
from core.models import VerificationCode

GOOD = "Shop-Owner-2026"


class _NotifyLog(logging.Handler):
    """What the built-in log notifier wrote: the only place a one-time code may appear."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


_notify_log = _NotifyLog()


@pytest.fixture(autouse=True)
def notify_log() -> Iterator[_NotifyLog]:
    logger = logging.getLogger("orderhub.notify")
    saved = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(_notify_log)
    try:
        yield _notify_log
    finally:
        logger.removeHandler(_notify_log)
        logger.setLevel(saved)
        _notify_log.messages.clear()


def _last_code(kind: str) -> str:
    """The newest code of `kind` the log notifier wrote to the operator's log."""
    sent = [m for m in _notify_log.messages if m.startswith(f"{kind} notification")]
    assert sent, f"no {kind} notification was sent"
    return re.search(r"\b(\d{6})\b", sent[-1].splitlines()[-1]).group(1)


def _textual(value: object) -> bool:
    return isinstance(value, str | dict | list)  # text and JSON columns, not times or numbers


def _text_in_database(app: App) -> str:
    """Every text (and JSON) value of every row of every table, as one string."""
    found: list[str] = []
    with app.engine.connect() as conn:
        meta = sa.MetaData()
        meta.reflect(conn)
        for table in meta.sorted_tables:
            for row in conn.execute(sa.select(table)):
                found += [v if isinstance(v, str) else repr(v) for v in row if _textual(v)]
    return "\n".join(found)


def test_register_verify_then_login(app) -> None:
    reg = registration.register_org(app, "小美百货", "xiaomei", GOOD, "xiaomei@example.com")
    with pytest.raises(AuthenticationFailed, match="not verified"):
        auth.login(app, "xiaomei", GOOD)
    code = _last_code("register")
    registration.verify_registration(app, "xiaomei", code)
    result = auth.login(app, "xiaomei", GOOD)
    assert result.actor.org_id == reg.org_id
    assert {u.username for u in users.list_users(app, result.actor)} == {"xiaomei"}


def test_codes_are_hashed_limited_and_expire(app, frozen_clock) -> None:
    registration.register_org(app, "shop-b", "owner-b", GOOD, "13800000000")
    code = _last_code("register")
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
    fresh = _last_code("register")
    frozen_clock[0] += timedelta(minutes=16)
    with pytest.raises(AuthenticationFailed, match="expired"):
        registration.verify_registration(app, "owner-b", fresh)
    registration.resend_registration_code(app, "owner-b")
    registration.verify_registration(app, "owner-b", _last_code("register"))


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
    code = _last_code("password_reset")
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
    code = _last_code("password_reset")
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
    code = _last_code("register")
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
    assert _last_code("register") == code
    verify(app, "owner-c", code)


def test_a_delivered_code_is_stored_nowhere_in_clear(app, acme, notify_log) -> None:
    registration.register_org(app, "shop-c", "owner-c", GOOD, "owner-c@example.com")
    registration.resend_registration_code(app, "owner-c")
    registration.request_password_reset(app, "boss")
    codes = [_last_code("register"), _last_code("password_reset")]
    codes += [re.search(r"\b(\d{6})\b", m.splitlines()[-1]).group(1) for m in notify_log.messages]

    stored = _text_in_database(app)
    assert "notification.register" in stored and "notification.password_reset" in stored
    for code in set(codes):
        assert code not in stored, f"code {code} is stored in clear"

    registration.verify_registration(app, "owner-c", _last_code("register"))
    registration.reset_password_with_code(
        app, "boss", _last_code("password_reset"), "Brand-New-Pass-1"
    )
    stored = _text_in_database(app)
    for code in set(codes):
        assert code not in stored, f"code {code} is stored in clear after use"
