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

from collections.abc import Callable, Sequence
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


def matches(wanted: Sequence[str], *texts: str) -> bool:
    """Whether every word of `wanted` is in one of `texts`."""
    folded = [t.casefold() for t in texts]
    return all(any(w in t for t in folded) for w in wanted)


def page_of(rows: list[R], query: Query, **extra: object) -> Shown[R]:
    """The page of `rows` (already filtered and ordered) that `query` asks for; an offset
    past the end (the list shrank since) gives the last page."""
    offset = max(0, min(query.offset, (max(len(rows) - 1, 0) // query.limit) * query.limit))
    page = tuple(rows[offset : offset + query.limit])
    return Shown(page, offset, len(rows), **extra)  # type: ignore[arg-type]


def read_levels(core: CoreApp, actor: Actor, query: Query) -> Shown[LevelInfo]:
    wanted = words(query.text)
    found = [
        level
        for level in levels.list_levels(core, actor, warehouse=query.warehouse)
        if matches(wanted, level.code, level.name, level.warehouse)
    ]
    if query.low_first:
        found.sort(key=lambda lv: (lv.available, lv.warehouse, lv.code))
    short = sum(1 for level in found if level.available <= 0)
    return page_of(found, query, short=short)


def read_skus(core: CoreApp, actor: Actor, query: Query) -> Shown[SkuInfo]:
    wanted = words(query.text)
    every = catalogue.list_skus(core, actor)
    # the cost is None for every row, and only then, when the reader lacks finance.view
    costs = any(sku.cost_fen is not None for sku in every[:1])
    found = [sku for sku in every if matches(wanted, sku.code, sku.name, sku.barcode)]
    return page_of(found, query, costs=costs)


def read_unmapped(core: CoreApp, actor: Actor, query: Query) -> Shown[UnmappedSku]:
    wanted = words(query.text)
    every = mapping.unmapped(core, actor, limit=UNMAPPED_LIMIT)
    found = [
        u for u in every if matches(wanted, u.platform_sku_id, u.outer_id, u.title, u.platform)
    ]
    return page_of(found, query, capped=len(every) >= UNMAPPED_LIMIT)


READERS: dict[str, Callable[[CoreApp, Actor, Query], Shown[object]]] = {
    "levels": read_levels,  # type: ignore[dict-item]
    "skus": read_skus,  # type: ignore[dict-item]
    "unmapped": read_unmapped,  # type: ignore[dict-item]
}
