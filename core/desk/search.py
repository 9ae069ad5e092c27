"""Searching the org's orders with the desk's filter language: pages, sorting, tab counts.

`search_orders` answers one page of `OrderRow`s and opaque cursors for the pages after and
before it. Paging is by keyset — a cursor holds a row's sort value and id, not an offset —
so a page never repeats or skips a row when orders arrive meanwhile, and page 1,000 costs
what page 1 does. It runs both ways: `before=` a page's `prev_cursor` answers the page just
before it and `last=True` the last page, so a screen scrolling through 100,000 orders holds
only the few pages in view and jumps to the end without reading what lies between.

Rows without the sort value (an order without a payment time) come after all the others,
in id order: the query runs in two phases, each an index range, instead of sorting NULLs
in SQL (which no index of either backend serves the same way); backwards, the phases run
in reverse.

A cursor is signed with a keyed hash of the installation's key and tied to the filter and
sort it was made for, so an edited, damaged or borrowed cursor is refused with a clear
error instead of silently jumping somewhere.

`count_tabs` counts every tab (the split of `core.desk.predicates.tab_clause`) in one
grouped query. Everything here needs `order.view` and sees only the actor's org.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import ColumnElement, Integer, Row, Select, bindparam, func, select, tuple_
from sqlalchemy.orm import InstrumentedAttribute, Session

from core import clock
from core.accounts import authz
from core.actor import Actor
from core.app import App
from core.crypto import Keyring
from core.db import plain_connection
from core.desk import predicates
from core.desk.listing import OrderRow, order_rows
from core.desk.query import TABS, Query, Term, parse
from core.errors import ValidationError
from core.models import Order

DEFAULT_PAGE = 100
MAX_PAGE = 1000
DEFAULT_SORT = "paid"
SORT_COLUMNS: dict[str, InstrumentedAttribute] = {
    "paid": Order.paid_at,
    "created": Order.created_at_platform,
    "due": Order.promised_ship_by,
    "id": Order.id,
}
_CURSOR_PURPOSE = "desk_cursor"
_CURSOR_VERSION = 1


@dataclass(frozen=True)
class Page:
    rows: tuple[OrderRow, ...]
    next_cursor: str | None  # None on the last page
    query: str  # the filter in canonical form
    prev_cursor: str | None = None  # None on the first page (and on a page read from the start)


@dataclass(frozen=True)
class TabCounts:
    counts: dict[str, int]  # every tab of core.desk.query.TABS, in that order
    total: int


def as_query(query: str | Query | None) -> Query:
    return query if isinstance(query, Query) else _parse(query or "")


#: Parsing a typical filter costs ≈ 0.2 ms and API clients repeat their filters; a `Query`
#: is immutable, so one parse serves every request with the same text (errors are not kept).
_parse = lru_cache(maxsize=1024)(parse)


def search_orders(
    app: App,
    actor: Actor,
    query: str | Query | None = "",
    *,
    after: str | None = None,
    before: str | None = None,
    last: bool = False,
    limit: int | None = None,
) -> Page:
    """One page of the org's orders matching `query`: the first, the one after `after` (a
    page's `next_cursor`), the one before `before` (a page's `prev_cursor`) or, with
    `last`, the last. The page size is `limit`, else the query's `limit:`, else 100."""
    found = as_query(query)
    size = limit if limit is not None else (found.limit or DEFAULT_PAGE)
    if not 1 <= size <= MAX_PAGE:
        raise ValidationError(f"limit: a page holds 1 to {MAX_PAGE} orders", field="limit")
    if (after is not None) + (before is not None) + last > 1:
        raise ValidationError("give at most one of after, before and last", field="cursor")
    with app.tx() as session:
        authz.require(session, actor, "order.view")
        scope = predicates.Scope(actor.org_id, app.keyring, clock.now())
        if before is not None or last:
            keys = _keys_before(session, scope, found, before, size)
            newer, older = before is not None, keys.more
        else:
            keys = _keys_after(session, scope, found, after, size)
            newer, older = keys.more, after is not None
        ids = [i for i, _ in keys.page]
        rows = order_rows(session, actor.org_id, ids)
    return Page(
        tuple(rows),
        keys.cursor_at(-1) if newer and keys.page else None,
        found.format(),
        keys.cursor_at(0) if older and keys.page else None,
    )


def count_tabs(app: App, actor: Actor, query: str | Query | None = "") -> TabCounts:
    """How many of the org's orders matching `query` are in each tab."""
    found = as_query(query)
    with app.tx() as session:
        authz.require(session, actor, "order.view")
        scope = predicates.Scope(actor.org_id, app.keyring, clock.now())
        stmt = (
            select(Order.hub_status, Order.on_hold, Order.in_exception, func.count())
            .where(*predicates.where(found, scope))
            .group_by(Order.hub_status, Order.on_hold, Order.in_exception)
        )
        counts = dict.fromkeys(TABS, 0)
        for hub_status, on_hold, in_exception, number in session.execute(stmt):
            tab = predicates.tab_of(hub_status, bool(on_hold), bool(in_exception))
            counts[tab] = counts.get(tab, 0) + number
    return TabCounts(counts, sum(counts.values()))


def matching_numbers(app: App, actor: Actor, query: str | Query, *, most: int) -> list[str]:
    """Order numbers of every org order matching `query` (`order.view`), for acting on
    "all of this filter" by number: at most `most`, else a ValidationError asking for a
    narrower filter — never a silent cut. A number two shops share is written
    `SHOP_ID:NUMBER`, as the services that take numbers accept it."""
    found = as_query(query)
    with app.tx() as session:
        authz.require(session, actor, "order.view")
        ids = matching_ids(session, actor, app.keyring, found, limit=most + 1)
        if len(ids) > most:
            raise ValidationError(
                f"filter: more than {most} orders match {found.format()!r}; narrow it",
                field="filter",
            )
        rows = session.execute(
            select(Order.platform_order_no, Order.shop_id).where(Order.id.in_(ids))
        ).all()
    seen: dict[str, int] = {}
    for number, _ in rows:
        seen[number] = seen.get(number, 0) + 1
    return sorted(n if seen[n] == 1 else f"{shop}:{n}" for n, shop in rows)


def matching_ids(
    session: Session, actor: Actor, keyring: Keyring, query: str | Query, *, limit: int
) -> list[int]:
    """Ids of the org's orders matching `query`, in id order, at most `limit`: for a
    service that acts on "every order of this filter" (tags, approval) inside its own
    transaction, after checking its own permission."""
    scope = predicates.Scope(actor.org_id, keyring, clock.now())
    stmt = select(Order.id).where(*predicates.where(as_query(query), scope)).order_by(Order.id)
    return list(session.scalars(stmt.limit(limit)))


# ---------------------------------------------------------------- keyset paging


@dataclass(frozen=True)
class _Keys:
    """One page of (id, sort value) in list order, and whether rows lie beyond it."""

    page: list[tuple[int, object]]
    more: bool
    keyring: Keyring
    fingerprint: str
    by_id: bool

    def cursor_at(self, index: int) -> str:
        """The cursor of the page's row `index`: `after=` it reads on, `before=` it goes back."""
        row_id, value = self.page[index]
        phase = 1 if value is None and not self.by_id else 0
        return _write_cursor(self.keyring, self.fingerprint, phase, value, row_id)


def page_ids(
    session: Session, scope: predicates.Scope, query: Query, after: str | None, size: int
) -> tuple[list[int], str | None]:
    """Ids of one page and the cursor after it (None when nothing follows)."""
    keys = _keys_after(session, scope, query, after, size)
    cursor = keys.cursor_at(-1) if keys.more and keys.page else None
    return [i for i, _ in keys.page], cursor


def _keys_after(
    session: Session, scope: predicates.Scope, query: Query, after: str | None, size: int
) -> _Keys:
    """Rows with the sort value first (by value, then id), then those without it (by id)."""
    sort = query.sort or DEFAULT_SORT
    descending, key = sort.startswith("-"), sort.lstrip("-")
    fingerprint = _fingerprint(scope.keyring, query, sort)
    phase, last_value, last_id = (0, None, None)
    if after:
        phase, last_value, last_id = _read_cursor(scope.keyring, after, fingerprint)
    found: list[tuple[int, object]] = []
    if phase == 0:
        rows = _run_phase(session, scope, query, key, descending, True, last_value, last_id, size)
        found = [(r[0], r[1]) for r in rows]
        if len(found) <= size and _may_be_empty(query, sort):
            phase, last_id = 1, None
    if phase == 1:
        more = _run_phase(
            session, scope, query, key, descending, False, None, last_id, size - len(found)
        )
        found += [(r[0], None) for r in more]
    by_id = key == "id"
    return _Keys(found[:size], len(found) > size, scope.keyring, fingerprint, by_id)


def _keys_before(
    session: Session, scope: predicates.Scope, query: Query, before: str | None, size: int
) -> _Keys:
    """`_keys_after` walked backwards from `before` (from the end when None): the rows
    without the sort value last-first, then those with it; answered in list order."""
    sort = query.sort or DEFAULT_SORT
    descending, key = sort.startswith("-"), sort.lstrip("-")
    fingerprint = _fingerprint(scope.keyring, query, sort)
    by_id = key == "id"
    phase, mark_value, mark_id = (0 if by_id or not _may_be_empty(query, sort) else 1, None, None)
    if before:
        phase, mark_value, mark_id = _read_cursor(scope.keyring, before, fingerprint)
    found: list[tuple[int, object]] = []
    if phase == 1:
        rows = _run_phase(session, scope, query, key, not descending, False, None, mark_id, size)
        found = [(r[0], None) for r in rows]
        if len(found) <= size:
            phase, mark_id = 0, None
    if phase == 0:
        more = _run_phase(
            session,
            scope,
            query,
            key,
            not descending,
            True,
            mark_value,
            mark_id,
            size - len(found),
        )
        found += [(r[0], r[1]) for r in more]
    page = list(reversed(found[:size]))
    return _Keys(page, len(found) > size, scope.keyring, fingerprint, by_id)


def _run_phase(
    session: Session,
    scope: predicates.Scope,
    query: Query,
    key: str,
    descending: bool,
    valued: bool,
    mark_value: object,
    mark_id: int | None,
    size: int,
) -> Sequence[Row]:
    """At most `size + 1` rows (id, sort value) of one phase, walking `descending` or not,
    past the mark (`mark_id`, and `mark_value` when `valued`) when there is one.

    A `predicates.reusable` filter's statement is built once per process (`_shared_phase`,
    an LRU keyed by the filter's terms and the phase's shape) with the org, the mark and
    the size as bind parameters: building it took longer than SQLite running it. A filter
    that depends on the time or the keyring is built for each request."""
    marked = mark_id is not None
    params: dict[str, object] = {"size": size + 1}
    if marked:
        params["mark_id"] = mark_id
        if valued:
            params["mark_value"] = _mark_value(key, mark_value)
    if predicates.reusable(query):
        stmt = _shared_phase(query.terms, key, descending, valued, marked)
        params["org"] = scope.org_id
    else:
        stmt = _phase_select(predicates.where(query, scope), key, descending, valued, marked)
    return plain_connection(session).execute(stmt, params).all()


@lru_cache(maxsize=512)
def _shared_phase(
    terms: tuple[Term, ...], key: str, descending: bool, valued: bool, marked: bool
) -> Select:
    where = predicates.shared_where(Query(terms))
    return _phase_select(where, key, descending, valued, marked)


def _may_be_empty(query: Query, sort: str) -> bool:
    """Whether an order without the sort value may match: not when sorting by id, nor
    when a term that holds only for a set value (`paid:>…` with `sort:paid`) is there."""
    key = sort.lstrip("-")
    return key != "id" and not any(t.key == key and not t.negated for t in query.terms)


def _phase_select(
    clauses: list[ColumnElement[bool]], key: str, descending: bool, valued: bool, marked: bool
) -> Select:
    """One phase's statement, with the bind parameters `size` (rows to read) and, when
    `marked`, `mark_id` (and `mark_value` when `valued`): the rows after the mark."""
    column = SORT_COLUMNS[key]
    mark_id = bindparam("mark_id", type_=Order.id.type)
    if column is Order.id or not valued:
        order = (Order.id.desc(),) if descending else (Order.id,)
        if column is Order.id:
            stmt = select(Order.id, Order.id).where(*clauses).order_by(*order)
        else:
            stmt = select(Order.id, column).where(*clauses, column.is_(None)).order_by(*order)
    else:
        order = (column.desc(), Order.id.desc()) if descending else (column, Order.id)
        stmt = select(Order.id, column).where(*clauses, column.is_not(None)).order_by(*order)
    if marked and valued:
        edge = tuple_(column, Order.id)
        mark = tuple_(bindparam("mark_value", type_=column.type), mark_id)
        stmt = stmt.where(edge < mark if descending else edge > mark)
    elif marked:
        stmt = stmt.where(Order.id < mark_id if descending else Order.id > mark_id)
    return stmt.limit(bindparam("size", type_=Integer))


def _mark_value(key: str, value: object) -> object:
    """The cursor's value as the column's bind parameter takes it (UTC times as stored)."""
    return value if key == "id" else datetime.fromisoformat(str(value))


def _fingerprint(keyring: Keyring, query: Query, sort: str) -> str:
    """Ties a cursor to the filter and sort it was made for (the page size may change)."""
    unpaged = Query(query.terms, sort, None).format()
    return keyring.keyed_hash(unpaged, _CURSOR_PURPOSE)[:16]


def _write_cursor(
    keyring: Keyring, fingerprint: str, phase: int, value: object, last_id: int
) -> str:
    if isinstance(value, datetime):
        value = clock.as_utc(value).isoformat()
    body = json.dumps([_CURSOR_VERSION, fingerprint, phase, value, last_id], separators=(",", ":"))
    encoded = base64.urlsafe_b64encode(body.encode()).decode().rstrip("=")
    return encoded + "." + keyring.keyed_hash(encoded, _CURSOR_PURPOSE)[:22]


def _read_cursor(keyring: Keyring, cursor: str, fingerprint: str) -> tuple[int, object, int]:
    damaged = ValidationError(
        "cursor: not a cursor this list gave out (damaged or edited); start from the first page",
        field="cursor",
    )
    encoded, _, signature = cursor.strip().partition(".")
    if len(cursor) > 400 or not encoded or not cursor.isascii():
        raise damaged
    if keyring.keyed_hash(encoded, _CURSOR_PURPOSE)[:22] != signature:
        raise damaged
    try:
        body = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        version, made_for, phase, value, last_id = json.loads(body)
    except (ValueError, TypeError, binascii.Error):
        raise damaged from None
    if version != _CURSOR_VERSION or phase not in (0, 1) or type(last_id) is not int:
        raise damaged
    if made_for != fingerprint:
        raise ValidationError(
            "cursor: it belongs to another filter or sort; start from the first page",
            field="cursor",
        )
    return phase, value, last_id
