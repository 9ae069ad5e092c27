"""What the stock screen's lists read: one page of rows that match the filter, and how
many match.

`core.stock.levels.list_levels` and `core.stock.catalogue.list_skus` answer every row of
the org at once (they have no page or search of their own), and `core.stock.mapping.unmapped`
answers at most `limit` rows. So each read runs in a worker thread
(`OrderhubApp.in_background`), keeps the rows that match, and hands the screen one page
of them (the app's page size, as the desk's) with the count: a widget never holds more
than a page, and the full answer is dropped as soon as the page is cut from it. Reading
again for each page keeps what is shown fresh after a receipt elsewhere.

Matching is by words: every word of the filter must be in one of the row's texts (code,
name, warehouse, barcode, platform SKU, title), case-insensitively.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from core.actor import Actor
from core.app import App as CoreApp
from core.stock import catalogue, levels, mapping
from core.stock.catalogue import SkuInfo
from core.stock.levels import LevelInfo
from core.stock.mapping import UnmappedSku

R = TypeVar("R")
PAGE = 100  # rows a table holds at once, unless the app says otherwise
#: Unmapped platform SKUs asked of `mapping.unmapped` (most open orders first): the list
#: a person works through, not an export.
UNMAPPED_LIMIT = 1000


@dataclass(frozen=True)
class Query:
    text: str = ""
    warehouse: str | None = None  # levels: one warehouse, None for all
    low_first: bool = False  # levels: lowest available first
    offset: int = 0
    limit: int = PAGE


@dataclass(frozen=True)
class Shown(Generic[R]):
    rows: tuple[R, ...]
    offset: int  # of the first row among the matching ones
    total: int  # rows that match
    short: int = 0  # levels: matching rows with nothing available (available ≤ 0)
    capped: bool = False  # the service's limit was reached: there may be more
    costs: bool = False  # the catalogue: the reader sees cost prices (finance.view)

    @property
    def more(self) -> bool:
        return self.offset + len(self.rows) < self.total


def words(text: str) -> list[str]:
    return text.casefold().split()


def matching(rows: Iterable[R], wanted: Sequence[str], texts: Callable[[R], str]) -> list[R]:
    """The rows of which every word of `wanted` is in `texts(row)` (the row's texts joined
    by a NUL, which no word holds, so a word never matches across two of them). No words:
    every row, with no work per row — the list may hold 100,000 levels."""
    if not wanted:
        return list(rows)
    return [row for row in rows if _has_all(wanted, texts(row).casefold())]


def _has_all(wanted: Sequence[str], folded: str) -> bool:
    return all(word in folded for word in wanted)


def page_of(rows: list[R], query: Query, **extra: object) -> Shown[R]:
    """The page of `rows` (already filtered and ordered) that `query` asks for; an offset
    past the end (the list shrank since) gives the last page."""
    offset = max(0, min(query.offset, (max(len(rows) - 1, 0) // query.limit) * query.limit))
    page = tuple(rows[offset : offset + query.limit])
    return Shown(page, offset, len(rows), **extra)  # type: ignore[arg-type]


def read_levels(core: CoreApp, actor: Actor, query: Query) -> Shown[LevelInfo]:
    every = levels.list_levels(core, actor, warehouse=query.warehouse)
    found = matching(every, words(query.text), lambda lv: f"{lv.code}\0{lv.name}\0{lv.warehouse}")
    if query.low_first:
        found.sort(key=lambda lv: (lv.on_hand - lv.reserved, lv.warehouse, lv.code))
    short = sum(1 for lv in found if lv.on_hand <= lv.reserved)  # available ≤ 0
    return page_of(found, query, short=short)


def read_skus(core: CoreApp, actor: Actor, query: Query) -> Shown[SkuInfo]:
    every = catalogue.list_skus(core, actor)
    # the cost is None for every row, and only then, when the reader lacks finance.view
    costs = bool(every) and every[0].cost_fen is not None
    found = matching(every, words(query.text), lambda s: f"{s.code}\0{s.name}\0{s.barcode}")
    return page_of(found, query, costs=costs)


def read_unmapped(core: CoreApp, actor: Actor, query: Query) -> Shown[UnmappedSku]:
    every = mapping.unmapped(core, actor, limit=UNMAPPED_LIMIT)
    found = matching(
        every,
        words(query.text),
        lambda u: f"{u.platform_sku_id}\0{u.outer_id}\0{u.title}\0{u.platform}",
    )
    return page_of(found, query, capped=len(every) >= UNMAPPED_LIMIT)


READERS: dict[str, Callable[[CoreApp, Actor, Query], Shown[object]]] = {
    "levels": read_levels,  # type: ignore[dict-item]
    "skus": read_skus,  # type: ignore[dict-item]
    "unmapped": read_unmapped,  # type: ignore[dict-item]
}
