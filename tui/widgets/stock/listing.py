"""What the stock screen's lists read: one page of rows that match the filter, and how
many match.

Levels and the catalogue are paged by their services: `core.stock.levels.list_levels`
and `core.stock.catalogue.list_skus` answer the page after a row's sort key (keyset,
`Query.after`) for the filter (code, name and warehouse or barcode words), so a page, a
filter and the lowest-first order read one page, not the list; the counts
(`count_levels`, `count_skus`) are separate queries, asked again only when the screen
says so (`Query.counted` None: a new filter, a refresh), not on every page turn.
`core.stock.mapping.unmapped` answers at most `UNMAPPED_LIMIT` rows, filtered and cut
here (`Query.offset`). Each read runs in a worker thread (`OrderhubApp.in_background`)
and hands the screen one page (the app's page size, as the desk's).
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
class Counted:
    total: int  # rows that match
    short: int = 0  # levels: matching rows with nothing available (available ≤ 0)


@dataclass(frozen=True)
class Query:
    text: str = ""
    warehouse: str | None = None  # levels: one warehouse, None for all
    low_first: bool = False  # levels: lowest available first
    offset: int = 0  # of the page's first row among the matching ones
    limit: int = PAGE
    after: object = None  # levels, catalogue: the sort key of the row before the page
    counted: Counted | None = None  # the counts read with an earlier page: not again


@dataclass(frozen=True)
class Shown(Generic[R]):
    rows: tuple[R, ...]
    offset: int  # of the first row among the matching ones
    total: int  # rows that match
    short: int = 0  # levels: matching rows with nothing available (available ≤ 0)
    capped: bool = False  # the service's limit was reached: there may be more
    costs: bool = False  # the catalogue: the reader sees cost prices (finance.view)
    more: bool = False  # rows follow the page
    next_after: object = None  # the `after` of the next page

    @property
    def counted(self) -> Counted:
        return Counted(self.total, self.short)


def words(text: str) -> list[str]:
    return text.casefold().split()


def matching(rows: Iterable[R], wanted: Sequence[str], texts: Callable[[R], str]) -> list[R]:
    """The rows of which every word of `wanted` is in `texts(row)` (the row's texts joined
    by a NUL, which no word holds, so a word never matches across two of them), for the
    unmapped list, which has no search of its own. No words: every row."""
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
    more = offset + len(page) < len(rows)
    return Shown(page, offset, len(rows), more=more, **extra)  # type: ignore[arg-type]


def read_levels(core: CoreApp, actor: Actor, query: Query) -> Shown[LevelInfo]:
    order = "available" if query.low_first else "warehouse"
    after = query.after if isinstance(query.after, tuple) else None
    found = levels.list_levels(
        core,
        actor,
        warehouse=query.warehouse,
        text=query.text,
        order=order,
        after=after,
        limit=query.limit + 1,
    )
    counted = query.counted
    if counted is None:
        count = levels.count_levels(core, actor, warehouse=query.warehouse, text=query.text)
        counted = Counted(count.total, count.short)
    page = tuple(found[: query.limit])
    return Shown(
        page,
        query.offset,
        counted.total,
        short=counted.short,
        more=len(found) > query.limit,
        next_after=page[-1].key if page else None,
    )


def read_skus(core: CoreApp, actor: Actor, query: Query) -> Shown[SkuInfo]:
    after = query.after if isinstance(query.after, str) else None
    found = catalogue.list_skus(core, actor, text=query.text, after=after, limit=query.limit + 1)
    counted = query.counted
    if counted is None:
        counted = Counted(catalogue.count_skus(core, actor, text=query.text))
    page = tuple(found[: query.limit])
    return Shown(
        page,
        query.offset,
        counted.total,
        # the cost is None for every row, and only then, when the reader lacks finance.view
        costs=bool(page) and page[0].cost_fen is not None,
        more=len(found) > query.limit,
        next_after=page[-1].code if page else None,
    )


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
