"""The shipping screen: outbox counts and ready packages, a failed confirmation retried,
an order marked shipped outside, ready packages confirmed, an alert acknowledged, the
drain run from the screen."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.pilot import Pilot

from core.alertdesk.listing import list_alerts
from core.shipback.review import outbox_status
from tests.conftest import OrgFixture
from tests.tui.conftest import drive, settle
from tests.tui.ops_world import OpsWorld, ops_world
from tui.screens.shipping import ShippingScreen
from tui.widgets.shipping.summary import ShippingSummary


@pytest.fixture
def world(app, acme: OrgFixture, tui_clock, tmp_path: Path) -> OpsWorld:
    return ops_world(app, acme, tmp_path / "labels")


def states(world: OpsWorld) -> dict[str, str]:
    rows = outbox_status(world.app, world.ship.admin, state=None, limit=100).rows
    done = outbox_status(world.app, world.ship.admin, state="shipped_outside", limit=100).rows
    return {r.order_number: r.state for r in [*rows, *done]}


def test_a_failed_confirmation_is_retried_and_another_marked_outside(make_tui, world) -> None:
    invalid, held = world.labelled(2)
    world.outbox_row(invalid, "needs_person", "invalid", "tracking number refused")
    world.outbox_row(held, "needs_person", "blocked", "暂停发货")
    tui = make_tui(world.ship.admin, start="shipping")
    summary: list[str] = []

    async def scenario(pilot: Pilot[None]) -> None:
        screen = pilot.app.screen
        assert isinstance(screen, ShippingScreen)
        summary.append(str(screen.query_one(ShippingSummary).render()))
        await pilot.press("2")  # the failures tab, its rows focused
        await pilot.pause()
        table = screen.query_one("#failed-table")
        assert table.row_count == 2 and screen.query_one("#classes-table").row_count == 2
        row = [table.get_row_at(i)[0] for i in range(2)].index(invalid)
        table.move_cursor(row=row)
        await pilot.press("r")
        await settle(pilot)
        assert table.row_count == 1  # the retried row left the failures
        await pilot.press("o")
        await pilot.pause()
        await pilot.press(*"已在拼多多后台发货", "enter")
        await settle(pilot)
        assert table.row_count == 0

    drive(tui, scenario)
    assert "需处理 2" in summary[0]
    assert states(world) == {invalid: "pending", held: "shipped_outside"}


def test_ready_packages_are_confirmed_and_an_alert_acknowledged(make_tui, world) -> None:
    first, second = world.labelled(2)
    for number in (first, second):
        world.ship.set_package(world.ship.package(number), status="verified")
    alert = world.alert("shipback.held", "critical", "已拦截，请勿发货 / order held")
    tui = make_tui(world.ship.admin, start="shipping", lang="en")

    async def scenario(pilot: Pilot[None]) -> None:
        screen = pilot.app.screen
        assert isinstance(screen, ShippingScreen)
        assert "2 verified package(s)" in str(screen.query_one(ShippingSummary).render())
        await pilot.press("c")
        await pilot.pause()
        await pilot.click("#ok")
        await settle(pilot)
        assert screen.query_one("#outbox-table").row_count == 2
        await pilot.press("3")
        await pilot.pause()
        assert screen.query_one("#alerts-table").row_count == 1
        await pilot.press("a")
        await settle(pilot)
        assert screen.query_one("#alerts-table").row_count == 0

    drive(tui, scenario)
    assert states(world) == {first: "pending", second: "pending"}
    (seen,) = list_alerts(world.app, world.ship.admin, include_acked=True)
    assert seen.id == alert and seen.acked_by == "boss"


def test_drain_now_runs_in_the_background_and_reports(make_tui, world) -> None:
    (number,) = world.labelled(1)
    world.outbox_row(number, "pending", "", "")
    tui = make_tui(world.ship.admin, start="shipping", lang="en")
    notices: list[str] = []

    async def scenario(pilot: Pilot[None]) -> None:
        screen = pilot.app.screen
        assert isinstance(screen, ShippingScreen)
        await pilot.press("d")
        await settle(pilot)
        assert not screen.draining and not screen.query_one("#drain-bar").display
        notices.extend(n.message for n in pilot.app.notices)

    drive(tui, scenario)
    # the installation has no Pinduoduo app configured (no client_id): the platform
    # refuses the call as invalid, which a person has to fix (core.shipback.classify)
    assert notices == ["0 sent, 0 already shipped, 0 held, 1 need a person, 0 to retry"]
    row = outbox_status(world.app, world.ship.admin, state="needs_person").rows[0]
    assert (row.order_number, row.attempts, row.last_error_class) == (number, 1, "invalid")
    assert "client_id is missing" in row.last_error
