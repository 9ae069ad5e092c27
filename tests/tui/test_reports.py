"""The reports screen (报表) over the report tests' fixed world (tests/reports/world.py):
picking a report, its grouping and period, the table and chart following; the refusal
without report.view; the hidden-money note without finance.view; bad dates as notices;
exports through core.reports.output; the chart's wide-character layout; snapshots."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.text import Text
from textual.pilot import Pilot

from core.reports import catalog
from tests.conftest import OrgFixture
from tests.reports.world import World, build, sh
from tests.tui.conftest import SIZES, drive, settle
from tui.screens.dialogs import ConfirmDialog, TextDialog
from tui.screens.reports import ReportsScreen
from tui.widgets.common.inputs import FieldInput
from tui.widgets.reports.chart import (
    MARK,
    ReportChart,
    _Plot,
    cut,
    plotext_text,
    short_labels,
    whole_ticks,
)
from tui.widgets.reports.table import ReportTable

#: The default period on the frozen day (10 January 2026, Shanghai): the last 30 days.
FIRST, LAST = "2025-12-12", "2026-01-10"


@pytest.fixture
def world(app, acme: OrgFixture, frozen_clock) -> World:
    frozen_clock[0] = sh(1, 10, 10)
    return build(app, acme)


def screen_of(pilot: Pilot[None]) -> ReportsScreen:
    screen = pilot.app.screen
    assert isinstance(screen, ReportsScreen)
    return screen


def test_pick_a_report_then_its_grouping_and_period(make_tui, world: World) -> None:
    tui = make_tui(world.admin, start="reports")

    async def scenario(pilot: Pilot[None]) -> None:
        screen = screen_of(pilot)
        table, chart = screen.query_one(ReportTable), screen.query_one(ReportChart)
        report = screen.report
        assert report is not None and (report.name, report.by) == ("orders", "day")
        assert (str(report.period.first), str(report.period.last)) == (FIRST, LAST)
        expected = catalog.run_report(world.app, world.admin, "orders", FIRST, LAST)
        assert table.rows_shown == expected.display_rows() and len(table.rows_shown) == 30
        assert table.row_count == 30
        assert chart.data == expected.chart_data()
        assert chart.data is not None and chart.data.kind == "line"
        assert sum(chart.data.series[0][1]) == 5  # O5 paid on 31 December is in
        assert chart.ticks[0] == "2025-12-12"  # two years: days keep theirs
        for _ in range(3):  # day → week → month → shop
            await pilot.press("b")
            await settle(pilot)
        assert screen.by == "shop" and screen.report is not None
        assert table.rows_shown == [
            ["旗舰店", "3", "129.99", "43.33"],
            ["杯子店", "2", "35.00", "17.50"],
        ]
        assert chart.data is not None and chart.data.kind == "bar"
        assert chart.ticks == ["旗舰店", "杯子店"]
        await pilot.press("7")  # the last 7 days: 4 … 10 January
        await settle(pilot)
        assert str(screen.report.period) == "2026-01-04 – 2026-01-10"
        assert table.rows_shown == [["杯子店", "1", "5.00", "5.00"]]
        await pilot.press("down")  # the next report in the list: shipped, by its first grouping
        await settle(pilot)
        assert (screen.report.name, screen.report.by) == ("shipped", "day")
        assert len(table.rows_shown) == 7 and chart.data is not None
        assert chart.data.series[0][1] == [1.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]
        assert chart.ticks[0] == "01-04"  # one year: days lose it

    drive(tui, scenario)


def test_typed_dates_and_a_shop_filter(make_tui, world: World) -> None:
    tui = make_tui(world.admin, start="reports", lang="en")

    async def scenario(pilot: Pilot[None]) -> None:
        screen = screen_of(pilot)
        screen.query_one("#reports-from", FieldInput).value = "2026-01-01"
        screen.query_one("#reports-to", FieldInput).value = "2026-01-07"
        shop = screen.query_one("#reports-shop", FieldInput)
        shop.value = "杯子店"
        shop.focus()
        await pilot.press("enter")
        await settle(pilot)
        report = screen.report
        assert report is not None and str(report.period) == "2026-01-01 – 2026-01-07"
        assert [row[1] for row in screen.query_one(ReportTable).rows_shown] == [
            "0", "1", "0", "0", "1", "0", "0",
        ]  # fmt: skip
        screen.query_one("#reports-to", FieldInput).value = "2026-13-01"
        await pilot.press("enter")
        await settle(pilot)
        notice = pilot.app.notices[-1]
        assert notice.severity == "error" and "2026-13-01" in notice.message
        assert screen.report is None and screen.query_one(ReportTable).row_count == 0

    drive(tui, scenario)


def test_without_report_view_the_screen_says_why(make_tui, world: World) -> None:
    tui = make_tui(world.clerk, start="reports")

    async def scenario(pilot: Pilot[None]) -> None:
        screen = screen_of(pilot)
        assert screen.report is None and screen.runs == 1
        notice = pilot.app.notices[-1]
        assert notice.severity == "warning" and "report.view" in notice.message
        assert screen.query_one(ReportTable).row_count == 0
        assert screen.query_one(ReportChart).data is None
        assert "未生成" in str(screen.query_one("#reports-status").render())

    drive(tui, scenario)


def test_without_finance_view_the_money_columns_are_named(make_tui, world: World) -> None:
    tui = make_tui(world.viewer, start="reports", lang="en")

    async def scenario(pilot: Pilot[None]) -> None:
        screen = screen_of(pilot)
        report = screen.report
        assert report is not None and report.hidden == ("实付 paid", "客单价 per order")
        note = str(screen.query_one("#reports-note").render())
        assert "finance.view" in note and "实付 paid" in note and "客单价 per order" in note
        assert screen.query_one(ReportTable).rows_shown[20] == ["2026-01-01", "1"]
        screen.query_one("#reports-list").highlighted = 8  # stock value: money on the chart
        await settle(pilot)
        assert screen.report is not None and screen.report.name == "stock-value"
        chart = screen.query_one(ReportChart)
        assert chart.data is not None and chart.data.series[0][0] == "在库 on hand"

    drive(tui, scenario)


@pytest.mark.parametrize("suffix", [".xlsx", ".csv", ".png"])
def test_export_writes_the_report_shown(make_tui, world: World, tmp_path: Path, suffix) -> None:
    tui = make_tui(world.admin, start="reports")
    target = tmp_path / f"订单{suffix}"

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("e")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, TextDialog)
        answer = dialog.query_one(FieldInput)
        assert answer.value == f"orders-{FIRST}-{LAST}.xlsx"
        answer.value = str(target)
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ReportsScreen)
        assert str(target) in pilot.app.notices[-1].message

    drive(tui, scenario)
    data = target.read_bytes()
    if suffix == ".xlsx":
        assert data[:2] == b"PK"
    elif suffix == ".png":
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
    else:
        lines = data.decode("utf-8-sig").splitlines()
        assert lines[0] == "日期 day,订单 orders,实付 paid (元),客单价 per order (元)"
        assert len(lines) == 31 and "2026-01-01,1,10,10" in lines


def test_an_export_over_a_file_asks_first(make_tui, world: World, tmp_path: Path) -> None:
    tui = make_tui(world.admin, start="reports", lang="en")
    target = tmp_path / "orders.csv"
    target.write_text("keep me")

    async def export(pilot: Pilot[None], confirm: bool) -> None:
        await pilot.press("e")
        await settle(pilot)
        pilot.app.screen.query_one(FieldInput).value = str(target)
        await pilot.press("enter")
        await settle(pilot)
        asked = pilot.app.screen
        assert isinstance(asked, ConfirmDialog) and str(target) in asked.message
        await pilot.click("#ok" if confirm else "#cancel")
        await settle(pilot)
        assert isinstance(pilot.app.screen, ReportsScreen)

    async def scenario(pilot: Pilot[None]) -> None:
        await export(pilot, confirm=False)
        assert target.read_text() == "keep me"
        await export(pilot, confirm=True)
        assert target.read_text(encoding="utf-8-sig").startswith("日期 day,")

    drive(tui, scenario)


def test_an_export_to_an_unknown_format_or_a_missing_folder_is_refused(
    make_tui, world: World, tmp_path: Path
) -> None:
    tui = make_tui(world.admin, start="reports", lang="en")
    folder = tmp_path / "out"
    folder.mkdir()

    async def scenario(pilot: Pilot[None]) -> None:
        screen = screen_of(pilot)
        assert screen.report is not None
        screen.export(screen.report, folder / "r.pdf")
        await settle(pilot)
        assert "r.pdf" in pilot.app.notices[-1].message
        screen.export(screen.report, folder / "missing" / "r.csv")
        await settle(pilot)
        notice = pilot.app.notices[-1]
        assert notice.severity == "error" and "cannot write" in notice.message

    drive(tui, scenario)
    assert list(folder.iterdir()) == []


def test_narrow_terminals_show_the_table_or_the_chart(make_tui, world: World) -> None:
    tui = make_tui(world.admin, start="reports")

    async def scenario(pilot: Pilot[None]) -> None:
        screen = screen_of(pilot)
        table, chart = screen.query_one(ReportTable), screen.query_one(ReportChart)
        assert table.display and not chart.display
        await pilot.press("v")
        await pilot.pause()
        assert chart.display and not table.display
        assert chart.size.height >= 15
        drawn = chart.render()
        assert isinstance(drawn, Text)
        lines = drawn.plain.splitlines()
        assert len(lines) == chart.size.height
        assert all(cell_len(line) == chart.size.width for line in lines)

    drive(tui, scenario, SIZES["small"])


def test_every_report_draws_its_kind_of_chart_within_the_widget(make_tui, world: World) -> None:
    tui = make_tui(world.admin, start="reports")
    kinds: dict[str, str] = {}

    async def scenario(pilot: Pilot[None]) -> None:
        screen = screen_of(pilot)
        chart = screen.query_one(ReportChart)
        for index, name in enumerate(catalog.REPORTS):
            screen.query_one("#reports-list").highlighted = index
            await settle(pilot)
            assert screen.report is not None and screen.report.name == name
            assert chart.data == screen.report.chart_data()
            if chart.data is None or not chart.data.labels:
                continue
            kinds[name] = chart.data.kind
            drawn = chart.render()
            assert isinstance(drawn, Text)
            lines = drawn.plain.splitlines()
            assert all(cell_len(line) == chart.size.width for line in lines), name
            if chart.data.kind == "pie":  # drawn as bars of each share
                assert chart.ticks == ["圆通 67%", "顺丰 33%"]
            if chart.data.kind == "barh":
                assert "".join(lines).count(chart.ticks[0]) == 1

    drive(tui, scenario)
    assert {"line", "bar", "barh", "pie", "stacked"} <= set(kinds.values())


# ------------------------------------------------------------ wide characters in plotext

LABEL = st.text(alphabet=st.sampled_from("旗舰店杯子abc-12 省份顺丰圆通"), min_size=1, max_size=20)


@settings(max_examples=40, deadline=None)
@given(st.lists(LABEL, min_size=1, max_size=12), st.sampled_from(["vertical", "horizontal"]))
def test_plotext_lines_keep_their_width_with_chinese_labels(labels, orientation) -> None:
    plot = _Plot()
    plot.plotsize(60, 16)
    shown = [plotext_text(cut(label, 12)) for label in labels]
    plot.bar(list(range(1, len(shown) + 1)), [1.0 + i for i in range(len(shown))])
    if orientation == "vertical":
        plot.xticks(list(range(1, len(shown) + 1)), shown)
    else:
        plot.clear_figure()
        plot.plotsize(60, 16)
        plot.bar(shown, [1.0 + i for i in range(len(shown))], orientation="horizontal")
    plot.title(plotext_text("订单统计 · 订单 orders"))
    out = plot.build()
    assert MARK not in out
    lines = Text.from_ansi(out).plain.splitlines()
    assert all(cell_len(line) == 60 for line in lines)


def test_count_axes_have_whole_ticks() -> None:
    assert whole_ticks([0.0, 1.0, 2.0], 6) == [0, 1, 2]
    assert whole_ticks([3.0, 1000.0], 6) == [0, 200, 400, 600, 800, 1000]
    assert whole_ticks([1.5, 2.0], 6) is None  # hours, yuan: plotext's own ticks
    assert whole_ticks([0.0, 0.0], 6) is None


def test_labels_are_cut_and_days_of_one_year_lose_it() -> None:
    assert cut("旗舰店旗舰店旗舰店", 7) == "旗舰店…"
    assert cut("abc", 3) == "abc"
    assert short_labels(["2026-01-01", "2026-01-02"], 10) == ["01-01", "01-02"]
    assert short_labels(["2025-12-31", "2026-01-01"], 10) == ["2025-12-31", "2026-01-01"]


# ------------------------------------------------------------ snapshots


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_reports_snapshot(snap_compare, make_tui, world: World, lang: str) -> None:
    async def by_shop(pilot: Pilot[None]) -> None:
        await settle(pilot)
        for _ in range(3):
            await pilot.press("b")
            await settle(pilot)

    tui = make_tui(world.admin, lang=lang, start="reports")
    assert snap_compare(tui, terminal_size=SIZES["wide"], run_before=by_shop)


@pytest.mark.parametrize("view", ["table", "chart"])
def test_reports_snapshot_small(snap_compare, make_tui, world: World, view: str) -> None:
    """80×24 in Chinese, as a viewer without finance.view: the orders' table under the
    note naming the money columns left out; the chart of exceptions by reason
    (horizontal bars with Chinese labels)."""

    async def shown(pilot: Pilot[None]) -> None:
        await settle(pilot)
        if view == "chart":
            pilot.app.screen.query_one("#reports-list").highlighted = 2
            await settle(pilot)
            await pilot.press("v")
            await settle(pilot)

    tui = make_tui(world.viewer, lang="zh", start="reports")
    assert snap_compare(tui, terminal_size=SIZES["small"], run_before=shown)
