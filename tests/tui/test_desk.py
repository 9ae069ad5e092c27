"""The order desk driven by Textual's pilot: tabs with counts, the filter bar, paging by
keyset through a window of pages, the selection and a batch approve."""

from __future__ import annotations

from textual.pilot import Pilot

from core.auditing import decisions
from core.desk import search
from tests.conftest import OrgFixture
from tests.desk.world import World
from tests.tui.conftest import drive, settle
from tui.screens.desk import WORK_TABS, DeskScreen
from tui.widgets.desk.feed import WINDOW
from tui.widgets.desk.tab_strip import TabStrip


def desk(pilot: Pilot[None]) -> DeskScreen:
    screen = pilot.app.screen
    assert isinstance(screen, DeskScreen)
    return screen


def numbers(pilot: Pilot[None]) -> list[str]:
    return [row.order_no for row in desk(pilot).table.window.rows]


def expected(app, actor, query: str) -> list[str]:  # type: ignore[no-untyped-def]
    return [r.order_no for r in search.search_orders(app, actor, query, limit=1000).rows]


def test_tabs_show_live_counts_and_switch(app, make_tui, acme: OrgFixture, desk_world) -> None:
    counts = search.count_tabs(app, acme.admin).counts

    async def scenario(pilot: Pilot[None]) -> None:
        strip = desk(pilot).query_one(TabStrip)
        assert strip.counts == counts
        assert numbers(pilot) == expected(app, acme.admin, "status:pending")
        await pilot.press("2")
        await settle(pilot)
        assert strip.active == "exception"
        assert numbers(pilot) == expected(app, acme.admin, "status:exception")
        await pilot.press("0")
        await settle(pilot)
        assert len(numbers(pilot)) == len(desk_world.orders)
        status = str(desk(pilot).query_one("#status").render())
        assert status.startswith(f"第 1 条，共 {len(desk_world.orders)} 条")

    drive(make_tui(acme.admin), scenario)


def test_filter_applies_on_enter_and_tab_completes(
    app, make_tui, acme: OrgFixture, desk_world
) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("0", "slash")
        await pilot.press(*"prov", "tab")  # completes the key
        screen = desk(pilot)
        assert screen.query_one("#filter").value == "province:"
        await pilot.press(*"浙江省", "enter")
        await settle(pilot)
        assert numbers(pilot) == expected(app, acme.admin, "province:浙江省")
        assert numbers(pilot) and screen.table.has_focus
        counts = search.count_tabs(app, acme.admin, "province:浙江省")
        assert screen.counts == counts

    drive(make_tui(acme.admin), scenario)


def test_a_bad_filter_is_a_notice_and_the_table_stays(
    app, make_tui, acme: OrgFixture, desk_world
) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        before = numbers(pilot)
        await pilot.press("slash", *"colour:red", "enter")
        await settle(pilot)
        notice = pilot.app.notices[-1]
        assert notice.title == "输入有误"
        assert "colour" in notice.message and "^" in notice.message
        assert numbers(pilot) == before

    drive(make_tui(acme.admin), scenario)


def test_paging_holds_a_window_and_reaches_every_order(
    app, make_tui, acme: OrgFixture, desk_world: World
) -> None:
    everything = expected(app, acme.admin, "")

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("0")
        await settle(pilot)
        screen = desk(pilot)
        seen = [screen.table.current.order_no]
        for _ in range(len(everything) - 1):
            await pilot.press("down")
            await settle(pilot)
            assert len(screen.table.window.pages) <= WINDOW
            seen.append(screen.table.current.order_no)
        assert seen == everything, (seen, everything)
        assert screen.table.window.offset == len(everything) - screen.table.row_count
        await pilot.press("home")
        await settle(pilot)
        assert screen.table.current.order_no == everything[0]
        await pilot.press("end")
        await settle(pilot)
        assert screen.table.current.order_no == everything[-1]
        status = str(screen.query_one("#status").render())
        assert status.startswith(f"第 {len(everything)} 条，共 {len(everything)} 条")
        for _ in range(len(everything) - 1):  # and back up, page by page
            await pilot.press("up")
            await settle(pilot)
        assert screen.table.current.order_no == everything[0]

    drive(make_tui(acme.admin, page_size=4), scenario)


def test_select_and_approve_two_orders(app, make_tui, acme: OrgFixture, desk_world) -> None:
    pending = expected(app, acme.admin, "status:pending")

    async def scenario(pilot: Pilot[None]) -> None:
        screen = desk(pilot)
        await pilot.press("space")  # picks the first and moves on
        await pilot.press("shift+down")  # picks the second and the third
        assert list(screen.selection.picked.values()) == pending[:3]
        await pilot.press("space")  # the cursor is on the third: unpick it
        assert list(screen.selection.picked.values()) == pending[:2]
        assert "已选 2 单" in str(screen.query_one("#status").render())
        await pilot.press("a")
        await settle(pilot)
        assert pilot.app.notices[-1].message == "已审核 2 单"
        assert screen.selection.count == 0
        assert numbers(pilot) == pending[2:]

    drive(make_tui(acme.admin), scenario)
    audited = expected(app, acme.admin, "status:audited")
    assert set(pending[:2]) <= set(audited)


def test_select_all_matching_acts_on_the_whole_filter(
    app, make_tui, acme: OrgFixture, desk_world
) -> None:
    pending = expected(app, acme.admin, "status:pending")

    async def scenario(pilot: Pilot[None]) -> None:
        screen = desk(pilot)
        await pilot.press("ctrl+a")
        assert screen.selection.every == "status:pending"
        assert f"已选全部 {len(pending)} 单" in str(screen.query_one("#status").render())
        await pilot.press("a")
        await settle(pilot)
        assert pilot.app.notices[-1].message == f"已审核 {len(pending)} 单"
        assert numbers(pilot) == []

    drive(make_tui(acme.admin, page_size=2), scenario)
    assert expected(app, acme.admin, "status:pending") == []


def test_a_read_only_user_is_refused_with_the_permission_named(
    app, make_tui, acme: OrgFixture, desk_world
) -> None:
    viewer = acme.staff("lin", "只读")
    pending = expected(app, acme.admin, "status:pending")

    async def scenario(pilot: Pilot[None]) -> None:
        assert pilot.app.notices == []  # opening the desk is not refused anything
        await pilot.press("a")
        await settle(pilot)
        notice = pilot.app.notices[-1]
        assert notice.title == "权限不足"
        assert notice.message.startswith("需要权限：order.audit（审单）")
        assert numbers(pilot) == pending

    drive(make_tui(viewer), scenario)


def test_saved_filters_are_saved_and_applied(app, make_tui, acme: OrgFixture, desk_world) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        screen = desk(pilot)
        assert set(screen.known.names["tag"]) == {"紧急", "国内快递", "VIP"}  # for completion
        await pilot.press("0", "slash", *"tag:紧", "tab", "enter")
        await settle(pilot)
        assert screen.filter_text == "tag:紧急"
        await pilot.press("ctrl+s", *"加急单", "enter")
        await settle(pilot)
        assert pilot.app.notices[-1].message == "已保存常用筛选 加急单"
        await pilot.press("slash", "ctrl+u", "enter")  # clear the filter
        await settle(pilot)
        assert screen.filter_text == ""
        await pilot.press("f", "enter")
        await settle(pilot)
        assert screen.filter_text == "tag:紧急"
        assert numbers(pilot) == expected(app, acme.admin, "tag:紧急")

    drive(make_tui(acme.admin), scenario)


def test_the_last_tab_chosen_wins_when_keys_come_fast(
    app, make_tui, acme: OrgFixture, desk_world
) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("2", "3", "0", "5", "4")  # no waiting between the reads
        await settle(pilot)
        assert desk(pilot).query_one(TabStrip).active == "on_hold"
        assert numbers(pilot) == expected(app, acme.admin, "status:on_hold")

    drive(make_tui(acme.admin), scenario)


def test_an_empty_first_tab_gives_way_to_the_work(
    make_tui, app, acme: OrgFixture, desk_world
) -> None:  # type: ignore[no-untyped-def]
    """Orders approved as they arrive leave 待审 empty: the desk opens where work waits."""
    pending = search.matching_numbers(app, acme.admin, "status:pending", most=1000)
    decisions.approve(app, acme.admin, pending)
    counts = search.count_tabs(app, acme.admin).counts
    expected = next(tab for tab in WORK_TABS if counts.get(tab))

    async def scenario(pilot: Pilot[None]) -> None:
        screen = pilot.app.screen
        assert isinstance(screen, DeskScreen)
        assert screen.tab == expected and screen.table.row_count > 0

    drive(make_tui(acme.admin), scenario)
