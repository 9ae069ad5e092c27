"""What the audit rules need beyond one order, loaded for a batch in set-based queries.

`core.auditing.engine` checks up to `engine.CHUNK` orders at a time; for each chunk it
asks here for their goods quantities, other stored copies of their numbers (duplicates)
and unshipped orders of the same shop and receiver (merge candidates) not already packed
together — a handful of indexed queries per chunk, never one per order. On PostgreSQL the
lists are bound as one array (`among`), so a statement psycopg prepares keeps a plan that
uses the index, as `core.orders.store` does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from core import bound_lists
from core.models import Order, OrderLine, Package, PackageLine, Shop, Sku
from core.orders import status as order_status
from core.stock.mapping import LineKey, components

ORDERS = Order.__table__
LINES = OrderLine.__table__
UNSHIPPED = (order_status.PENDING, order_status.AUDITED)


def quantities(session: Session, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    statement = (
        select(LINES.c.order_id, func.sum(LINES.c.quantity))
        .where(among(session, LINES.c.order_id, ids))
        .group_by(LINES.c.order_id)
    )
    return {order_id: int(total or 0) for order_id, total in session.execute(statement)}


def unmapped(session: Session, org_id: int, ids: list[int]) -> dict[int, list[str]]:
    """Order id → its lines' platform SKUs that map to no merchant SKU; {} for an org
    without a catalogue (no SKU at all), which the rule leaves alone."""
    catalogue = session.scalars(select(Sku.id).where(Sku.org_id == org_id).limit(1)).first()
    if not ids or catalogue is None:
        return {}
    lines = session.execute(
        select(LINES.c.order_id, Shop.platform, LINES.c.platform_sku_id, LINES.c.outer_id)
        .join(ORDERS, ORDERS.c.id == LINES.c.order_id)
        .join(Shop, Shop.id == ORDERS.c.shop_id)
        .where(among(session, LINES.c.order_id, ids))
    ).all()
    resolved = components(session, org_id, [LineKey(p, s, o) for _, p, s, o in lines])
    found: dict[int, list[str]] = {}
    for order_id, platform, sku_id, outer_id in lines:
        if resolved[LineKey(platform, sku_id, outer_id)] is None:
            found.setdefault(order_id, []).append(outer_id or sku_id or "?")
    return found


def duplicates(session: Session, org_id: int, rows: dict[int, Any]) -> dict[int, str]:
    """Order id → "shop <id> order <number>" of another stored copy of the same number."""
    numbers = list({r.platform_order_no for r in rows.values()})
    statement = select(ORDERS.c.id, ORDERS.c.shop_id, ORDERS.c.platform_order_no).where(
        # By (shop, number) among the org's shops: the unique index (the number alone
        # has none, and an org_id term would lure SQLite onto a scan of the org's orders).
        ORDERS.c.shop_id.in_(select(Shop.id).where(Shop.org_id == org_id).scalar_subquery()),
        among(session, ORDERS.c.platform_order_no, numbers),
    )
    by_number: dict[str, list[tuple[int, int]]] = defaultdict(list)
    for order_id, shop_id, number in session.execute(statement):
        by_number[number].append((order_id, shop_id))
    out = {}
    for order_id, row in rows.items():
        others = [s for i, s in by_number[row.platform_order_no] if i != order_id]
        if others:
            out[order_id] = f"shop {others[0]} #{row.platform_order_no}"
    return out


def mergeable(
    session: Session, org_id: int, rows: dict[int, Any]
) -> tuple[dict[int, list[str]], set[int]]:
    """Order id → numbers of other unshipped, not held orders of the same shop and
    receiver hash that do not already share a package with it; and the pending partners."""
    hashes = {r.receiver_hash for r in rows.values() if r.receiver_hash}
    if not hashes:
        return {}, set()
    shops = {r.shop_id for r in rows.values()}
    statement = select(
        ORDERS.c.id,
        ORDERS.c.shop_id,
        ORDERS.c.receiver_hash,
        ORDERS.c.platform_order_no,
        ORDERS.c.hub_status,
    ).where(
        ORDERS.c.org_id == org_id,
        among(session, ORDERS.c.shop_id, sorted(shops)),
        among(session, ORDERS.c.receiver_hash, sorted(hashes)),
        ORDERS.c.hub_status.in_(UNSHIPPED),
        ORDERS.c.on_hold.is_(False),
    )
    groups: dict[tuple[int, str], list[Any]] = defaultdict(list)
    for found in session.execute(statement):
        groups[(found.shop_id, found.receiver_hash)].append(found)
    members = [m.id for g in groups.values() if len(g) > 1 for m in g]
    together = packages(session, members)
    out: dict[int, list[str]] = {}
    partners: set[int] = set()
    for order_id, row in rows.items():
        group = groups.get((row.shop_id, row.receiver_hash), [])
        mine = together.get(order_id, set())
        others = [m for m in group if m.id != order_id and not (mine & together.get(m.id, set()))]
        if not others:
            continue
        # Partners are judged again too: a new arrival may make them mergeable, and an
        # order put on hold takes itself out of their group.
        partners |= {m.id for m in others if m.hub_status == order_status.PENDING}
        if not row.on_hold:
            out[order_id] = sorted(m.platform_order_no for m in others)
    return out, partners


def packages(session: Session, ids: list[int]) -> dict[int, set[int]]:
    """Order id → its live (not cancelled) packages, for orders already packed together."""
    if not ids:
        return {}
    statement = (
        select(PackageLine.order_id, PackageLine.package_id)
        .join(Package, Package.id == PackageLine.package_id)
        .where(among(session, PackageLine.order_id, ids), Package.status != "cancelled")
    )
    out: dict[int, set[int]] = defaultdict(set)
    for order_id, package_id in session.execute(statement):
        out[order_id].add(package_id)
    return out


def among(session: Session, column: Any, values: Sequence[Any]) -> ColumnElement[bool]:
    """`column IN values`, the values bound as one parameter (`core.bound_lists`)."""
    return bound_lists.among(column, session.get_bind().dialect.name, values=list(values))
