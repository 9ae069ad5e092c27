"""The stock screen (库存): levels per warehouse and SKU, the catalogue, and the platform
SKUs of open orders that map to no merchant SKU; receipts (入库), counts (盘点) and
transfers (调拨) of one SKU at a time; mapping a platform SKU; the ledger's proof.

Everything is a call to `core.stock`, as `orderhub stock|sku` makes it:

- the three tabs read a page at a time in a thread (`tui.widgets.stock.listing`), through
  the filter typed above them (code or name words); `]` reads the page after the last
  row (keyset: the services read one page, whatever the list's length) and `[` goes
  back to the page before; the counts in the status line are read with the first page
  of a filter and again whenever the screen comes back, not on each page;
- levels with nothing available are red; `l` puts the lowest available first and `w`
  shows one warehouse (`levels.list_levels`);
- the catalogue (`catalogue.list_skus`) has a cost column only for a reader with
  `finance.view`: the service gives no cost to the others;
- `i`, `c` and `t` open a dialog prefilled from the row under the cursor
  (`operations.receive`, `count`, `transfer`), `m` maps the unmapped platform SKU under
  the cursor (`mapping.map_platform_sku`, bundles as `CODE*QTY`). They need
  `stock.adjust`: without it the core's refusal is told and nothing changes;
- `v` proves the levels against the ledger (`levels.verify`) and shows the answer.

The changes and the proof are in `tui.screens.stock_actions`, mixed in.

The lists are read again whenever the screen comes back to the front (after each dialog,
and after work on another screen), so a receipt shows in its row at once.
"""

from __future__ import annotations

from functools import partial
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import Static, TabbedContent, TabPane

from core.stock import warehouses
from tui.actions import ScreenAction
from tui.errors import Reported
from tui.i18n import t
from tui.screens.base import OrderhubScreen
from tui.screens.dialogs import ChoiceDialog
from tui.screens.stock_actions import StockActions
from tui.widgets.common.header import TopBar
from tui.widgets.common.inputs import FieldInput
from tui.widgets.common.key_bar import KeyBar
from tui.widgets.stock.listing import READERS, UNMAPPED_LIMIT, Counted, Query, Shown
from tui.widgets.stock.tables import LevelsTable, PageTable, SkusTable, UnmappedTable

TABS = ("levels", "skus", "unmapped")
TABLES: dict[str, type[PageTable[object]]] = {
    "levels": LevelsTable,  # type: ignore[dict-item]
    "skus": SkusTable,  # type: ignore[dict-item]
    "unmapped": UnmappedTable,  # type: ignore[dict-item]
}
ALL_WAREHOUSES = "\x00all"  # the warehouse choice meaning "every warehouse"


class StockScreen(StockActions, OrderhubScreen[None]):
    ACTIONS: ClassVar = (
        ScreenAction("focus_filter", "slash", "stock.filter", "stock.filter.help"),
        ScreenAction("receive", "i", "stock.receive", "stock.receive.help"),
        ScreenAction("count", "c", "stock.count", "stock.count.help"),
        ScreenAction("transfer", "t", "stock.transfer", "stock.transfer.help"),
        ScreenAction("map", "m", "stock.map", "stock.map.help"),
        ScreenAction("verify", "v", "stock.verify", "stock.verify.help"),
        ScreenAction("low_first", "l", "stock.low_first", "stock.low_first.help"),
        ScreenAction("warehouse", "w", "stock.warehouse", "stock.warehouse.help"),
        ScreenAction(
            "next_page", "right_square_bracket", "stock.next_page", "stock.next_page.help", False
        ),
        ScreenAction(
            "prev_page", "left_square_bracket", "stock.prev_page", "stock.prev_page.help", False
        ),
        ScreenAction("refresh", "ctrl+r", "stock.refresh", "stock.refresh.help", False),
        ScreenAction("back", "escape", "app.back", "stock.back.help", False),
        *(
            ScreenAction(f"tab('{name}')", str(n), f"stock.tab.{name}", "stock.tab.help", False)
            for n, name in enumerate(TABS, 1)
        ),
    )

    def __init__(self) -> None:
        super().__init__()
        self.filter_text = ""
        self.warehouse: str | None = None
        self.low_first = False
        # per tab, where each page read so far began: (the `after` key, the offset); the
        # last is the page shown, `[` drops it
        self.starts: dict[str, list[tuple[object, int]]] = {tab: [(None, 0)] for tab in TABS}
        self.counted: dict[str, Counted] = {}  # per tab, for the filter shown
        self.shown: dict[str, Shown[object]] = {}

    def compose(self) -> ComposeResult:
        yield TopBar(t("stock.title"))
        yield FieldInput(placeholder=t("stock.filter.placeholder"), id="stock-filter")
        with TabbedContent(id="stock-tabs", initial=TABS[0]):
            for name in TABS:
                with TabPane(t(f"stock.tab.{name}"), id=name):
                    yield TABLES[name](id=f"{name}-table")
        yield Static(id="stock-status")
        yield KeyBar()

    def on_mount(self) -> None:
        self.table().focus()

    def on_screen_resume(self) -> None:
        self.counted.clear()  # a dialog or another screen may have changed them
        self.load()

    # ------------------------------------------------------------ reading

    @property
    def tab(self) -> str:
        return str(self.query_one(TabbedContent).active) or TABS[0]

    @property
    def page(self) -> int:
        """Rows a table holds at once: the app's page size, as the desk's."""
        return self.hub.options.page_size

    def table(self, tab: str | None = None) -> PageTable[object]:
        return self.query_one(f"#{tab or self.tab}-table", PageTable)

    def load(self, *, recount: bool = False) -> None:
        """Read the page of the tab on show, in a thread; the newest read wins. The counts
        are read with it when the tab has none for its filter, or `recount`."""
        hub, tab = self.hub, self.tab
        core, actor, read = hub.core, hub.actor, READERS[tab]
        after, offset = self.starts[tab][-1]
        counted = None if recount else self.counted.get(tab)
        query = Query(
            self.filter_text, self.warehouse, self.low_first, offset, self.page, after, counted
        )
        hub.in_background(
            lambda: read(core, actor, query),
            partial(self._shown, tab),
            group="stock",
            failed=partial(self._refused, tab),
        )

    def _refused(self, tab: str) -> None:
        """The read was refused (told in a notice): an empty table, not stale rows."""
        self.shown.pop(tab, None)
        self.table(tab).show(Shown((), 0, 0))
        self.query_one("#stock-status", Static).update(t("stock.status.refused"))
        self.refresh_bindings()

    def _shown(self, tab: str, shown: Shown[object]) -> None:
        starts = self.starts[tab]
        if not shown.rows and len(starts) > 1:
            starts.pop()  # the page's rows are gone since (the list shrank): the one before
            self.load()
            return
        starts[-1] = (starts[-1][0], shown.offset)
        self.shown[tab], self.counted[tab] = shown, shown.counted
        self.table(tab).show(shown)
        self._status()
        self.refresh_bindings()

    def _status(self) -> None:
        shown = self.shown.get(self.tab)
        if shown is None:
            self.query_one("#stock-status", Static).update(t("app.loading"))
            return
        parts = []
        if shown.rows:
            first, last = shown.offset + 1, shown.offset + len(shown.rows)
            parts.append(t("stock.status.range", first=first, last=last, total=shown.total))
        elif self.tab == "levels" and not self.filter_text and self.warehouse is None:
            parts.append(t("stock.empty.levels"))
        else:
            parts.append(t("stock.status.none"))
        if self.tab == "levels":
            name = self.warehouse or t("stock.status.all_warehouses")
            parts.append(t("stock.status.warehouse", name=name))
            if shown.short:
                parts.append(t("stock.status.short", count=shown.short))
            if self.low_first:
                parts.append(t("stock.status.low_first"))
        if self.tab == "skus" and shown.rows and not shown.costs:
            parts.append(t("stock.status.no_cost"))
        if self.tab == "unmapped" and shown.capped:
            parts.append(t("stock.status.capped", count=UNMAPPED_LIMIT))
        if self.filter_text:
            parts.append(t("stock.status.filter", text=self.filter_text))
        if shown.total > self.page:
            parts.append(t("stock.status.pages"))
        # Text, not markup: the filter and warehouse names are what people typed
        self.query_one("#stock-status", Static).update(Text(" · ".join(parts)))

    # ------------------------------------------------------------ tabs, filter, pages

    def action_tab(self, name: str) -> None:
        self.query_one(TabbedContent).active = name
        self.table(name).focus()

    @on(TabbedContent.TabActivated, "#stock-tabs")
    def _tab_shown(self) -> None:
        self._status()
        self.refresh_bindings()
        self.load()

    def action_focus_filter(self) -> None:
        self.query_one("#stock-filter", FieldInput).focus()

    @on(FieldInput.Submitted, "#stock-filter")
    def _filtered(self, event: FieldInput.Submitted) -> None:
        self.filter_text = event.value.strip()
        self._first_pages(*TABS)
        self.table().focus()
        self.load()

    def action_back(self) -> None:
        if self.focused is self.query_one("#stock-filter"):
            self.table().focus()
        else:
            self.hub.action_home()

    def _first_pages(self, *tabs: str) -> None:
        """Back to the first page of `tabs`, whose counts are read again."""
        for tab in tabs:
            self.starts[tab] = [(None, 0)]
            self.counted.pop(tab, None)

    def action_next_page(self) -> None:
        shown = self.shown.get(self.tab)
        if shown is None or not shown.more:
            return
        self.starts[self.tab].append((shown.next_after, shown.offset + len(shown.rows)))
        self.load()

    def action_prev_page(self) -> None:
        if len(self.starts[self.tab]) > 1:
            self.starts[self.tab].pop()
            self.load()

    def action_refresh(self) -> None:
        self.load(recount=True)

    def action_low_first(self) -> None:
        self.low_first = not self.low_first
        self.starts["levels"] = [(None, 0)]  # the same rows in another order: same counts
        self.load()

    def action_warehouse(self) -> None:
        hub = self.hub
        houses = hub.attempt(lambda: warehouses.list_warehouses(hub.core, hub.actor))
        if isinstance(houses, Reported):
            return
        choices = [(ALL_WAREHOUSES, t("stock.status.all_warehouses"))]
        for house in houses:
            mark = t("stock.default_mark") if house.is_default else ""
            choices.append((house.name, house.name + mark))

        def chosen(name: str | None) -> None:
            if name is not None:
                self.warehouse = None if name == ALL_WAREHOUSES else name
                self._first_pages("levels")
                self.load()

        dialog = ChoiceDialog(t("stock.choose_warehouse"), choices, empty=t("stock.no_warehouses"))
        self.app.push_screen(dialog, chosen)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if not self.is_mounted:
            return True
        tab, shown = self.tab, self.shown.get(self.tab)
        if action == "map":
            return tab == "unmapped"
        if action in ("low_first", "warehouse"):
            return tab == "levels"
        if action == "next_page":
            return shown is not None and shown.more
        if action == "prev_page":
            return len(self.starts[tab]) > 1
        return True
