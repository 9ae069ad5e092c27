"""分仓 as orders are written: each new order's warehouse, chosen by the org's routing
rules (core.stock.routing) from the prepared rows, goes into the row its insert writes,
so routing adds a few reads per batch and no write. Updates never move an order: that
is done by hand (core.desk.rerouting).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Shop
from core.orders.rows import LINE_COLUMNS, OrderEncoder, PreparedOrder
from core.stock import routing, warehouses
from core.stock.mapping import LineKey

_SKU, _OUTER, _QUANTITY = (
    LINE_COLUMNS.index(c) for c in ("platform_sku_id", "outer_id", "quantity")
)


def route_new_orders(session: Session, encoder: OrderEncoder, fresh: list[PreparedOrder]) -> None:
    """Each of the `fresh` (not yet inserted) orders' warehouse into its row; nothing when
    the org has no warehouse."""
    default = warehouses.default_id(session, encoder.org_id) if fresh else None
    if default is None:
        return
    platform = session.scalar(select(Shop.platform).where(Shop.id == encoder.shop_id)) or ""
    arrivals = [
        routing.Arrival(
            encoder.column(item.row, "receiver_province") or "",
            encoder.shop_id,
            tuple(
                (LineKey(platform, line[_SKU] or "", line[_OUTER] or ""), line[_QUANTITY])
                for line in item.lines
            ),
        )
        for item in fresh
    ]
    houses = routing.route(session, encoder.org_id, default, arrivals)
    for item, house in zip(fresh, houses, strict=True):
        value = encoder.encoded("warehouse_id", house)
        item.row = encoder.with_encoded(item.row, {"warehouse_id": value})
