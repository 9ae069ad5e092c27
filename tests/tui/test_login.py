"""The login screen over `core.accounts.auth`: password, then the TOTP code when the
account has one; the lockout rule in the refusal; a session that expires sends the
operator back here at their next action."""

from __future__ import annotations

from datetime import timedelta

from textual.pilot import Pilot

from core import clock
from core.accounts import auth, totp, users
from core.app import App
from tests.conftest import ADMIN_PASSWORD, OrgFixture
from tests.tui.conftest import NOW, drive, settle
from tui.screens.desk import DeskScreen
from tui.screens.login import LoginScreen


async def sign_in(pilot: Pilot[None], username: str, password: str) -> None:
    await pilot.click("#username")
    await pilot.press(*username, "enter", *password, "enter")
    await settle(pilot)


def message(pilot: Pilot[None]) -> str:
    return str(pilot.app.screen.query_one("#login-message").render())


def test_password_signs_in_and_opens_the_desk(make_tui, acme: OrgFixture, tui_clock) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        assert isinstance(pilot.app.screen, LoginScreen)
        await sign_in(pilot, "boss", ADMIN_PASSWORD)
        assert isinstance(pilot.app.screen, DeskScreen)
        session = pilot.app.session
        assert session.actor.user_id == acme.admin_id and session.token
        assert session.org_name == "acme"

    drive(make_tui(None), scenario)


def test_wrong_password_says_when_the_account_locks(
    app: App, make_tui, acme: OrgFixture, tui_clock
) -> None:
    rules = app.settings.auth

    async def scenario(pilot: Pilot[None]) -> None:
        for _ in range(rules.lockout_threshold):
            await sign_in(pilot, "boss" if _ == 0 else "", "wrong-password")
        shown = message(pilot)
        assert shown == (
            f"用户名或密码错误。连续失败 {rules.lockout_threshold} 次后账号将锁定 "
            f"{rules.lockout_minutes} 分钟，管理员可提前解锁。"
        )
        # Locked now: even the right password gets the same answer, and no session.
        await sign_in(pilot, "", ADMIN_PASSWORD)
        assert message(pilot) == shown
        assert isinstance(pilot.app.screen, LoginScreen) and pilot.app.session is None

    drive(make_tui(None), scenario)
    users = {u.username: u for u in _users(app, acme)}
    assert users["boss"].locked_until is not None


def _users(app: App, acme: OrgFixture):  # type: ignore[no-untyped-def]
    return users.list_users(app, acme.admin)


def test_totp_code_is_asked_after_the_password(
    app: App, make_tui, acme: OrgFixture, tui_clock
) -> None:
    enrol = auth.start_totp(app, acme.admin)
    auth.confirm_totp(app, acme.admin, totp.code_at(enrol.secret, totp.step_of(NOW)))
    code = totp.code_at(enrol.secret, totp.step_of(NOW) + 1)

    async def scenario(pilot: Pilot[None]) -> None:
        await sign_in(pilot, "boss", ADMIN_PASSWORD)
        assert isinstance(pilot.app.screen, LoginScreen)
        assert pilot.app.screen.has_class("with-code")
        assert message(pilot).startswith("此账号已开启两步验证")
        assert pilot.app.focused.id == "code"
        await pilot.press(*code, "enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, DeskScreen)

    drive(make_tui(None, lang="zh"), scenario)


def test_an_expired_session_returns_to_login_at_the_next_action(
    app: App, make_tui, acme: OrgFixture, desk_world
) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        await sign_in(pilot, "boss", ADMIN_PASSWORD)
        assert isinstance(pilot.app.screen, DeskScreen)
        later = NOW + timedelta(hours=app.settings.auth.session_hours, minutes=1)
        clock.set_clock(lambda: later)
        await pilot.press("ctrl+r")  # refresh: reads orders, so checks the session first
        await settle(pilot)
        assert isinstance(pilot.app.screen, LoginScreen)
        assert pilot.app.session is None
        assert message(pilot) == "会话已过期，请重新登录"

    drive(make_tui(None), scenario)


def test_an_idle_screen_ends_with_its_session(app, make_tui, acme: OrgFixture, tui_clock) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        await sign_in(pilot, "boss", ADMIN_PASSWORD)
        pilot.app.check_session()  # what the app does every minute
        await settle(pilot)
        assert isinstance(pilot.app.screen, DeskScreen)
        auth.logout(app, pilot.app.session.actor)  # revoked elsewhere (or expired)
        pilot.app.check_session()
        await settle(pilot)
        assert isinstance(pilot.app.screen, LoginScreen)

    drive(make_tui(None), scenario)
