"""The UI's language as the user's choice (`core.accounts.preferences`): the desk opens
in it, signing in switches to it, the palette's switch changes it and keeps it; `--lang`
still wins for one run."""

from __future__ import annotations

from textual.pilot import Pilot

from core.accounts import preferences
from tests.conftest import ADMIN_PASSWORD, OrgFixture
from tests.tui.conftest import drive, settle
from tests.tui.test_login import sign_in
from tui.i18n import language
from tui.screens.desk import DeskScreen
from tui.screens.packing import PackScreen
from tui.widgets.desk.tab_strip import TabStrip


def tabs(pilot: Pilot[None]) -> str:
    screen = pilot.app.screen
    assert isinstance(screen, DeskScreen)
    return str(screen.query_one(TabStrip).render())


def test_the_desk_opens_in_the_users_language_unless_told_otherwise(
    app, make_tui, acme: OrgFixture, desk_world
) -> None:
    preferences.set_language(app, acme.admin, "en")

    async def english(pilot: Pilot[None]) -> None:
        assert "Pending" in tabs(pilot) and pilot.app.title == "orderhub order hub"

    async def chinese(pilot: Pilot[None]) -> None:
        assert "待审" in tabs(pilot)

    drive(make_tui(acme.admin, lang=None), english)
    drive(make_tui(acme.admin, lang="zh"), chinese)


def test_signing_in_switches_to_the_users_language(
    app, make_tui, acme: OrgFixture, desk_world
) -> None:
    preferences.set_language(app, acme.admin, "en")

    async def scenario(pilot: Pilot[None]) -> None:
        assert language() == "zh"  # nobody has signed in yet
        await sign_in(pilot, "boss", ADMIN_PASSWORD)
        assert "Pending" in tabs(pilot)
        descriptions = {b.binding.description for b in pilot.app.screen.active_bindings.values()}
        assert "Quit" in descriptions and "退出" not in descriptions

    drive(make_tui(None, lang=None), scenario)


def test_the_palettes_switch_changes_the_language_and_keeps_it(
    app, make_tui, acme: OrgFixture, desk_world
) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        assert "待审" in tabs(pilot)
        await pilot.press("ctrl+p")
        await pilot.press(*"English")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        assert "Pending" in tabs(pilot)
        assert preferences.language_of(app, acme.admin) == "en"
        pilot.app.action_switch_language()
        await settle(pilot)
        assert "待审" in tabs(pilot)
        assert preferences.language_of(app, acme.admin) == "zh"

    drive(make_tui(acme.admin, lang=None), scenario)


def test_a_terminal_opened_on_a_destination_switches_it_too(
    app, make_tui, acme: OrgFixture, desk_world
) -> None:
    """`start`'s screen is the home: the switch makes it again in the new language."""

    async def scenario(pilot: Pilot[None]) -> None:
        before = pilot.app.screen
        assert isinstance(before, PackScreen)
        pilot.app.action_switch_language()
        await settle(pilot)
        after = pilot.app.screen
        assert isinstance(after, PackScreen) and after is not before
        assert pilot.app.get_screen("pack") is after
        keys = {b.binding.description for b in after.active_bindings.values()}
        assert "Intercepted" in keys and "拦截件" not in keys

    drive(make_tui(acme.admin, lang=None, start="pack"), scenario)
