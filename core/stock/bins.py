"""库位: where each SKU lies in each warehouse (A-01-03 …), one bin per SKU and warehouse.

The bin is printed on the pick list (拣货单), which sorts by it, and on the goods lines of
packing slips and labels, for the warehouse of each order (core.printing.documents reads
`bins_of`). Bins compare in natural order (`core.templates.natural_key`: A-2 before
A-10). Setting one needs `stock.adjust` (audited); an empty bin removes the SKU's bin
there. Listing needs `stock.view`. A file of code and bin sets many at once
(core.stock.bins_file).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import delete, select, tuple_
from sqlalchemy.orm import Session

from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.bound_lists import among
from core.errors import ValidationError
from core.models import Order, Shop, Sku, SkuBin, Warehouse
from core.stock.catalogue import clean_code, sku_by_code
from core.stock.mapping import LineKey, components
from core.stock.warehouses import of_orders, warehouse_named
from core.templates import natural_key

MAX_BIN = 32  # SkuBin.bin
CHUNK = 400  # (warehouse, SKU) pairs per query


@dataclass(frozen=True)
class BinInfo:
    warehouse: str
    code: str
    name: str
    bin: str  # "" once removed


def clean_bin(text: str, field: str = "bin") -> str:
    """A bin as stored: spacing collapsed, at most `MAX_BIN` characters, no control
    characters ("" removes a bin)."""
    found = " ".join((text or "").split())
    if len(found) > MAX_BIN or any(ord(c) < 32 for c in found):
        raise ValidationError(
            f"a bin is at most {MAX_BIN} characters without control characters, not {text!r}",
            field=field,
        )
    return found


def set_bin(
    app: App, actor: Actor, code: str, bin: str, *, warehouse: str | None = None
) -> BinInfo:
    """SKU `code` lies in `bin` of `warehouse` (the default when None); "" removes it."""
    code, place = clean_code(code), clean_bin(bin)
    with app.tx() as session:
        authz.require(session, actor, "stock.adjust")
        house = warehouse_named(session, actor.org_id, warehouse)
        sku = sku_by_code(session, actor.org_id, code)
        before = store_bins(session, actor.org_id, house.id, {sku.id: place}).get(sku.id, "")
        audit.record(
            session,
            "sku.bin",
            actor=actor,
            target_type="sku",
            target_id=sku.id,
            before={"warehouse": house.name, "bin": before},
            after={"warehouse": house.name, "bin": place},
        )
        return BinInfo(house.name, sku.code, sku.name, place)


def list_bins(app: App, actor: Actor, *, warehouse: str | None = None) -> list[BinInfo]:
    """Every bin set, by warehouse and then in the order a picker walks them."""
    with app.tx() as session:
        authz.require(session, actor, "stock.view")
        query = (
            select(Warehouse.name, Sku.code, Sku.name, SkuBin.bin)
            .join(Warehouse, Warehouse.id == SkuBin.warehouse_id)
            .join(Sku, Sku.id == SkuBin.sku_id)
            .where(SkuBin.org_id == actor.org_id)
        )
        if warehouse is not None:
            query = query.where(
                SkuBin.warehouse_id == warehouse_named(session, actor.org_id, warehouse).id
            )
        found = [BinInfo(*row) for row in session.execute(query)]
    found.sort(key=lambda b: (b.warehouse, natural_key(b.bin), b.code))
    return found


def store_bins(
    session: Session, org_id: int, warehouse_id: int, bins: dict[int, str]
) -> dict[int, str]:
    """Set SKU id → bin in one warehouse ("" removes it); the bins they had before."""
    dialect = session.get_bind().dialect.name  # one parameter for a file's worth of SKUs
    query = select(SkuBin).where(
        SkuBin.warehouse_id == warehouse_id, among(SkuBin.sku_id, dialect, values=list(bins))
    )
    rows = {row.sku_id: row for row in session.scalars(query)}
    before = {sku_id: row.bin for sku_id, row in rows.items()}
    cleared = [sku for sku, place in bins.items() if not place and sku in rows]
    if cleared:
        session.execute(
            delete(SkuBin).where(
                SkuBin.warehouse_id == warehouse_id, among(SkuBin.sku_id, dialect, values=cleared)
            )
        )
    for sku_id, place in bins.items():
        if not place:
            continue
        if sku_id in rows:
            rows[sku_id].bin = place
        else:
            session.add(SkuBin(org_id=org_id, warehouse_id=warehouse_id, sku_id=sku_id, bin=place))
    session.flush()
    return before


def bins_of(session: Session, keys: Iterable[tuple[int, int]]) -> dict[tuple[int, int], str]:
    """(warehouse id, SKU id) → bin, for the pairs of `keys` that have one (a query per
    `CHUNK` pairs)."""
    wanted = sorted(set(keys))
    found: dict[tuple[int, int], str] = {}
    for start in range(0, len(wanted), CHUNK):
        chunk = wanted[start : start + CHUNK]
        rows = session.execute(
            select(SkuBin.warehouse_id, SkuBin.sku_id, SkuBin.bin).where(
                tuple_(SkuBin.warehouse_id, SkuBin.sku_id).in_(chunk)
            )
        )
        found.update({(w, s): b for w, s, b in rows})
    return found


def line_bins(session: Session, orders: Iterable[Order]) -> dict[tuple[int, int], str]:
    """(order id, line number) → the bin of the line's merchant SKU in the order's
    warehouse; a bundle's bins joined by "/" in natural order. Lines without a mapped
    SKU or a bin are left out. A handful of queries, whatever the number of orders."""
    orders = list(orders)
    houses = of_orders(session, orders)
    if not houses:
        return {}
    platforms = dict(
        session.execute(
            select(Shop.id, Shop.platform).where(Shop.id.in_({o.shop_id for o in orders}))
        ).all()
    )
    parts: dict[tuple[int, int], tuple[int, tuple[int, ...]]] = {}
    for org_id in {o.org_id for o in orders}:
        mine = [o for o in orders if o.org_id == org_id and o.id in houses]
        keys = {
            (o.id, line.line_no): LineKey(
                platforms.get(o.shop_id, ""), line.platform_sku_id, line.outer_id
            )
            for o in mine
            for line in o.lines
        }
        resolved = components(session, org_id, keys.values())
        for (order_id, line_no), key in keys.items():
            skus = tuple(sku for sku, _ in resolved[key] or ())
            if skus:
                parts[(order_id, line_no)] = (houses[order_id], skus)
    known = bins_of(session, [(house, sku) for house, skus in parts.values() for sku in skus])
    found = {}
    for line, (house, skus) in parts.items():
        places = sorted({known[(house, s)] for s in skus if (house, s) in known}, key=natural_key)
        if places:
            found[line] = "/".join(places)
    return found
