"""The order detail screen: every section filled from `core.desk.show`, the receiver
masked until revealed — refused without `pii.view`, shown and audited with it — and the
local remark edited."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import DataTable

from core.accounts import audit
from core.desk import show
from tests.conftest import OrgFixture
from tests.desk.world import OrderSpec, store_world
from tests.tui.conftest import drive, settle
from tui.screens.desk import DeskScreen
from tui.screens.detail import DetailScreen


def summary(pilot: Pilot[None]) -> str:
    return str(pilot.app.screen.query_one("#summary").render())


async def open_first(pilot: Pilot[None]) -> DetailScreen:
    await pilot.press("enter")
    await settle(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, DetailScreen)
    return screen


def test_sections_show_lines_packages_prints_and_trail(app, make_tui, acme: OrgFixture, tui_clock):
    spec = OrderSpec(memo="请发顺丰", waybill=0, print_state="done", tags=frozenset({"VIP"}))
    (stored,) = store_world(app, acme.org_id, [spec], prefix="D").orders

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("0")
        await settle(pilot)
        screen = await open_first(pilot)
        text = summary(pilot)
        assert "王** 138****5678" in text and "已脱敏" in text
        assert "请发顺丰" in text and "VIP" in text
        tables = {
            name: screen.query_one(f"#table-{name}", DataTable)
            for name in ("lines", "packages", "prints", "trail")
        }
        assert tables["lines"].row_count == 1
        assert stored.waybill_number in str(tables["packages"].get_row_at(0))
        assert tables["prints"].get_row_at(0)[2] == "done"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, DeskScreen)

    drive(make_tui(acme.admin), scenario)


def test_reveal_is_refused_without_pii_view(app, make_tui, acme: OrgFixture, desk_world):
    clerk = acme.staff("clerk", "打单员")

    async def scenario(pilot: Pilot[None]) -> None:
        await open_first(pilot)
        await pilot.press("v")
        await settle(pilot)
        notice = pilot.app.notices[-1]
        assert notice.title == "权限不足"
        assert notice.message.startswith("需要权限：pii.view（查看买家明文信息）")
        assert "王** 138****5678" in summary(pilot)  # still masked

    drive(make_tui(clerk), scenario)
    assert not [e for e in audit.list_events(app, acme.admin) if e.action == "order.reveal"]


def test_reveal_with_pii_view_shows_the_receiver_and_is_audited(
    app, make_tui, acme: OrgFixture, desk_world
):
    async def scenario(pilot: Pilot[None]) -> None:
        await open_first(pilot)
        await pilot.press("v")
        await settle(pilot)
        text = summary(pilot)
        assert "王小明 13812345678" in text and "明文，已记录" in text

    drive(make_tui(acme.admin), scenario)
    reveals = [e for e in audit.list_events(app, acme.admin) if e.action == "order.reveal"]
    assert len(reveals) == 1 and reveals[0].actor_label == "boss"


def test_the_local_remark_is_edited(app, make_tui, acme: OrgFixture, desk_world):
    first = desk_world.orders[1].number  # the first order of the pending tab

    async def scenario(pilot: Pilot[None]) -> None:
        await open_first(pilot)
        await pilot.press("e", *"已电话确认", "enter")
        await settle(pilot)
        assert pilot.app.notices[-1].message == "备注已保存"
        assert "已电话确认" in summary(pilot)

    drive(make_tui(acme.admin), scenario)
    assert show.show_order(app, acme.admin, first).local_remark == "已电话确认"


def test_the_local_flag_is_set_from_a_list(app, make_tui, acme: OrgFixture, desk_world):
    first = desk_world.orders[1].number

    async def scenario(pilot: Pilot[None]) -> None:
        await open_first(pilot)
        await pilot.press("g", "down", "down", "enter")  # red, yellow, green
        await settle(pilot)
        assert pilot.app.notices[-1].message == "旗帜已设置"

    drive(make_tui(acme.admin), scenario)
    assert show.show_order(app, acme.admin, first).local_flag == "green"
