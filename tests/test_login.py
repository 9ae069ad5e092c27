"""Login, lockout and its expiry, TOTP, sessions and API tokens — on both backends."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core import clock
from core.accounts import auth, passwords, totp
from core.accounts import users as accounts
from core.errors import (
    AuthenticationFailed,
    Conflict,
    NotFound,
    PermissionDenied,
    SecondFactorRequired,
)
from core.models import ApiToken, AuditEvent
from tests.conftest import ADMIN_PASSWORD


def _actions(app, org_id=None) -> list[str]:
    with app.tx() as s:
        stmt = select(AuditEvent.action).order_by(AuditEvent.id)
        if org_id is not None:
            stmt = stmt.where(AuditEvent.org_id == org_id)
        return list(s.scalars(stmt))


def test_login_issues_a_session_token_that_authenticates(app, acme) -> None:
    result = auth.login(app, "boss", ADMIN_PASSWORD, source="tests")
    assert result.session_token.token.startswith("oh_")
    actor = auth.authenticate(app, result.session_token.token)
    assert (actor.org_id, actor.user_id, actor.label) == (acme.org_id, acme.admin_id, "boss")
    assert "login.success" in _actions(app, acme.org_id)


def test_wrong_password_and_unknown_user_are_audited_alike(app, acme) -> None:
    with pytest.raises(AuthenticationFailed, match="wrong user name or password"):
        auth.login(app, "boss", "not-the-password")
    with pytest.raises(AuthenticationFailed, match="wrong user name or password"):
        auth.login(app, "nobody", "whatever-at-all")
    with app.tx() as s:
        failures = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "login.failure").order_by(AuditEvent.id)
        ).all()
    assert [(f.actor_label, f.org_id) for f in failures] == [
        ("boss", acme.org_id),
        ("nobody", None),
    ]


def _lock_state(app, acme, username: str) -> tuple[int, str | None]:
    """What an admin sees of a user's failed logins: the count and the lock's end."""
    user = next(u for u in accounts.list_users(app, acme.admin) if u.username == username)
    until = clock.local_text(user.locked_until) if user.locked_until else None
    return user.failed_logins, until


def _failure(call) -> tuple[type, str, str, dict]:
    with pytest.raises(AuthenticationFailed) as info:
        call()
    return type(info.value), info.value.code, str(info.value), info.value.details


def test_unknown_wrong_locked_and_disabled_get_the_same_answer(app, acme, frozen_clock) -> None:
    """Nothing in a failed login tells whether the user name exists or what state it is in."""
    acme.staff("wang", "print_operator")
    acme.staff("gone", "print_operator")
    acme.staff("locked", "print_operator")
    accounts.set_user_enabled(app, acme.admin, "gone", enabled=False)
    enrol = auth.start_totp(app, acme.admin)
    auth.confirm_totp(app, acme.admin, totp.code_at(enrol.secret, totp.step_of(frozen_clock[0])))
    answers = {
        "unknown user": _failure(lambda: auth.login(app, "nobody", "whatever-at-all")),
        "wrong password": _failure(lambda: auth.login(app, "wang", "wrong-password-x")),
        "again": _failure(lambda: auth.login(app, "wang", "wrong-password-x")),
        "disabled": _failure(lambda: auth.login(app, "gone", "wrong-password-x")),
        "wrong 2FA code": _failure(lambda: auth.login(app, "boss", ADMIN_PASSWORD, "000000")),
    }
    for _ in range(4):
        _failure(lambda: auth.login(app, "locked", "wrong-password-x"))
    answers["locking"] = _failure(lambda: auth.login(app, "locked", "wrong-password-x"))
    answers["locked, right password"] = _failure(lambda: auth.login(app, "locked", ADMIN_PASSWORD))
    answers["locked, wrong password"] = _failure(lambda: auth.login(app, "locked", "wrong-pass-y"))
    assert len(set(map(repr, answers.values()))) == 1, answers
    kind, code, message, details = answers["unknown user"]
    assert (kind, code, details) == (AuthenticationFailed, "authentication_failed", {})
    assert message.startswith("wrong user name or password") and "left" not in message


def test_every_failed_login_costs_one_argon2_computation(app, acme, monkeypatch) -> None:
    """An unknown or locked user costs what a wrong password costs: response time does not
    tell whether the user name exists."""
    from argon2 import PasswordHasher

    calls: list[str] = []
    real_hash, real_verify = PasswordHasher.hash, PasswordHasher.verify

    def counting_hash(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append("hash")
        return real_hash(self, *args, **kwargs)

    def counting_verify(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append("verify")
        return real_verify(self, *args, **kwargs)

    acme.staff("wang", "print_operator")
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            auth.login(app, "wang", "wrong-password-x")  # locked now
    monkeypatch.setattr(passwords, "_DUMMY", {})  # a first unknown user name, too
    monkeypatch.setattr(PasswordHasher, "hash", counting_hash)
    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)
    for username, password in (
        ("nobody", "whatever-at-all"),
        ("nobody-else", "whatever-at-all"),
        ("boss", "wrong-password-x"),
        ("wang", "wrong-password-x"),
        ("wang", ADMIN_PASSWORD),
    ):
        calls.clear()
        with pytest.raises(AuthenticationFailed):
            auth.login(app, username, password)
        assert len(calls) == 1, (username, password, calls)


def test_five_failures_lock_the_account_until_it_expires(app, acme, frozen_clock) -> None:
    acme.staff("wang", "print_operator")
    for count in (1, 2, 3, 4):
        with pytest.raises(AuthenticationFailed, match="wrong user name or password"):
            auth.login(app, "wang", "wrong-password-x")
        assert _lock_state(app, acme, "wang") == (count, None)
    with pytest.raises(AuthenticationFailed, match="wrong user name or password"):
        auth.login(app, "wang", "wrong-password-x")
    # The admin sees the lock; 02:00 UTC + 15 min, shown in Asia/Shanghai.
    assert "10:15" in _lock_state(app, acme, "wang")[1]
    # Even the right password is refused while locked (with the same answer as a wrong one).
    with pytest.raises(AuthenticationFailed, match="wrong user name or password"):
        auth.login(app, "wang", ADMIN_PASSWORD)
    frozen_clock[0] += timedelta(minutes=14, seconds=59)
    with pytest.raises(AuthenticationFailed):
        auth.login(app, "wang", ADMIN_PASSWORD)
    frozen_clock[0] += timedelta(seconds=2)
    auth.login(app, "wang", ADMIN_PASSWORD)
    actions = _actions(app, acme.org_id)
    assert actions.count("login.failure") == 5
    assert "user.locked" in actions and actions.count("login.locked") == 2


def test_lockout_threshold_and_duration_are_configurable(app, acme, frozen_clock) -> None:
    from dataclasses import replace

    app.settings = replace(
        app.settings, auth=replace(app.settings.auth, lockout_threshold=2, lockout_minutes=1)
    )
    acme.staff("wang", "print_operator")
    with pytest.raises(AuthenticationFailed):
        auth.login(app, "wang", "wrong-password-x")
    with pytest.raises(AuthenticationFailed):
        auth.login(app, "wang", "wrong-password-x")
    assert _lock_state(app, acme, "wang")[1] is not None
    with pytest.raises(AuthenticationFailed):
        auth.login(app, "wang", ADMIN_PASSWORD)
    frozen_clock[0] += timedelta(minutes=1, seconds=1)
    auth.login(app, "wang", ADMIN_PASSWORD)


def test_admin_can_unlock_and_success_resets_the_count(app, acme) -> None:
    acme.staff("wang", "print_operator")
    for _ in range(5):
        with pytest.raises(AuthenticationFailed):
            auth.login(app, "wang", "wrong-password-x")
    assert _lock_state(app, acme, "wang")[1] is not None
    accounts.unlock_user(app, acme.admin, "wang")
    with pytest.raises(AuthenticationFailed):
        auth.login(app, "wang", "wrong-password-x")
    auth.login(app, "wang", ADMIN_PASSWORD)
    assert _lock_state(app, acme, "wang") == (0, None)
    with pytest.raises(AuthenticationFailed):
        auth.login(app, "wang", "wrong-password-x")
    assert _lock_state(app, acme, "wang") == (1, None)


def test_totp_enrolment_and_login(app, acme, frozen_clock) -> None:
    enrol = auth.start_totp(app, acme.admin)
    step = totp.step_of(frozen_clock[0])
    with pytest.raises(Exception, match="does not match"):
        auth.confirm_totp(
            app, acme.admin, "000000" if totp.code_at(enrol.secret, step) != "000000" else "111111"
        )
    auth.confirm_totp(app, acme.admin, totp.code_at(enrol.secret, step))
    with pytest.raises(SecondFactorRequired):
        auth.login(app, "boss", ADMIN_PASSWORD)
    # The code just used for enrolment cannot be replayed.
    with pytest.raises(AuthenticationFailed):
        auth.login(app, "boss", ADMIN_PASSWORD, totp.code_at(enrol.secret, step))
    frozen_clock[0] += timedelta(seconds=30)
    auth.login(app, "boss", ADMIN_PASSWORD, totp.code_at(enrol.secret, step + 1))
    assert "totp.enable" in _actions(app, acme.org_id)


def test_totp_secret_is_encrypted_at_rest(app, acme) -> None:
    enrol = auth.start_totp(app, acme.admin)
    with app.engine.connect() as conn:
        raw = conn.exec_driver_sql("SELECT totp_secret FROM users WHERE username='boss'").scalar()
    assert raw.startswith("aead:") and enrol.secret not in raw


def test_tokens_are_stored_hashed_and_can_be_revoked(app, acme) -> None:
    issued = auth.create_api_token(app, acme.admin, "erp-sync", days=30)
    with app.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT public_id, secret_hash FROM api_tokens").all()
    secret = issued.token.split("_", 2)[2]
    assert all(secret not in (r[0] + r[1]) for r in rows)
    actor = auth.authenticate(app, issued.token)
    assert actor.user_id == acme.admin_id
    auth.revoke_token(app, acme.admin, issued.id)
    with pytest.raises(AuthenticationFailed, match="revoked"):
        auth.authenticate(app, issued.token)
    with pytest.raises(Conflict):
        auth.revoke_token(app, acme.admin, issued.id)
    assert {"token.create", "token.revoke"} <= set(_actions(app, acme.org_id))


def test_token_expiry_and_malformed_tokens(app, acme, frozen_clock) -> None:
    issued = auth.create_api_token(app, acme.admin, "short", days=1)
    frozen_clock[0] += timedelta(days=1, seconds=1)
    with pytest.raises(AuthenticationFailed, match="expired"):
        auth.authenticate(app, issued.token)
    with pytest.raises(AuthenticationFailed, match="malformed"):
        auth.authenticate(app, "Bearer nonsense")
    with pytest.raises(AuthenticationFailed, match="unknown token"):
        auth.authenticate(app, issued.token[:-3] + "xyz")


def test_tokens_for_others_need_user_manage(app, acme) -> None:
    wang = acme.staff("wang", "print_operator")
    own = auth.create_api_token(app, wang, "scanner")
    assert own.kind == "api"
    with pytest.raises(PermissionDenied, match=r"user\.manage"):
        auth.create_api_token(app, wang, "sneaky", username="boss")
    boss_token = auth.create_api_token(app, acme.admin, "for-wang", username="wang")
    assert auth.authenticate(app, boss_token.token).user_id == wang.user_id
    assert [t.name for t in auth.list_tokens(app, wang)] == ["scanner", "for-wang"]
    with pytest.raises(PermissionDenied):
        auth.revoke_token(app, wang, auth.create_api_token(app, acme.admin, "mine").id)


def test_authenticating_a_request_costs_one_read(app, acme) -> None:
    """Every API request authenticates: the token with its user's name and status in one
    statement, not the User with its roles (selectin: two more queries). Revocation still
    applies on the next request, because nothing is cached."""
    from sqlalchemy import event

    token = auth.login(app, "boss", ADMIN_PASSWORD).session_token.token
    auth.authenticate(app, token)  # the first use writes last_used_at
    statements: list[str] = []

    def keep(conn, cursor, statement, *args) -> None:  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(app.engine, "before_cursor_execute", keep)
    try:
        auth.authenticate(app, token)
    finally:
        event.remove(app.engine, "before_cursor_execute", keep)
    assert [s.split()[0] for s in statements] == ["SELECT"], statements
    auth.logout(app, auth.authenticate(app, token))
    with pytest.raises(AuthenticationFailed, match="revoked"):
        auth.authenticate(app, token)


def test_disabling_a_user_ends_their_sessions_at_once(app, acme) -> None:
    acme.staff("wang", "print_operator")
    token = auth.login(app, "wang", ADMIN_PASSWORD).session_token.token
    accounts.set_user_enabled(app, acme.admin, "wang", enabled=False)
    with pytest.raises(AuthenticationFailed):
        auth.authenticate(app, token)
    with pytest.raises(AuthenticationFailed, match="disabled"):
        auth.login(app, "wang", ADMIN_PASSWORD)
    with pytest.raises(Conflict, match="own account"):
        accounts.set_user_enabled(app, acme.admin, "boss", enabled=False)


def test_password_change_ends_other_sessions(app, acme) -> None:
    first = auth.login(app, "boss", ADMIN_PASSWORD)
    second = auth.login(app, "boss", ADMIN_PASSWORD)
    accounts.change_password(app, second.actor, ADMIN_PASSWORD, "Another-Good-Pass-7")
    with pytest.raises(AuthenticationFailed):
        auth.authenticate(app, first.session_token.token)
    auth.authenticate(app, second.session_token.token)
    auth.login(app, "boss", "Another-Good-Pass-7")
    with app.tx() as s:
        assert s.scalars(select(ApiToken).where(ApiToken.revoked_at.is_not(None))).first()


def test_logout_revokes_the_session(app, acme) -> None:
    result = auth.login(app, "boss", ADMIN_PASSWORD)
    auth.logout(app, result.actor)
    with pytest.raises(AuthenticationFailed, match="revoked"):
        auth.authenticate(app, result.session_token.token)


def test_logout_with_a_personal_api_token_refuses_and_keeps_it(app, acme) -> None:
    issued = auth.create_api_token(app, acme.admin, "erp")
    actor = auth.authenticate(app, issued.token)
    with pytest.raises(Conflict, match="personal API token"):
        auth.logout(app, actor)
    assert auth.authenticate(app, issued.token).token_id == issued.id  # still works


def test_unknown_user_in_own_org_is_not_found(app, acme) -> None:
    with pytest.raises(NotFound):
        accounts.unlock_user(app, acme.admin, "ghost")


def test_successful_logins_fire_the_user_logged_in_event(app, acme) -> None:
    from core.hookspecs import hookimpl

    seen: list[tuple] = []

    class Listener:
        @hookimpl
        def user_logged_in(self, org_id, user_id, username, method):
            seen.append((org_id, user_id, username, method))

    app.plugins.register(Listener(), "listener")
    with pytest.raises(AuthenticationFailed):
        auth.login(app, "boss", "wrong-password-x")
    auth.login(app, "boss", ADMIN_PASSWORD)
    assert seen == [(acme.org_id, acme.admin_id, "boss", "password")]
