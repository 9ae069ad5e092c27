"""The pack station screen: a package scanned at speed until verified, a wrong item and
one too many refused, a held package refused loudly; intercepted parcels recycled only
after the operator confirms."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from core.orders import packages
from core.shipping.intercepted import intercepted_packages
from tests.conftest import OrgFixture
from tests.tui.conftest import drive, settle
from tests.tui.ops_world import LID, OpsWorld, ops_world
from tui.screens.intercepted import InterceptedScreen
from tui.screens.packing import PackScreen
from tui.widgets.packing.counters import SessionCounters
from tui.widgets.packing.items import PackageItems
from tui.widgets.packing.verdict import Verdict


@pytest.fixture
def world(app, acme: OrgFixture, tui_clock, tmp_path: Path) -> OpsWorld:
    return ops_world(app, acme, tmp_path / "labels")


async def scan(pilot: Pilot[None], code: str) -> None:
    """A scanner's burst: the characters, then Enter."""
    await pilot.press(*code, "enter")
    await pilot.pause()


def test_a_package_is_scanned_until_verified_and_a_held_one_refused(make_tui, world) -> None:
    good, held = world.labelled(2)
    held_package = world.ship.package(held)
    world.ship.set_package(held_package, status="on_hold", hold_reason="退款中，拦截")
    tui = make_tui(world.ship.admin, start="pack")
    seen: dict[str, object] = {}

    async def scenario(pilot: Pilot[None]) -> None:
        screen = pilot.app.screen
        assert isinstance(screen, PackScreen)
        verdict = screen.query_one(Verdict)
        await scan(pilot, world.waybills[good].lower())
        assert verdict.has_class("ok")
        assert screen.query_one(PackageItems).row_count == 2  # CUP-R ×2, LID ×1
        await scan(pilot, "MUG-9")
        seen["wrong"] = verdict.has_class("wrong") and "MUG-9" in str(verdict.render())
        for code in ("CUP-R", "LID"):
            await scan(pilot, code)
        await scan(pilot, "LID")
        seen["excess"] = verdict.has_class("wrong") and "LID" in str(verdict.render())
        await scan(pilot, "CUP-R")
        seen["verified"] = verdict.has_class("done")
        await scan(pilot, world.waybills[held])
        seen["held"] = verdict.has_class("hold") and "退款中，拦截" in str(verdict.render())
        seen["tally"] = screen.query_one(SessionCounters).tally

    drive(tui, scenario)
    assert seen["wrong"] and seen["excess"] and seen["verified"] and seen["held"]
    tally = seen["tally"]
    assert (tally.scans, tally.verified, tally.refused, tally.held) == (7, 1, 3, 1)
    status = packages.get_package(world.app, world.ship.admin, world.ship.package(good)).status
    assert status == "verified"


def test_an_intercepted_parcel_is_recycled_after_confirmation(make_tui, world) -> None:
    (held,) = world.labelled(1, LID)
    package = world.ship.package(held)
    world.ship.set_package(package, status="on_hold", hold_reason="退款中，拦截")
    tui = make_tui(world.ship.admin, start="pack")

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("ctrl+g")
        await settle(pilot)
        assert isinstance(pilot.app.screen, InterceptedScreen)
        await pilot.press("r")
        await pilot.pause()
        await pilot.press("escape")  # the dialog: not confirmed, nothing recycled
        await pilot.pause()
        assert len(intercepted_packages(world.app, world.ship.admin)) == 1
        await pilot.press("r")
        await pilot.pause()
        await pilot.click("#ok")
        await settle(pilot)
        assert pilot.app.screen.query_one("#held-table").row_count == 0
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(pilot.app.screen, PackScreen)

    drive(tui, scenario)
    assert intercepted_packages(world.app, world.ship.admin) == []
