"""Reading stock: levels per warehouse and SKU (on hand, reserved, available) and the
proof that they equal the ledger (`verify`, what `orderhub stock verify` runs).

Both need `stock.view`. `list_levels` reads every level, or a page of them for a screen
(a text filter, one warehouse, only the levels at or below their low-stock threshold,
by warehouse and code or lowest available first, keyset `after` a row's key;
`core.stock.paging`), and `count_levels` counts what it would
answer. `verify` sums every level's moves in one grouped query and compares: a level
without moves, moves without a level, or any difference is reported with the
warehouse, the SKU and both numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, case, func, select, true, tuple_
from sqlalchemy.orm import Session

from core.accounts import authz
from core.actor import Actor
from core.app import App
from core.errors import ValidationError
from core.models import Sku, StockLevel, StockMove, Warehouse
from core.stock.paging import bad_key, check_limit, matches, words

ORDERS = ("warehouse", "available")


@dataclass(frozen=True)
class LevelInfo:
    warehouse: str
    code: str
    name: str
    on_hand: int
    reserved: int
    # The row's sort key in the order it was read: `after=` it reads the next page
    key: tuple[object, ...] = field(default=(), compare=False, repr=False)

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


@dataclass(frozen=True)
class LevelCount:
    total: int  # levels that match
    short: int  # of them, with nothing available (available ≤ 0)


@dataclass(frozen=True)
class Difference:
    warehouse: str
    code: str
    level: tuple[int, int]  # (on hand, reserved) as stored
    ledger: tuple[int, int]  # the sums of the moves


def _available() -> ColumnElement[int]:
    """On hand minus reserved, as ix_stock_levels_available holds it."""
    return StockLevel.on_hand - StockLevel.reserved


def list_levels(
    app: App,
    actor: Actor,
    *,
    warehouse: str | None = None,
    text: str = "",
    order: str = "warehouse",
    low: bool = False,
    after: tuple[object, ...] | None = None,
    limit: int | None = None,
) -> list[LevelInfo]:
    """The org's levels (of one `warehouse`, by name, when given) whose code, name or
    warehouse holds every word of `text` (with `low`: only those whose available is at
    or below their low-stock threshold, the ones `core.stock.lowstock` alerts about); at
    most `limit` of them (all when None), from the row after the key `after` (a row's
    `key`).

    `order="warehouse"` sorts by warehouse name, then code; `"available"` puts the
    lowest available first, ties in the order the levels' warehouses and SKUs were made
    (ids: the order `ix_stock_levels_available` holds, so a page is index ranges)."""
    if order not in ORDERS:
        raise ValidationError(f"order: one of {', '.join(ORDERS)}, not {order!r}", field="order")
    check_limit(limit)
    wanted = words(text)
    with app.tx() as session:
        authz.require(session, actor, "stock.view")
        houses = _warehouses(session, actor.org_id, warehouse)
        only = _low() if low else true()
        if order == "available":
            return _by_available(session, actor.org_id, houses, wanted, only, after, limit)
        return _by_warehouse(session, actor.org_id, houses, wanted, only, after, limit)


def count_levels(
    app: App, actor: Actor, *, warehouse: str | None = None, text: str = ""
) -> LevelCount:
    """How many levels `list_levels` answers for the same filter, and how many of them
    have nothing available. The warehouses are the org's (`_warehouses`), so counting by
    warehouse stays in the org."""
    wanted = words(text)
    with app.tx() as session:
        authz.require(session, actor, "stock.view")
        houses = _warehouses(session, actor.org_id, warehouse)
        if not houses:
            return LevelCount(0, 0)
        ids = [house_id for house_id, _ in houses]
        if wanted:  # one pass over the matching rows, counting both
            short_one = case((_available() <= 0, 1), else_=0)
            query = (
                select(func.count(), func.coalesce(func.sum(short_one), 0))
                .select_from(StockLevel)
                .join(Sku, Sku.id == StockLevel.sku_id)
                .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
                .where(StockLevel.org_id == actor.org_id, StockLevel.warehouse_id.in_(ids))
                .where(matches(wanted, Sku.code, Sku.name, Warehouse.name))
            )
            total, short = session.execute(query).one()
            return LevelCount(total, short)
        # no filter: two index-only counts, by org (or warehouse) and by available
        query = select(func.count()).select_from(StockLevel)
        if warehouse is None:
            query = query.where(StockLevel.org_id == actor.org_id)
        else:
            query = query.where(StockLevel.warehouse_id == ids[0])
        total = session.scalar(query) or 0
        short = session.scalar(
            select(func.count())
            .select_from(StockLevel)
            .where(StockLevel.warehouse_id.in_(ids), _available() <= 0)
        )
        return LevelCount(total, short or 0)


def _low() -> ColumnElement[bool]:
    """At or below the level's own low-stock threshold (none set: never low)."""
    return and_(StockLevel.low_stock.is_not(None), _available() <= StockLevel.low_stock)


def _warehouses(session: Session, org_id: int, name: str | None) -> list[tuple[int, str]]:
    """(id, name) of the org's warehouses (the one named `name`) in name order, as the
    database sorts names."""
    query = select(Warehouse.id, Warehouse.name).where(Warehouse.org_id == org_id)
    if name is not None:
        query = query.where(Warehouse.name == name.strip())
    return [(i, n) for i, n in session.execute(query.order_by(Warehouse.name))]


def _columns() -> tuple[ColumnElement[object], ...]:
    return (
        Warehouse.name,
        Sku.code,
        Sku.name,
        StockLevel.on_hand,
        StockLevel.reserved,
        StockLevel.warehouse_id,
        StockLevel.sku_id,
    )


def _by_warehouse(
    session: Session,
    org_id: int,
    houses: list[tuple[int, str]],
    wanted: list[str],
    only: ColumnElement[bool],
    after: tuple[object, ...] | None,
    limit: int | None,
) -> list[LevelInfo]:
    """Warehouse by warehouse in name order, each a walk of the SKUs' (org, code) index
    with its level found by the (warehouse, SKU) unique index: a page is one query, two
    where it crosses from one warehouse to the next."""
    start_name, start_code = None, None
    if after is not None:
        if len(after) != 2 or not all(isinstance(part, str) for part in after):
            raise bad_key(after)
        start_name, start_code = after
    names = [name for _, name in houses]
    if start_name in names:  # the database's order of names, whatever its collation
        houses = houses[names.index(start_name) :]
    elif start_name is not None:  # renamed since: the nearest guess
        houses = [(i, name) for i, name in houses if name > start_name]
    found: list[LevelInfo] = []
    for house_id, house_name in houses:
        query = (
            select(*_columns())
            .select_from(Sku)
            .join(StockLevel, (StockLevel.sku_id == Sku.id) & (StockLevel.warehouse_id == house_id))
            .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
            .where(Sku.org_id == org_id, StockLevel.org_id == org_id)
            .where(matches(wanted, Sku.code, Sku.name, Warehouse.name), only)
            .order_by(Sku.code)
        )
        if house_name == start_name:
            query = query.where(Sku.code > start_code)
        if limit is not None:
            query = query.limit(limit - len(found))
        found += [
            LevelInfo(w, c, n, on_hand, reserved, (w, c))
            for w, c, n, on_hand, reserved, _, _ in session.execute(query)
        ]
        if limit is not None and len(found) >= limit:
            break
    return found


def _by_available(
    session: Session,
    org_id: int,
    houses: list[tuple[int, str]],
    wanted: list[str],
    only: ColumnElement[bool],
    after: tuple[object, ...] | None,
    limit: int | None,
) -> list[LevelInfo]:
    """Lowest available first, ties by warehouse id then SKU id: each warehouse's rows
    past the key are one range of `ix_stock_levels_available` (warehouse, available,
    SKU), read up to a page and merged — a query per warehouse, never a sort of them all."""
    if after is not None and (len(after) != 3 or not all(type(part) is int for part in after)):
        raise bad_key(after)
    found: list[LevelInfo] = []
    for house_id, _ in houses:
        query = (
            select(*_columns(), _available())
            .select_from(StockLevel)
            .join(Sku, Sku.id == StockLevel.sku_id)
            .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
            .where(StockLevel.warehouse_id == house_id, StockLevel.org_id == org_id)
            .where(matches(wanted, Sku.code, Sku.name, Warehouse.name), only)
            .order_by(_available(), StockLevel.sku_id)
        )
        if after is not None:
            query = query.where(_past(house_id, *after))  # type: ignore[arg-type]
        if limit is not None:
            query = query.limit(limit)
        found += [
            LevelInfo(w, c, n, on_hand, reserved, (available, house, sku))
            for w, c, n, on_hand, reserved, house, sku, available in session.execute(query)
        ]
    found.sort(key=lambda level: level.key)  # type: ignore[arg-type, return-value]
    return found if limit is None else found[:limit]


def _past(house_id: int, available: int, after_house: int, after_sku: int) -> ColumnElement[bool]:
    """The rows of warehouse `house_id` after the key (available, warehouse, SKU)."""
    if house_id > after_house:
        return _available() >= available
    if house_id < after_house:
        return _available() > available
    # the first condition lets the index start its range at the key
    edge = tuple_(_available(), StockLevel.sku_id) > tuple_(available, after_sku)
    return and_(_available() >= available, edge)


def verify(app: App, actor: Actor) -> list[Difference]:
    """Every level of the org against the sum of its moves; [] when all agree."""
    with app.tx() as session:
        authz.require(session, actor, "stock.view")
        sums = {
            (w, s): (on_hand, reserved)
            for w, s, on_hand, reserved in session.execute(
                select(
                    StockMove.warehouse_id,
                    StockMove.sku_id,
                    func.coalesce(func.sum(StockMove.on_hand_delta), 0),
                    func.coalesce(func.sum(StockMove.reserved_delta), 0),
                )
                .where(StockMove.org_id == actor.org_id)
                .group_by(StockMove.warehouse_id, StockMove.sku_id)
            )
        }
        stored = {
            (w, s): (on_hand, reserved)
            for w, s, on_hand, reserved in session.execute(
                select(
                    StockLevel.warehouse_id,
                    StockLevel.sku_id,
                    StockLevel.on_hand,
                    StockLevel.reserved,
                ).where(StockLevel.org_id == actor.org_id)
            )
        }
        names = dict(
            session.execute(
                select(Warehouse.id, Warehouse.name).where(Warehouse.org_id == actor.org_id)
            ).all()
        )
        codes = dict(
            session.execute(select(Sku.id, Sku.code).where(Sku.org_id == actor.org_id)).all()
        )
        differences = []
        for key in sorted(set(sums) | set(stored)):
            level, moved = stored.get(key, (0, 0)), sums.get(key, (0, 0))
            if level != moved:
                w, s = key
                differences.append(
                    Difference(names.get(w, str(w)), codes.get(s, str(s)), level, moved)
                )
        return differences
