"""Snapshots of the print, pack station and shipping screens (pytest-textual-snapshot) at
120×36 and 80×24, in Chinese and English, over the frozen world of `tests.tui.ops_world`
and the frozen clock of `tests.tui.conftest`. `--snapshot-update` rewrites them after a
deliberate change; look at the SVGs before committing."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from tests.conftest import OrgFixture
from tests.tui.conftest import SIZES, settle
from tests.tui.ops_world import OpsWorld, ops_world

LANGS = ("zh", "en")


@pytest.fixture
def world(app, acme: OrgFixture, tui_clock, tmp_path: Path) -> OpsWorld:
    return ops_world(app, acme, tmp_path / "labels")


@pytest.mark.parametrize("size", sorted(SIZES))
@pytest.mark.parametrize("lang", LANGS)
def test_print(snap_compare, make_tui, world: OpsWorld, lang: str, size: str) -> None:
    """A batch handed over by the desk, the file printer ticked, nothing printed yet."""
    orders = world.labelled(3)

    async def handed_over(pilot: Pilot[None]) -> None:
        await settle(pilot)
        pilot.app.screen.load_batch(orders)  # type: ignore[attr-defined]
        await settle(pilot)

    tui = make_tui(world.ship.admin, lang=lang, start="print")
    assert snap_compare(tui, terminal_size=SIZES[size], run_before=handed_over)


@pytest.mark.parametrize("size", sorted(SIZES))
@pytest.mark.parametrize("lang", LANGS)
def test_pack_station(snap_compare, make_tui, world: OpsWorld, lang: str, size: str) -> None:
    """A waybill scanned, one item of three, after a held package was refused."""
    good, held = world.labelled(2)
    world.ship.set_package(world.ship.package(held), status="on_hold", hold_reason="退款中，拦截")

    async def scanned(pilot: Pilot[None]) -> None:
        await settle(pilot)
        for code in (world.waybills[held], world.waybills[good], "CUP-R"):
            await pilot.press(*code, "enter")
        await settle(pilot)

    tui = make_tui(world.ship.admin, lang=lang, start="pack")
    assert snap_compare(tui, terminal_size=SIZES[size], run_before=scanned)


@pytest.mark.parametrize("size", sorted(SIZES))
@pytest.mark.parametrize("lang", LANGS)
def test_shipping(snap_compare, make_tui, world: OpsWorld, lang: str, size: str) -> None:
    """The failures tab: two classes, a held and a refused confirmation; one ready package."""
    refused, held, ready = world.labelled(3)
    world.outbox_row(refused, "needs_person", "invalid", "tracking number refused")
    world.outbox_row(held, "held", "refund", "退款中 / refunding")
    world.ship.set_package(world.ship.package(ready), status="verified")
    world.alert("shipback.held", "critical", "已拦截，请勿发货 / order held")

    async def failures(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)

    tui = make_tui(world.ship.admin, lang=lang, start="shipping")
    assert snap_compare(tui, terminal_size=SIZES[size], run_before=failures)
