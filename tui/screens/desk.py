"""The order desk (订单): status tabs with live counts, the filter bar, the order table, the
selection and the batch actions (`tui.screens.desk_batch`).

The table's query is the filter typed in the bar plus `status:<tab>` (nothing for "all");
the tab counts are `count_tabs` of the filter alone, refreshed every `COUNT_SECONDS` and
after every change. Pages are read in a thread (`OrderhubApp.in_background`) through the
window of `tui.widgets.desk.feed`, so the screen never waits on the database and holds a
few pages whatever the number of orders.
"""

from __future__ import annotations

from functools import partial
from typing import ClassVar

from textual import on
from textual.app import ComposeResult

from core.desk import saved_filters, search
from core.desk.search import Page, TabCounts
from core.desk.tags import list_tags
from core.errors import PermissionDenied
from core.shops.binding import list_shops
from core.waybills.carrier_accounts import list_accounts
from tui.actions import ScreenAction
from tui.i18n import t
from tui.screens.base import OrderhubScreen
from tui.screens.desk_batch import BATCH_ACTIONS, BatchActions
from tui.screens.detail import DetailScreen
from tui.widgets.common.header import TopBar
from tui.widgets.common.key_bar import KeyBar
from tui.widgets.desk import feed
from tui.widgets.desk.completion import Known
from tui.widgets.desk.filter_bar import FilterBar
from tui.widgets.desk.order_table import OrderTable
from tui.widgets.desk.selection import Selection
from tui.widgets.desk.status_line import StatusLine, status_text
from tui.widgets.desk.tab_strip import ALL, STRIP, TabStrip, key_of

COUNT_SECONDS = 30.0

NAVIGATION = (
    ScreenAction("focus_filter", "slash", "desk.focus_filter", "desk.focus_filter.help"),
    ScreenAction("next_tab", "right_square_bracket", "desk.next_tab", "desk.next_tab.help", False),
    ScreenAction("prev_tab", "left_square_bracket", "desk.prev_tab", "desk.prev_tab.help", False),
    ScreenAction("refresh", "ctrl+r", "desk.refresh", "desk.refresh.help", False),
    ScreenAction("open", None, "desk.open", "desk.open.help"),
    ScreenAction("first", None, "desk.first", "desk.first.help"),
    ScreenAction("last", None, "desk.last", "desk.last.help"),
)


#: One palette entry per tab ("异常" opens the exception queue), keys 1–9 and 0.
TAB_ACTIONS = tuple(
    ScreenAction(f"show_tab('{tab}')", key_of(tab), f"desk.tab.{tab}", "desk.show_tab.help", False)
    for tab in STRIP
)


#: Where the work is when 待审 is empty, in order: the exception queue, then ready to print.
WORK_TABS = ("exception", "audited")


class DeskScreen(BatchActions, OrderhubScreen[None]):
    ACTIONS: ClassVar = (*NAVIGATION, *TAB_ACTIONS, *BATCH_ACTIONS)

    def __init__(self) -> None:
        super().__init__()
        self.tab = STRIP[0]
        self.filter_text = ""
        self.selection = Selection()
        self.counts: TabCounts | None = None
        self.landed = False  # the first counts may move an empty first tab to work
        self.known = Known()
        self.paging = False

    def compose(self) -> ComposeResult:
        yield TopBar(t("desk.title"))
        yield TabStrip(id="tabs")
        yield FilterBar(self.known, id="filter-bar")
        yield OrderTable(self.hub.options.page_size, id="orders")
        yield StatusLine(id="status")
        yield KeyBar()

    @property
    def table(self) -> OrderTable:
        return self.query_one(OrderTable)

    def on_mount(self) -> None:
        self.table.focus()
        self.reload()
        self.hub.in_background(self._known_names, self._learn, group="desk.known")
        self.set_interval(COUNT_SECONDS, self.refresh_counts)

    # ------------------------------------------------------------ reading

    @property
    def query_text(self) -> str:
        tab = "" if self.tab == ALL else f"status:{self.tab}"
        return f"{self.filter_text} {tab}".strip()

    def fetch(
        self,
        query: str,
        *,
        after: str | None = None,
        before: str | None = None,
        last: bool = False,
        limit: int | None = None,
    ) -> Page:
        hub = self.hub
        return search.search_orders(
            hub.core,
            hub.actor,
            query,
            after=after,
            before=before,
            last=last,
            limit=limit or hub.options.page_size,
        )

    def screenful(self) -> partial[Page]:
        """`fetch` of the current filter for a jump (new filter or tab, Home, End): one
        screen of rows, not a page, so they are drawn sooner; the table asks for the rest
        of the page at once (it is near the window's edge), once they are painted."""
        rows = min(self.hub.options.page_size, self.table.visible_rows + 1)
        return partial(self.fetch, self.query_text, limit=rows)

    def reload(self, *, stay: bool = True, focus: bool = False) -> None:
        """Read the first window and the counts again: after a change on the same order
        (`stay`), or from the top after a new filter or tab. The counts are read once the
        rows are shown, not beside them: the rows are what the operator waits for, and two
        reads at once on two cores beside the screen's drawing slowed the rows down.
        `focus` gives the table the focus once its new rows are painted: moving the focus
        repaints the whole screen, which would hold the rows back by a frame."""
        keep = self._current_id() if stay else None
        # A reload keeping its order reads a whole page: that order may lie past the screen.
        fetch = partial(self.fetch, self.query_text) if stay else self.screenful()

        def shown(window: feed.Window) -> None:
            self._show(keep, window)
            if focus:
                self.call_after_refresh(self.table.focus)
            self.refresh_counts()

        self.hub.in_background(
            lambda: feed.first(fetch), shown, group="desk.page", failed=self.refresh_counts
        )

    def refresh_counts(self) -> None:
        text = self.filter_text
        hub = self.hub
        self.hub.in_background(
            lambda: search.count_tabs(hub.core, hub.actor, text), self._counted, group="desk.count"
        )

    def _counted(self, counts: TabCounts) -> None:
        self.counts = counts
        self.query_one(TabStrip).counts = counts.counts
        self._status()
        if not self.landed:
            self.landed = True
            self._land_on_work(counts)

    def _land_on_work(self, counts: TabCounts) -> None:
        """Opened on an empty 待审 tab (orders are often approved as they arrive), go to
        the first of 异常 and 已审 that has orders: where the operator's work is."""
        if self.tab != STRIP[0] or counts.counts.get(self.tab, 0):
            return
        for tab in WORK_TABS:
            if counts.counts.get(tab, 0):
                self.action_show_tab(tab)
                return

    def _show(self, keep: int | None, window: feed.Window) -> None:
        self.paging = False
        self.table.show(window, self.selection, show_tab=self.tab == ALL, keep=keep)
        self._status()

    def _current_id(self) -> int | None:
        row = self.table.current if self.is_mounted else None
        return row.id if row else None

    @property
    def total(self) -> int | None:
        if self.counts is None:
            return None
        return self.counts.total if self.tab == ALL else self.counts.counts.get(self.tab, 0)

    def _status(self) -> None:
        table = self.table
        offset = table.window.offset
        position = None if offset is None else offset + table.cursor_row + 1
        text = status_text(position, table.row_count, self.total, self.selection, table.current)
        self.query_one(StatusLine).update(text)

    def _known_names(self) -> dict[str, tuple[str, ...]]:
        """The org's names for completion; a list the user may not read is left out (they
        meet the refusal when they act, not as a notice on opening the desk)."""
        core, actor = self.hub.core, self.hub.actor
        lists = {
            "tag": lambda: [tag.name for tag in list_tags(core, actor)],
            "shop": lambda: [shop.name for shop in list_shops(core, actor)],
            "carrier": lambda: [account.name for account in list_accounts(core, actor)],
        }
        names: dict[str, tuple[str, ...]] = {}
        for key, read in lists.items():
            try:
                names[key] = tuple(read())
            except PermissionDenied:
                continue
        return names

    def _learn(self, names: dict[str, tuple[str, ...]]) -> None:
        self.known.names.update(names)

    # ------------------------------------------------------------ paging

    @on(OrderTable.NearEdge)
    def _near_edge(self, event: OrderTable.NearEdge) -> None:
        if self.paging:
            return
        self.paging = True
        fetch = partial(self.fetch, self.query_text)
        window, keep = self.table.window, self._current_id()
        move = feed.forward if event.forward else feed.backward
        self.hub.in_background(
            lambda: move(fetch, window), partial(self._show, keep), group="desk.page"
        )

    def action_first(self) -> None:
        fetch = self.screenful()
        self.hub.in_background(
            lambda: feed.first(fetch), partial(self._show, None), group="desk.page"
        )

    def action_last(self) -> None:
        fetch = self.screenful()
        total = self.total or 0
        self.hub.in_background(lambda: feed.last(fetch, total), self._show_last, group="desk.page")

    def _show_last(self, window: feed.Window) -> None:
        last = window.rows[-1].id if window.rows else None
        self._show(last, window)

    @on(OrderTable.Highlighted)
    def _highlighted(self) -> None:
        self._status()

    # ------------------------------------------------------------ tabs and filter

    def action_show_tab(self, tab: str) -> None:
        if tab != self.tab:
            self.tab = tab
            self.query_one(TabStrip).active = tab
            self.reload(stay=False)

    def action_next_tab(self) -> None:
        self.action_show_tab(STRIP[(STRIP.index(self.tab) + 1) % len(STRIP)])

    def action_prev_tab(self) -> None:
        self.action_show_tab(STRIP[(STRIP.index(self.tab) - 1) % len(STRIP)])

    def action_focus_filter(self) -> None:
        self.query_one(FilterBar).input.focus()

    def action_refresh(self) -> None:
        self.reload()

    @on(FilterBar.Applied)
    def _filter(self, event: FilterBar.Applied) -> None:
        self.apply_filter(event.text)

    def apply_filter(self, text: str) -> None:
        hub = self.hub
        canonical = hub.attempt(lambda: search.as_query(text).format())
        if not isinstance(canonical, str):
            return
        self.filter_text = text
        self.selection.clear()
        self.reload(stay=False, focus=True)

    def apply_saved(self, name: str) -> None:
        hub = self.hub
        text = hub.attempt(lambda: saved_filters.filter_query(hub.core, hub.actor, name))
        if isinstance(text, str):
            self.query_one(FilterBar).set_text(text)
            self.apply_filter(text)

    # ------------------------------------------------------------ opening an order

    @on(OrderTable.Opened)
    def _opened(self) -> None:
        self.action_open()

    def action_open(self) -> None:
        row = self.table.current
        if row is not None:
            self.app.push_screen(DetailScreen(row.order_no, row.shop), lambda _: self.reload())
