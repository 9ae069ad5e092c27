"""The desk's order table: the rows of the feed's window, picked rows marked.

It holds only the window (`feed.WINDOW` pages) and asks for the page beyond when the
cursor comes within `edge` rows (half a page) of either end (`OrderTable.NearEdge`): far
enough ahead that the read is done before the cursor gets there, near enough that after
the window moved the cursor lies outside both edges, so the window never swings back and
forth by itself. The screen reads the page and calls `show`, which keeps the cursor on
the same order and on the same line of the screen. Home and End go to the first and the
last order of the whole list (the screen's `first` and `last` actions). The extra
columns (carrier, shop) appear when the terminal has the room.

A Line API widget (`ScrollView.render_line`): only the lines in view are drawn, each
from the rows' plain cells (`tui.widgets.desk.lines`), and a drawn line is kept until its
row changes. The first line is the header, fixed while the rows scroll under it.
"""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from textual import events
from textual.binding import Binding
from textual.geometry import Size
from textual.message import Message
from textual.scroll_view import ScrollView
from textual.strip import Strip

from core.desk.listing import OrderRow
from tui.i18n import t
from tui.widgets.desk import lines
from tui.widgets.desk.feed import Window
from tui.widgets.desk.rows import COLUMNS, WIDE_COLUMNS, Cell, cells, plain
from tui.widgets.desk.selection import Selection

WIDE = 110  # terminal columns from which the extra columns are shown
HEADER = 1  # lines above the rows
SIDEWAYS = 8  # cells a left or right key scrolls


class OrderTable(ScrollView, can_focus=True):
    BINDINGS: ClassVar = [
        Binding("up", "cursor_up", show=False),
        Binding("down", "cursor_down", show=False),
        Binding("pageup", "page_up", show=False),
        Binding("pagedown", "page_down", show=False),
        Binding("home,ctrl+home", "screen.first", show=False),
        Binding("end,ctrl+end", "screen.last", show=False),
        Binding("enter", "open", show=False),
        Binding("left", "sideways(-1)", show=False),
        Binding("right", "sideways(1)", show=False),
    ]
    COMPONENT_CLASSES: ClassVar = {
        "order-table--header",
        "order-table--even-row",
        "order-table--cursor",
    }
    DEFAULT_CSS = """
    OrderTable {
        background: $surface;
        color: $foreground;
        &:focus {
            background-tint: $foreground 5%;
            & > .order-table--cursor {
                background: $block-cursor-background;
                color: $block-cursor-foreground;
                text-style: $block-cursor-text-style;
            }
        }
        & > .order-table--header {
            text-style: bold;
            background: $panel;
            color: $foreground;
        }
        &:dark > .order-table--even-row {
            background: $surface-darken-1 40%;
        }
        & > .order-table--even-row {
            background: $surface-lighten-1 50%;
        }
        & > .order-table--cursor {
            background: $block-cursor-blurred-background;
            color: $block-cursor-blurred-foreground;
            text-style: $block-cursor-blurred-text-style;
        }
    }
    """

    class NearEdge(Message):
        def __init__(self, forward: bool) -> None:
            super().__init__()
            self.forward = forward

    class Highlighted(Message):
        """The cursor is on another order (or on the same one after the rows changed)."""

    class Opened(Message):
        """Enter, or a click on the highlighted row: open that order."""

    def __init__(self, page_size: int, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.edge = max(1, page_size // 2)
        self.filling = False  # no edge is reported while the rows are replaced
        self.window = Window((), 0)
        self.columns_shown: tuple[str, ...] = ()
        self.cursor_row = 0
        self._rows: list[OrderRow] = []
        self._cells: list[tuple[Cell, ...]] = []
        self._widths: list[int] = []
        self._drawn: dict[tuple[int, int, bool], Strip] = {}  # (row, order id, cursor)
        self._styles: dict[str, Style] = {}

    # ------------------------------------------------------------ contents

    @property
    def row_count(self) -> int:
        return len(self._rows)

    def layout_for(self, width: int, show_tab: bool) -> tuple[str, ...]:
        names = [c for c in COLUMNS if show_tab or c != "tab"]
        return (*names, *WIDE_COLUMNS) if width >= WIDE else tuple(names)

    def show(
        self, window: Window, selection: Selection, *, show_tab: bool, keep: int | None = None
    ) -> None:
        """Show `window`, the cursor on order `keep` when it is there (else on row 0)."""
        self.filling = True
        old_row, old_scroll = self.cursor_row, int(self.scroll_y)
        columns = self.layout_for(self.app.size.width, show_tab)
        fresh = columns != self.columns_shown or keep is None
        self.window, self.columns_shown = window, columns
        self._rows = window.rows
        self._cells = [cells(row, row.id in selection, columns) for row in self._rows]
        headers = [t(f"desk.col.{name}") for name in columns]
        floor = () if fresh else self._widths
        self._widths = lines.widths_for(columns, headers, self._cells, floor)
        self._drawn.clear()
        self.virtual_size = Size(lines.line_width(self._widths), self.row_count + HEADER)
        target = next((i for i, row in enumerate(self._rows) if row.id == keep), 0)
        # The cursor stays on its line of the screen when its order moved in the window.
        scroll = 0 if keep is None else old_scroll + (target - old_row)
        self.cursor_row = target
        self._scroll_rows(max(scroll, 0))
        self._keep_cursor_in_view()
        self.refresh()
        self.filling = False
        self.post_message(self.Highlighted())
        # The page beyond is asked for once these rows are painted: read now, it would
        # take the processor from the drawing of the rows the operator is waiting for.
        self.call_after_refresh(self.check_edges)

    @property
    def current(self) -> OrderRow | None:
        if 0 <= self.cursor_row < self.row_count:
            return self._rows[self.cursor_row]
        return None

    def rows_between(self, start: int, end: int) -> list[OrderRow]:
        low, high = sorted((start, end))
        return self._rows[low : high + 1]

    def mark(self, selection: Selection) -> None:
        """Redraw the pick column after the selection changed."""
        if "mark" not in self.columns_shown:
            return
        at = self.columns_shown.index("mark")
        for index, row in enumerate(self._rows):
            mark = cells(row, row.id in selection, ("mark",))[0]
            if self._cells[index][at] != mark:
                self._cells[index] = (*self._cells[index][:at], mark, *self._cells[index][at + 1 :])
                self._forget(index)
        self.refresh()

    # ------------------------------------------------------------ the cursor

    @property
    def visible_rows(self) -> int:
        return max(1, self.scrollable_content_region.height - HEADER)

    def move_cursor(self, *, row: int, animate: bool = False, scroll: bool = True) -> None:
        """Put the cursor on `row` of the window (clamped), scrolled into view."""
        del animate  # the table never animates; kept for DataTable's call shape
        if not self._rows:
            return
        row = min(max(row, 0), self.row_count - 1)
        old = self.cursor_row
        self.cursor_row = row
        if scroll:
            self._keep_cursor_in_view()
        self._forget(old)
        self._forget(row)
        self.refresh()
        if row != old:
            self.post_message(self.Highlighted())
        if not self.filling:
            self.check_edges()

    def action_cursor_up(self) -> None:
        self.move_cursor(row=self.cursor_row - 1)

    def action_cursor_down(self) -> None:
        self.move_cursor(row=self.cursor_row + 1)

    def action_page_down(self) -> None:
        step = self.visible_rows
        self._scroll_rows(int(self.scroll_y) + step)
        self.move_cursor(row=self.cursor_row + step)

    def action_page_up(self) -> None:
        step = self.visible_rows
        self._scroll_rows(int(self.scroll_y) - step)
        self.move_cursor(row=self.cursor_row - step)

    def action_sideways(self, direction: int) -> None:
        """Left and right: the columns a narrow terminal cuts off, `SIDEWAYS` cells a step."""
        self.scroll_to(x=self.scroll_x + direction * SIDEWAYS, animate=False)

    def action_open(self) -> None:
        if self.current is not None:
            self.post_message(self.Opened())

    def on_click(self, event: events.Click) -> None:
        row = int(self.scroll_y) + event.y - HEADER
        if event.y < HEADER or not 0 <= row < self.row_count:
            return
        if row == self.cursor_row:
            self.action_open()
        else:
            self.move_cursor(row=row)

    def check_edges(self) -> None:
        row = self.cursor_row
        if self.window.has_after and row >= self.row_count - self.edge:
            self.post_message(self.NearEdge(forward=True))
        elif self.window.has_before and row < self.edge:
            self.post_message(self.NearEdge(forward=False))

    def _scroll_rows(self, top: int) -> None:
        highest = max(self.row_count - self.visible_rows, 0)
        self.scroll_to(y=min(max(top, 0), highest), animate=False, force=True)

    def _keep_cursor_in_view(self) -> None:
        top = int(self.scroll_y)
        if self.cursor_row < top:
            self._scroll_rows(self.cursor_row)
        elif self.cursor_row >= top + self.visible_rows:
            self._scroll_rows(self.cursor_row - self.visible_rows + 1)

    # ------------------------------------------------------------ drawing

    def notify_style_update(self) -> None:
        super().notify_style_update()
        self._styles.clear()
        self._drawn.clear()

    def on_focus(self) -> None:
        self._styles.clear()
        self._drawn.clear()

    def on_blur(self) -> None:
        self._styles.clear()
        self._drawn.clear()

    def _style(self, name: str) -> Style:
        if name not in self._styles:
            base = self.rich_style
            self._styles[name] = (
                base
                if name == "row"
                else base + self.get_component_rich_style(f"order-table--{name}", partial=True)
            )
        return self._styles[name]

    def _forget(self, row: int) -> None:
        for cursor in (False, True):
            if 0 <= row < self.row_count:
                self._drawn.pop((row, self._rows[row].id, cursor), None)

    def render_line(self, y: int) -> Strip:
        scroll_x, scroll_y = self.scroll_offset
        width = self.scrollable_content_region.width
        if y < HEADER:
            headers = tuple(plain(t(f"desk.col.{name}")) for name in self.columns_shown)
            strip = lines.draw(headers, self._widths, self._style("header"))
            style = self._style("header")
        else:
            row = scroll_y + y - HEADER
            if not 0 <= row < self.row_count:
                return Strip.blank(width, self._style("row"))
            strip = self._line(row)
            style = self._style(self._row_style_name(row))
        return strip.crop_extend(scroll_x, scroll_x + width, style)

    def _row_style_name(self, row: int) -> str:
        if row == self.cursor_row:
            return "cursor"
        # Stripes by place in the whole list, so they stay put when the window moves.
        place = row + (self.window.offset or 0)
        return "row" if place % 2 else "even-row"

    def _line(self, row: int) -> Strip:
        key = (row, self._rows[row].id, row == self.cursor_row)
        strip = self._drawn.get(key)
        if strip is None:
            base = self._style(self._row_style_name(row))
            strip = self._drawn[key] = lines.draw(self._cells[row], self._widths, base)
        return strip
