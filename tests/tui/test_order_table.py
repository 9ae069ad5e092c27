"""The desk's order table and the key line under the pilot: the cursor keeps its line on
the screen while the window of pages moves under it, PageDown moves a screenful, a click
picks a row and a second click opens it, left and right show the columns a narrow
terminal cuts off; the key line follows the focus and a click on a key presses it."""

from __future__ import annotations

from textual.pilot import Pilot

from tests.conftest import OrgFixture
from tests.tui.conftest import SIZES, drive, settle
from tui.screens.desk import DeskScreen
from tui.screens.detail import DetailScreen
from tui.widgets.common.key_bar import KeyBar
from tui.widgets.desk.order_table import HEADER, OrderTable


def table_of(pilot: Pilot[None]) -> OrderTable:
    screen = pilot.app.screen
    assert isinstance(screen, DeskScreen)
    return screen.table


async def all_orders(pilot: Pilot[None]) -> OrderTable:
    """The 全部 tab's table, its first page shown."""
    await pilot.press("0")
    await settle(pilot)
    return table_of(pilot)


def screen_line(table: OrderTable) -> int:
    return table.cursor_row - int(table.scroll_y)


def test_the_cursor_keeps_its_line_while_the_window_moves(
    make_tui, acme: OrgFixture, desk_world
) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        table = await all_orders(pilot)
        lines_seen, offsets = [screen_line(table)], {table.window.offset}
        for _ in range(len(desk_world.orders) - 1):
            await pilot.press("down")
            await settle(pilot)
            line = screen_line(table)
            assert line == min(lines_seen[-1] + 1, table.visible_rows - 1)
            assert 0 <= line < table.visible_rows
            lines_seen.append(line)
            offsets.add(table.window.offset)
        assert len(offsets) > 2  # the window moved more than once on the way down

    # Pages of 5 and a short terminal: the window (15 rows) is taller than the screen, as
    # with the real page of 100, and 30 orders make it move twice on the way down.
    drive(make_tui(acme.admin, page_size=5), scenario, (80, 16))


def test_page_down_moves_a_screenful(make_tui, acme: OrgFixture, desk_world) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        table = await all_orders(pilot)
        first = table.current
        await pilot.press("pagedown")
        await settle(pilot)
        assert table.window.offset is not None
        assert table.window.offset + table.cursor_row == table.visible_rows
        await pilot.press("pageup")
        await settle(pilot)
        assert table.current == first

    drive(make_tui(acme.admin, page_size=20), scenario, SIZES["small"])


def test_a_click_picks_a_row_and_a_second_click_opens_it(
    make_tui, acme: OrgFixture, desk_world
) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        table = await all_orders(pilot)
        third = table.window.rows[2]
        await pilot.click(OrderTable, offset=(20, HEADER + 2))
        assert table.current == third
        await pilot.click(OrderTable, offset=(20, HEADER + 2))
        await settle(pilot)
        screen = pilot.app.screen
        assert isinstance(screen, DetailScreen) and screen.order_no == third.order_no

    drive(make_tui(acme.admin), scenario)


def test_left_and_right_show_the_columns_a_narrow_terminal_cuts_off(
    make_tui, acme: OrgFixture, desk_world
) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        table = table_of(pilot)
        width = table.scrollable_content_region.width
        assert table.virtual_size.width > width  # 80 columns: the notes are cut off
        hidden = table.render_line(0).text
        await pilot.press("right", "right", "right")
        assert table.scroll_x > 0
        shown = table.render_line(0).text
        assert shown != hidden and "标签" in shown
        await pilot.press("left", "left", "left")
        assert table.scroll_x == 0

    drive(make_tui(acme.admin), scenario, SIZES["small"])


def test_the_key_line_follows_the_focus_and_a_click_presses_the_key(
    make_tui, acme: OrgFixture, desk_world
) -> None:
    async def scenario(pilot: Pilot[None]) -> None:
        bar = pilot.app.screen.query_one(KeyBar)
        shown = {key.display for key in bar.keys}
        assert {"/", "space", "a"} <= shown
        assert bar.palette is not None and bar.palette.display == "^p"
        start = next(start for start, _end, key in bar._spans if key.display == "/")
        await pilot.click(KeyBar, offset=(start, 0))
        await pilot.pause()
        screen = pilot.app.screen
        assert screen.focused is screen.query_one("#filter")
        assert "space" not in {key.display for key in bar.keys}  # space types in the bar

    drive(make_tui(acme.admin), scenario)
