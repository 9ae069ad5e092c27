"""Going to the reports, print, pack, shipping, stock and settings screens, and back to
the desk, from anywhere: by their keys (shown in the footer) and the command palette;
each screen kept while the operator works elsewhere, forgotten when the session ends."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.conftest import OrgFixture
from tests.tui.conftest import drive, settle
from tests.tui.ops_world import OpsWorld, ops_world
from tui.actions import offered
from tui.app import make_app
from tui.i18n import t
from tui.screens import DESTINATIONS
from tui.screens.login import LoginScreen
from tui.screens.packing import PackScreen
from tui.screens.printing import PrintScreen, open_print
from tui.screens.reports import ReportsScreen
from tui.screens.settings import SettingsScreen
from tui.screens.shipping import ShippingScreen
from tui.screens.stock import StockScreen
from tui.widgets.packing.counters import SessionCounters


@pytest.fixture
def world(app, acme: OrgFixture, tui_clock, tmp_path: Path) -> OpsWorld:
    return ops_world(app, acme, tmp_path / "labels")


def test_destinations_have_their_own_names_and_keys() -> None:
    names, keys = [d.name for d in DESTINATIONS], [d.key for d in DESTINATIONS]
    assert len(set(names)) == len(names) and len(set(keys)) == len(keys)
    made = [d.make().__class__ for d in DESTINATIONS]
    assert made == [
        ReportsScreen,
        PrintScreen,
        PackScreen,
        ShippingScreen,
        StockScreen,
        SettingsScreen,
    ]


def test_keys_go_to_each_screen_and_keep_it(make_tui, world: OpsWorld) -> None:
    orders = world.labelled(2)
    tui = make_tui(world.ship.admin, start="pack")
    trail: list[type] = []

    async def scenario(pilot: Pilot[None]) -> None:
        pack = pilot.app.screen
        await pilot.press(*world.waybills[orders[0]], "enter")  # the input has the focus
        footer = {k: a.binding.description for k, a in pack.active_bindings.items()}
        assert [footer[d.key] for d in DESTINATIONS] == [
            "报表",
            "打印",
            "验货",
            "发货",
            "库存",
            "设置",
        ]
        assert footer["f2"] == "订单"
        for key in ("f7", "f5", "f6"):
            await pilot.press(key)
            await settle(pilot)
            trail.append(type(pilot.app.screen))
        assert pilot.app.screen is pack  # the same station, its counters kept
        assert pack.query_one(SessionCounters).tally.scans == 1
        assert len(pilot.app.screen_stack) == 2  # print and shipping were put aside, not stacked

    drive(tui, scenario)
    assert trail == [ShippingScreen, PrintScreen, PackScreen]


def test_the_palette_offers_every_destination_and_the_desk_hands_over_a_batch(
    make_tui, world: OpsWorld
) -> None:
    orders = world.labelled(2)
    tui = make_tui(world.ship.admin, start="shipping", lang="en")

    async def scenario(pilot: Pilot[None]) -> None:
        labels = [t(a.label) for a in offered(pilot.app)]
        assert {"Reports", "Print", "Pack", "Ship", "Stock"} <= set(labels)
        shown = open_print(pilot.app, orders)
        await settle(pilot)
        assert pilot.app.screen is shown and isinstance(shown, PrintScreen)
        assert shown.form.batch().orders == tuple(orders)

    drive(tui, scenario)


def test_an_ended_session_forgets_the_screens(app, world: OpsWorld) -> None:
    tui = make_app(None, world.ship.admin, core=app, cursor_blink=False, start="pack")

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("f7")
        await settle(pilot)
        assert pilot.app.is_screen_installed("shipping")
        pilot.app.session_expired()
        await settle(pilot)
        assert isinstance(pilot.app.screen, LoginScreen)
        assert not any(pilot.app.is_screen_installed(d.name) for d in DESTINATIONS)

    drive(tui, scenario)
