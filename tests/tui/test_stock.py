"""The stock screen (库存): levels with the short ones in red, a receipt, a count and a
transfer changing the levels shown, a platform SKU mapped off the unmapped list, the
catalogue with and without costs, a refusal without `stock.adjust`, the ledger's proof,
the filter and the pages, both languages; snapshots at 120×36 and 80×24."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from textual.pilot import Pilot
from textual.widgets import DataTable

from core.auditing import decisions
from core.desk import search
from core.stock import catalogue, levels, mapping, operations, warehouses
from core.stock.levels import Difference
from core.stock.operations import Line
from tests.conftest import OrgFixture
from tests.desk.world import LineSpec, OrderSpec, store_world
from tests.tui.conftest import SIZES, drive, settle
from tui.screens.stock import StockScreen
from tui.widgets.common.inputs import FieldInput
from tui.widgets.stock import listing
from tui.widgets.stock.dialogs import EntryDialog, VerifyDialog

CUP = LineSpec("保温杯 500ml 红色 L", "sku-1", "CUP-R")
MUG = LineSpec("陶瓷杯 红色 M", "sku-4", "MUG-M")
GIFT = LineSpec("保温杯礼盒 送杯盖", "sku-9", "")  # a bundle: no outer_id of ours
TEA = LineSpec("Tea Cup blue", "sku-3", "TEA-B")  # a code the catalogue does not have


@dataclass
class StockWorld:
    app: object
    acme: OrgFixture


@pytest.fixture
def world(app, acme: OrgFixture, tui_clock) -> StockWorld:
    """Two warehouses, three SKUs; 北仓's lids all moved to 主仓 (0 left), two mugs both
    reserved by approved orders (0 available); open orders with two unmapped SKUs."""
    admin = acme.admin
    warehouses.add_warehouse(app, admin, "主仓", province="浙江省", city="杭州市")
    warehouses.add_warehouse(app, admin, "北仓", province="北京市", city="北京市")
    catalogue.add_sku(
        app, admin, "CUP-R", "保温杯 500ml 红", barcode="6901234567892", weight_g=350, cost_fen=2350
    )
    catalogue.add_sku(app, admin, "LID", "杯盖", barcode="6901234567809", weight_g=40, cost_fen=300)
    catalogue.add_sku(app, admin, "MUG-M", "陶瓷杯 M", weight_g=280, cost_fen=1200)
    operations.receive(
        app, admin, [Line("CUP-R", 40), Line("LID", 100), Line("MUG-M", 2)], reference="RK-001"
    )
    operations.receive(app, admin, [Line("LID", 6), Line("CUP-R", 3)], warehouse="北仓")
    operations.transfer(app, admin, [Line("LID", 6)], source="北仓", destination="主仓")
    specs = [
        OrderSpec(lines=(MUG,)),
        OrderSpec(lines=(MUG,)),
        OrderSpec(lines=(CUP,)),
        OrderSpec(lines=(GIFT,)),
        OrderSpec(lines=(GIFT,)),
        OrderSpec(lines=(TEA,)),
    ]
    stored = store_world(app, acme.org_id, specs, prefix="STK")
    decisions.approve(app, admin, [stored.orders[0].number, stored.orders[1].number])
    return StockWorld(app, acme)


def level(world: StockWorld, warehouse: str, code: str) -> tuple[int, int]:
    for lv in levels.list_levels(world.app, world.acme.admin):  # type: ignore[arg-type]
        if (lv.warehouse, lv.code) == (warehouse, code):
            return lv.on_hand, lv.reserved
    raise AssertionError(f"no level {warehouse} {code}")


def screen_of(pilot: Pilot[None]) -> StockScreen:
    screen = pilot.app.screen
    assert isinstance(screen, StockScreen)
    return screen


def rows(screen: StockScreen, tab: str) -> list[list[str]]:
    table = screen.table(tab)
    return [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]


def status(screen: StockScreen) -> str:
    return str(screen.query_one("#stock-status").render())


async def on_row(pilot: Pilot[None], tab: str, *cells: str) -> None:
    """Move the cursor of `tab`'s table to the row starting with `cells`."""
    screen = screen_of(pilot)
    found = [r[: len(cells)] for r in rows(screen, tab)].index(list(cells))
    screen.table(tab).move_cursor(row=found)
    await pilot.pause()


async def fill(pilot: Pilot[None], **typed: str) -> None:
    """Type into the open dialog's fields (replacing what they held), then submit it."""
    dialog = pilot.app.screen
    assert isinstance(dialog, EntryDialog)
    for key, value in typed.items():
        dialog.query_one(f"#field-{key}", FieldInput).value = value
    dialog.query(FieldInput).last().focus()
    await pilot.press("enter")
    await settle(pilot)


def test_levels_show_short_rows_and_the_filter_narrows_them(make_tui, world) -> None:
    tui = make_tui(world.acme.admin, start="stock")

    async def scenario(pilot: Pilot[None]) -> None:
        screen = screen_of(pilot)
        shown = rows(screen, "levels")
        assert shown == [
            ["主仓", "CUP-R", "保温杯 500ml 红", "40", "0", "40"],
            ["主仓", "LID", "杯盖", "106", "0", "106"],
            ["主仓", "MUG-M", "陶瓷杯 M", "2", "2", "0"],
            ["北仓", "CUP-R", "保温杯 500ml 红", "3", "0", "3"],
            ["北仓", "LID", "杯盖", "0", "0", "0"],
        ]  # by warehouse name as the database orders it, then code
        available = screen.table("levels").get_row_at(4)[5]
        assert available.style == "bold red"  # nothing available: red
        assert "第 1–5 条，共 5 条" in status(screen) and "可用≤0：2 条" in status(screen)
        await pilot.press("l")  # lowest available first
        await settle(pilot)
        assert [r[1] for r in rows(screen, "levels")[:2]] == ["MUG-M", "LID"]
        await pilot.press("slash", *"[b]", "enter")  # shown as typed, never as markup
        await settle(pilot)
        assert status(screen).startswith("没有符合的记录") and "筛选：[b]" in status(screen)
        screen.query_one("#stock-filter", FieldInput).value = ""
        await pilot.press("slash", *"杯 红", "enter")  # every word must match
        await settle(pilot)
        assert [(r[0], r[1]) for r in rows(screen, "levels")] == [
            ("北仓", "CUP-R"),  # still lowest available first
            ("主仓", "CUP-R"),
        ]
        assert screen.focused is screen.table("levels")
        await pilot.press("w")
        await pilot.pause()
        await pilot.press("down", "down", "enter")  # all, 主仓, 北仓
        await settle(pilot)
        assert [(r[0], r[1]) for r in rows(screen, "levels")] == [("北仓", "CUP-R")]
        assert "仓库：北仓" in status(screen)

    drive(tui, scenario)


def test_a_receipt_changes_the_level_shown(make_tui, world) -> None:
    tui = make_tui(world.acme.admin, start="stock")
    notices: list[str] = []

    async def scenario(pilot: Pilot[None]) -> None:
        screen = screen_of(pilot)
        await on_row(pilot, "levels", "主仓", "CUP-R")
        await pilot.press("i")
        await pilot.pause()
        dialog = pilot.app.screen
        assert isinstance(dialog, EntryDialog)
        assert dialog.values()["code"] == "CUP-R" and dialog.values()["warehouse"] == "主仓"
        assert dialog.focused is dialog.query_one("#field-quantity")  # the first empty field
        await pilot.press(*"12", "enter", "enter", *"RK-002", "enter", "enter")  # to the last
        await settle(pilot)
        assert pilot.app.screen is screen
        assert rows(screen, "levels")[0] == ["主仓", "CUP-R", "保温杯 500ml 红", "52", "0", "52"]
        assert screen.table("levels").cursor_row == 0  # the cursor stayed on the row
        notices.extend(n.message for n in pilot.app.notices)

    drive(tui, scenario)
    assert notices == ["已入库 CUP-R × 12（主仓）"]
    assert level(world, "主仓", "CUP-R") == (52, 0)


def test_a_count_and_a_transfer_post_what_was_typed(make_tui, world) -> None:
    tui = make_tui(world.acme.admin, start="stock", lang="en")
    notices: list[str] = []

    async def scenario(pilot: Pilot[None]) -> None:
        screen = screen_of(pilot)
        await on_row(pilot, "levels", "主仓", "LID")
        await pilot.press("c")
        await pilot.pause()
        await fill(pilot, quantity="100")  # 106 on the books, 100 on the shelf
        assert rows(screen, "levels")[1][3] == "100"
        await pilot.press("t")
        await pilot.pause()
        await fill(pilot, quantity="30", destination="北仓")  # from the row's warehouse
        assert rows(screen, "levels")[4] == ["北仓", "LID", "杯盖", "30", "0", "30"]
        assert rows(screen, "levels")[1][3] == "70"
        notices.extend(n.message for n in pilot.app.notices)

    drive(tui, scenario)
    assert notices == [
        "Counted LID: 100 on the shelf, 6 posted (主仓)",
        "Transferred LID × 30: 主仓 → 北仓",
    ]
    assert levels.verify(world.app, world.acme.admin) == []


def test_a_bad_entry_is_told_and_the_dialog_keeps_it(make_tui, world) -> None:
    tui = make_tui(world.acme.admin, start="stock")
    notices: list[tuple[str, str]] = []

    async def scenario(pilot: Pilot[None]) -> None:
        await on_row(pilot, "levels", "主仓", "CUP-R")
        await pilot.press("i")
        await pilot.pause()
        await fill(pilot, quantity="十二")
        await fill(pilot, quantity="0")  # the service's own check: 1 or more
        await fill(pilot, code="NOPE", quantity="3")
        dialog = pilot.app.screen
        assert isinstance(dialog, EntryDialog) and dialog.values()["code"] == "NOPE"
        await pilot.press("escape")
        await settle(pilot)
        assert isinstance(pilot.app.screen, StockScreen)
        notices.extend((n.title, n.message) for n in pilot.app.notices)

    drive(tui, scenario)
    assert notices == [
        ("输入有误", "数量须是整数，例如 40，而不是 '十二'"),
        ("输入有误", "line 1 (CUP-R): the quantity must be 1 or more, not 0"),
        ("未找到", "line 1: no SKU with code 'NOPE'"),
    ]
    assert level(world, "主仓", "CUP-R") == (40, 0)


def test_a_receipt_from_the_catalogue_goes_to_the_default_warehouse(make_tui, world) -> None:
    tui = make_tui(world.acme.admin, start="stock")
    notices: list[str] = []

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("2")
        await settle(pilot)
        await on_row(pilot, "skus", "LID")
        await pilot.press("i")
        await pilot.pause()
        dialog = pilot.app.screen
        assert isinstance(dialog, EntryDialog)
        assert (dialog.values()["code"], dialog.values()["warehouse"]) == ("LID", "")
        await fill(pilot, quantity="4")
        notices.extend(n.message for n in pilot.app.notices)

    drive(tui, scenario)
    assert notices == ["已入库 LID × 4（默认仓库）"]
    assert level(world, "主仓", "LID") == (110, 0)  # the first warehouse added is the default


def test_mapping_takes_the_sku_off_the_unmapped_list(make_tui, world) -> None:
    tui = make_tui(world.acme.admin, start="stock")
    notices: list[str] = []

    async def scenario(pilot: Pilot[None]) -> None:
        screen = screen_of(pilot)
        await pilot.press("3")
        await settle(pilot)
        assert rows(screen, "unmapped") == [
            ["pinduoduo", "sku-9", "", "保温杯礼盒 送杯盖", "2"],
            ["pinduoduo", "sku-3", "TEA-B", "Tea Cup blue", "1"],
        ]
        await pilot.press("m")
        await pilot.pause()
        dialog = pilot.app.screen
        assert isinstance(dialog, EntryDialog)
        assert "sku-9：保温杯礼盒 送杯盖（2 个待发订单）" in str(
            dialog.query_one(".entry-intro").render()
        )
        await fill(pilot, parts="CUP-R，LID*2")  # a Chinese comma, as a Chinese IME types it
        assert rows(screen, "unmapped") == [["pinduoduo", "sku-3", "TEA-B", "Tea Cup blue", "1"]]
        notices.extend(n.message for n in pilot.app.notices)

    drive(tui, scenario)
    assert notices == ["已对应 sku-9 → CUP-R×1 + LID×2"]
    (bundle,) = mapping.list_mappings(world.app, world.acme.admin)
    assert [(p.code, p.quantity) for p in bundle.parts] == [("CUP-R", 1), ("LID", 2)]


def test_without_stock_adjust_the_actions_are_refused_with_the_cores_message(
    make_tui, world
) -> None:
    clerk = world.acme.staff("clerk", "print_operator")  # stock.view, not stock.adjust
    tui = make_tui(clerk, start="stock")
    notices: list[tuple[str, str, str]] = []

    async def scenario(pilot: Pilot[None]) -> None:
        screen = screen_of(pilot)
        await on_row(pilot, "levels", "主仓", "CUP-R")
        await pilot.press("i")
        await pilot.pause()
        await fill(pilot, quantity="5")
        assert isinstance(pilot.app.screen, EntryDialog)  # kept: nothing was done
        await pilot.press("escape")
        await pilot.press("3")
        await settle(pilot)
        await pilot.press("m")
        await pilot.pause()
        await pilot.press(*"CUP-R", "enter")
        await settle(pilot)
        await pilot.press("escape")
        await settle(pilot)
        assert rows(screen, "levels")[0][3] == "40" and len(rows(screen, "unmapped")) == 2
        notices.extend((n.title, n.message, n.severity) for n in pilot.app.notices)

    drive(tui, scenario)
    assert len(notices) == 2
    for title, message, severity in notices:
        assert (title, severity) == ("权限不足", "warning")
        assert message.startswith("需要权限：stock.adjust（调整库存）")
    assert level(world, "主仓", "CUP-R") == (40, 0)


def test_the_catalogue_shows_costs_only_with_finance_view(make_tui, world) -> None:
    clerk = world.acme.staff("clerk", "print_operator")
    seen: dict[str, tuple[list[str], list[str], str]] = {}

    async def catalogue_tab(pilot: Pilot[None]) -> None:
        screen = screen_of(pilot)
        await pilot.press("2")
        await settle(pilot)
        table = screen.table("skus")
        headers = [str(c.label) for c in table.columns.values()]
        user = pilot.app.actor.label  # type: ignore[attr-defined]
        seen[user] = (headers, rows(screen, "skus")[0], status(screen))

    drive(make_tui(world.acme.admin, start="stock"), catalogue_tab)
    drive(make_tui(clerk, start="stock"), catalogue_tab)
    assert seen["boss"][0][-1] == "成本 ¥" and seen["boss"][1][-1] == "23.50"
    assert seen["clerk"][0][-1] == "重量 g" and seen["clerk"][1] == [
        "CUP-R",
        "保温杯 500ml 红",
        "6901234567892",
        "350",
    ]
    assert "无财务权限：不显示成本" in seen["clerk"][2]


def test_verify_shows_the_proof(make_tui, world) -> None:
    tui = make_tui(world.acme.admin, start="stock", lang="en")
    said: list[str] = []

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("v")
        await settle(pilot)
        dialog = pilot.app.screen
        assert isinstance(dialog, VerifyDialog) and dialog.differences == []
        said.append(str(dialog.query_one("#verify-answer").render()))
        await pilot.press("enter")
        await settle(pilot)
        assert isinstance(pilot.app.screen, StockScreen)

    drive(tui, scenario)
    assert said == ["All levels equal the sums of their ledger moves (checked 2026-11-21 10:00)"]


def test_verify_lists_the_levels_that_differ(make_tui, world) -> None:
    """The dialog over `levels.verify`'s answer when the books are wrong (which the
    ledger's own writer cannot make: the answer is built here)."""
    tui = make_tui(world.acme.admin, start="stock", lang="en")
    wrong = [
        Difference("主仓", "CUP-R", (41, 0), (40, 0)),
        Difference("北仓", "LID", (0, 1), (0, 0)),
    ]
    seen: list[object] = []

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.app.push_screen(VerifyDialog(wrong, "checked 2026-11-21 10:00"))
        await settle(pilot)
        dialog = pilot.app.screen
        table = dialog.query_one("#verify-table", DataTable)
        seen.append(str(dialog.query_one("#verify-answer").render()))
        seen.append([[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)])

    drive(tui, scenario)
    assert seen == [
        "2 level(s) differ from the sums of their moves:",
        [["主仓", "CUP-R", "41/0", "40/0"], ["北仓", "LID", "0/1", "0/0"]],
    ]


def test_a_reader_without_stock_view_is_told_not_crashed(make_tui, world) -> None:
    counter = world.acme.staff("counter", "finance")  # no stock.view
    tui = make_tui(counter, start="stock")
    seen: list[object] = []

    async def scenario(pilot: Pilot[None]) -> None:
        screen = screen_of(pilot)
        seen.append((status(screen), screen.table("levels").row_count))
        await pilot.press("v")
        await settle(pilot)
        seen.append(isinstance(pilot.app.screen, StockScreen))
        seen.extend((n.title, n.message.splitlines()[0]) for n in pilot.app.notices)

    drive(tui, scenario)
    assert seen == [
        ("未能读取，原因见通知", 0),
        True,
        ("权限不足", "需要权限：stock.view（查看库存）"),
        ("权限不足", "需要权限：stock.view（查看库存）"),
    ]


def test_pages_hold_a_page_and_turn(make_tui, world) -> None:
    tui = make_tui(world.acme.admin, start="stock", page_size=2)

    async def scenario(pilot: Pilot[None]) -> None:
        screen = screen_of(pilot)
        pages = []
        for key in ("right_square_bracket", "right_square_bracket", "left_square_bracket"):
            pages.append([r[:2] for r in rows(screen, "levels")])
            await pilot.press(key)
            await settle(pilot)
        pages.append([r[:2] for r in rows(screen, "levels")])
        assert pages == [
            [["主仓", "CUP-R"], ["主仓", "LID"]],
            [["主仓", "MUG-M"], ["北仓", "CUP-R"]],
            [["北仓", "LID"]],
            [["主仓", "MUG-M"], ["北仓", "CUP-R"]],
        ]
        assert "第 3–4 条，共 5 条" in status(screen)

    drive(tui, scenario)


def test_pages_follow_the_last_row_and_keep_their_counts(make_tui, world, monkeypatch) -> None:
    """`]` reads after the last row in either order, on either tab; turning pages reads
    no count, a new filter order keeps them and ctrl+r reads them again."""
    counted: list[str | None] = []
    real_count = levels.count_levels

    def count_levels(*args, **kwargs):  # type: ignore[no-untyped-def]
        counted.append(kwargs.get("warehouse"))
        return real_count(*args, **kwargs)

    monkeypatch.setattr(levels, "count_levels", count_levels)
    tui = make_tui(world.acme.admin, start="stock", page_size=2)

    async def scenario(pilot: Pilot[None]) -> None:
        screen = screen_of(pilot)
        await pilot.press("l")
        await settle(pilot)
        pages = [[(r[0], r[1], r[5]) for r in rows(screen, "levels")]]
        for _ in range(3):  # the third `]` is on the last page: nothing happens
            await pilot.press("right_square_bracket")
            await settle(pilot)
            pages.append([(r[0], r[1], r[5]) for r in rows(screen, "levels")])
        assert pages == [
            [("主仓", "MUG-M", "0"), ("北仓", "LID", "0")],  # ties: older warehouse first
            [("北仓", "CUP-R", "3"), ("主仓", "CUP-R", "40")],
            [("主仓", "LID", "106")],
            [("主仓", "LID", "106")],
        ]
        assert "第 5–5 条，共 5 条" in status(screen) and "可用≤0：2 条" in status(screen)
        assert len(counted) == 1  # read with the first page only
        await pilot.press("ctrl+r")
        await settle(pilot)
        assert len(counted) == 2 and [r[1] for r in rows(screen, "levels")] == ["LID"]
        await pilot.press("2")
        await settle(pilot)
        first = [r[0] for r in rows(screen, "skus")]
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert (first, [r[0] for r in rows(screen, "skus")]) == (["CUP-R", "LID"], ["MUG-M"])
        assert "第 3–3 条，共 3 条" in status(screen)
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert [r[0] for r in rows(screen, "skus")] == ["CUP-R", "LID"]

    drive(tui, scenario)


def test_switching_language_speaks_english_on_the_stock_screen(make_tui, world) -> None:
    tui = make_tui(world.acme.admin, start="stock")
    seen: list[tuple[str, str]] = []

    async def scenario(pilot: Pilot[None]) -> None:
        screen = screen_of(pilot)
        seen.append((str(screen.query_one("#stock-tabs").get_tab("levels").label), status(screen)))
        pilot.app.action_switch_language()  # type: ignore[attr-defined]
        await settle(pilot)
        screen = screen_of(pilot)
        seen.append((str(screen.query_one("#stock-tabs").get_tab("levels").label), status(screen)))
        keys = {b.binding.description for b in screen.active_bindings.values()}
        assert {"Receive", "Count", "Transfer", "Verify", "Stock"} <= keys

    drive(tui, scenario)
    assert seen[0] == ("库存", "第 1–5 条，共 5 条 · 仓库：全部仓库 · 可用≤0：2 条")
    assert seen[1] == ("Levels", "1–5 of 5 · Warehouse: all warehouses · 2 with nothing available")


def test_f8_and_the_palette_reach_the_stock_screen(make_tui, world) -> None:
    tui = make_tui(world.acme.admin, lang="en")

    async def scenario(pilot: Pilot[None]) -> None:
        await pilot.press("f8")
        await settle(pilot)
        assert len(rows(screen_of(pilot), "levels")) == 5
        await pilot.press("f2")
        await settle(pilot)
        assert not isinstance(pilot.app.screen, StockScreen)
        await pilot.press("ctrl+p")
        await pilot.press(*"Stock")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await settle(pilot)
        screen_of(pilot)

    drive(tui, scenario)


def test_reading_keeps_a_page_of_what_matches(app, world) -> None:
    """The readers without the screen: a page, the count, the short rows, the page after
    a row's key, counts read once and passed on; the unmapped list cut here, an offset
    past its end answered with the last page."""
    admin = world.acme.admin
    first = listing.read_levels(app, admin, listing.Query("lid", limit=1))
    assert [(r.warehouse, r.code) for r in first.rows] == [("主仓", "LID")]
    assert (first.offset, first.total, first.short, first.more) == (0, 2, 1, True)
    query = listing.Query("lid", offset=1, limit=1, after=first.next_after, counted=first.counted)
    shown = listing.read_levels(app, admin, query)
    assert [(r.warehouse, r.code) for r in shown.rows] == [("北仓", "LID")]
    assert (shown.offset, shown.total, shown.short, shown.more) == (1, 2, 1, False)
    skus = listing.read_skus(app, admin, listing.Query("杯", limit=2))
    assert [s.code for s in skus.rows] == ["CUP-R", "LID"] and skus.more and skus.costs
    found = listing.read_unmapped(app, admin, listing.Query("TEA"))
    assert [u.platform_sku_id for u in found.rows] == ["sku-3"]
    past = listing.read_unmapped(app, admin, listing.Query(offset=400))
    assert (past.offset, len(past.rows)) == (0, 2)
    assert search.count_tabs(app, admin, "").total == 6  # the world's orders, for the record


LANGS = ("zh", "en")


@pytest.mark.parametrize("size", sorted(SIZES))
@pytest.mark.parametrize("lang", LANGS)
def test_stock_snapshot(snap_compare, make_tui, world, lang: str, size: str) -> None:
    """The levels, the cursor on 主仓 LID."""

    async def shown(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("down")
        await settle(pilot)

    tui = make_tui(world.acme.admin, lang=lang, start="stock")
    assert snap_compare(tui, terminal_size=SIZES[size], run_before=shown)


@pytest.mark.parametrize("lang", LANGS)
def test_receipt_dialog_snapshot(snap_compare, make_tui, world, lang: str) -> None:
    """The receipt dialog over the levels at 80×24, prefilled from the row, 12 typed."""

    async def receiving(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("i", "1", "2")
        await settle(pilot)

    tui = make_tui(world.acme.admin, lang=lang, start="stock")
    assert snap_compare(tui, terminal_size=SIZES["small"], run_before=receiving)


@pytest.mark.parametrize("lang", LANGS)
def test_unmapped_snapshot(snap_compare, make_tui, world, lang: str) -> None:
    """The unmapped tab at 120×36: a bundle without an outer_id, a code not in the
    catalogue."""

    async def unmapped(pilot: Pilot[None]) -> None:
        await settle(pilot)
        await pilot.press("3")
        await settle(pilot)

    tui = make_tui(world.acme.admin, lang=lang, start="stock")
    assert snap_compare(tui, terminal_size=SIZES["wide"], run_before=unmapped)
