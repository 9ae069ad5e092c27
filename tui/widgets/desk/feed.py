"""The window of keyset pages behind the desk's table: a few pages in memory, never more.

The table shows `WINDOW` pages at most. Scrolling past either edge reads the page beyond it
(`core.desk.search.search_orders` with `after=` or `before=`) and lets the farthest page
go, so memory stays flat through 100,000 orders; End reads the last page directly
(`last=True`). Pages need not be the same size: after a jump the screen reads one
screenful first and the rest as the cursor's neighbourhood fills. `offset` is the
position of the window's first row in the whole list when it is known (counted from the
start, or back from the end with the tab's count).

Plain Python over a `fetch` function, so the screen runs it in a thread and tests run it
without a terminal.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from core.desk.listing import OrderRow
from core.desk.search import Page

WINDOW = 3

#: fetch(after=, before=, last=) → one page of the current filter.
Fetch = Callable[..., Page]


@dataclass(frozen=True)
class Window:
    pages: tuple[Page, ...]
    offset: int | None  # index of the first row in the whole list, when known

    @property
    def rows(self) -> list[OrderRow]:
        return [row for page in self.pages for row in page.rows]

    @property
    def has_before(self) -> bool:
        return bool(self.pages) and self.pages[0].prev_cursor is not None

    @property
    def has_after(self) -> bool:
        return bool(self.pages) and self.pages[-1].next_cursor is not None


def first(fetch: Fetch) -> Window:
    return Window((fetch(),), 0)


def last(fetch: Fetch, total: int) -> Window:
    page = fetch(last=True)
    return Window((page,), max(total - len(page.rows), 0))


def forward(fetch: Fetch, window: Window) -> Window:
    """The window moved one page on (itself when nothing follows)."""
    if not window.has_after:
        return window
    page = fetch(after=window.pages[-1].next_cursor)
    pages = (*window.pages, page)
    dropped = pages[: max(len(pages) - WINDOW, 0)]
    offset = None if window.offset is None else window.offset + sum(len(p.rows) for p in dropped)
    return Window(pages[len(dropped) :], offset)


def backward(fetch: Fetch, window: Window) -> Window:
    """The window moved one page back (itself when nothing comes before)."""
    if not window.has_before:
        return window
    page = fetch(before=window.pages[0].prev_cursor)
    pages = (page, *window.pages)[:WINDOW]
    offset = None if window.offset is None else max(window.offset - len(page.rows), 0)
    if page.prev_cursor is None:
        offset = 0
    return Window(pages, offset)
