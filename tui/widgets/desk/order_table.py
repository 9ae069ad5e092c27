"""The desk's order table: the rows of the feed's window, picked rows marked.

It holds only the window (`feed.WINDOW` pages) and asks for more when the cursor comes
within `edge` rows of either end (`OrderTable.NearEdge`); the screen reads the page and
calls `show`, which keeps the cursor on the same order. `edge` is at most half a page, so
the cursor lands outside both edges after the window moved and the window never swings
back and forth by itself. Home and End go to the first and
the last order of the whole list (the screen's `first` and `last` actions). The extra
columns (carrier, shop) appear when the terminal has the room.
"""

from __future__ import annotations

from typing import ClassVar

from textual.binding import Binding
from textual.coordinate import Coordinate
from textual.message import Message
from textual.widgets import DataTable

from core.desk.listing import OrderRow
from tui.i18n import t
from tui.widgets.desk.feed import Window
from tui.widgets.desk.rows import COLUMNS, WIDE_COLUMNS, cells
from tui.widgets.desk.selection import Selection

EDGE = 5
WIDE = 110  # terminal columns from which the extra columns are shown


class OrderTable(DataTable[object]):
    BINDINGS: ClassVar = [
        Binding("home,ctrl+home", "screen.first", show=False),
        Binding("end,ctrl+end", "screen.last", show=False),
    ]

    class NearEdge(Message):
        def __init__(self, forward: bool) -> None:
            super().__init__()
            self.forward = forward

    def __init__(self, page_size: int, *, id: str | None = None) -> None:
        super().__init__(id=id, cursor_type="row", zebra_stripes=True)
        self.edge = max(1, min(EDGE, page_size // 2))
        self.filling = False  # no edge is reported while the rows are replaced
        self.window = Window((), 0)
        self.columns_shown: tuple[str, ...] = ()
        self._by_key: dict[str, OrderRow] = {}

    def layout_for(self, width: int, show_tab: bool) -> tuple[str, ...]:
        names = [c for c in COLUMNS if show_tab or c != "tab"]
        return (*names, *WIDE_COLUMNS) if width >= WIDE else tuple(names)

    def show(
        self, window: Window, selection: Selection, *, show_tab: bool, keep: int | None = None
    ) -> None:
        """Show `window`, the cursor on order `keep` when it is there (else on row 0)."""
        self.window = window
        self.filling = True
        columns = self.layout_for(self.app.size.width, show_tab)
        if columns != self.columns_shown:
            self.clear(columns=True)
            for name in columns:
                self.add_column(t(f"desk.col.{name}"), key=name)
            self.columns_shown = columns
        else:
            self.clear()
        self._by_key = {}
        target = 0
        for index, row in enumerate(window.rows):
            key = str(row.id)
            self._by_key[key] = row
            self.add_row(*cells(row, row.id in selection, columns), key=key)
            if row.id == keep:
                target = index
        if self.row_count:
            self.move_cursor(row=target, animate=False, scroll=True)
        self.filling = False
        self.check_edges()

    @property
    def current(self) -> OrderRow | None:
        if not self.row_count:
            return None
        return self.window.rows[self.cursor_row] if self.cursor_row < self.row_count else None

    def rows_between(self, start: int, end: int) -> list[OrderRow]:
        low, high = sorted((start, end))
        return self.window.rows[low : high + 1]

    def mark(self, selection: Selection) -> None:
        """Redraw the pick column after the selection changed."""
        if "mark" not in self.columns_shown:
            return
        for row in self.window.rows:
            picked = row.id in selection
            self.update_cell(str(row.id), "mark", cells(row, picked, ("mark",))[0])

    def watch_cursor_coordinate(self, old: Coordinate, new: Coordinate) -> None:
        super().watch_cursor_coordinate(old, new)
        if not self.filling:
            self.check_edges()

    def check_edges(self) -> None:
        row = self.cursor_row
        if self.window.has_after and row >= self.row_count - self.edge:
            self.post_message(self.NearEdge(forward=True))
        elif self.window.has_before and row < self.edge:
            self.post_message(self.NearEdge(forward=False))
