"""The platform SKUs each shop sells (`PlatformListing`), learnt from its order lines.

A push needs the platform's goods id and SKU id, which only order lines carry (the
mapping is by SKU id alone). `discover` reads the order lines stored since it last
looked — a cursor on `order_lines.id`, kept in the org's `stock_push_cursor` row of
`org_settings`, read in primary-key ranges of `RANGE` ids so a pass costs the same
however large the table is — and adds a listing per new (shop, platform SKU), or
refreshes its goods id and merchant code. A line whose id was taken but not yet committed
when the cursor passed it is not read again; the SKU's next order line brings it in.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import Order, OrderLine, OrgSetting, PlatformListing

CURSOR = "stock_push_cursor"  # its org_settings section
#: Order-line ids read per query, and queries per pass at most.
RANGE = 20_000
MAX_RANGES = 50


def discover(session: Session, org_id: int) -> int:
    """Read the order lines added since the last call; return the listings added."""
    row = session.get(OrgSetting, (org_id, CURSOR), with_for_update=True)
    if row is None:
        row = OrgSetting(org_id=org_id, section=CURSOR, values={"order_line_id": 0})
        session.add(row)
    seen = int((row.values or {}).get("order_line_id", 0))
    newest = session.scalar(select(func.max(OrderLine.id))) or 0
    found: dict[tuple[int, str], tuple[str, str, int]] = {}
    for _ in range(MAX_RANGES):
        if seen >= newest:
            break
        upper = min(seen + RANGE, newest)
        rows = session.execute(
            select(
                OrderLine.id,
                Order.shop_id,
                OrderLine.platform_sku_id,
                OrderLine.platform_goods_id,
                OrderLine.outer_id,
            )
            .join(Order, Order.id == OrderLine.order_id)
            .where(
                OrderLine.id > seen,
                OrderLine.id <= upper,
                OrderLine.org_id == org_id,
                OrderLine.platform_sku_id != "",
                OrderLine.platform_goods_id != "",
            )
        )
        for line_id, shop_id, sku_id, goods_id, outer_id in rows:
            found[(shop_id, sku_id)] = (goods_id, outer_id, line_id)
        seen = upper
    row.values = {"order_line_id": seen}
    return _store(session, org_id, found)


def _store(
    session: Session, org_id: int, found: dict[tuple[int, str], tuple[str, str, int]]
) -> int:
    if not found:
        return 0
    existing = {
        (listing.shop_id, listing.platform_sku_id): listing
        for listing in session.scalars(
            select(PlatformListing).where(
                PlatformListing.org_id == org_id,
                PlatformListing.platform_sku_id.in_(sorted({key[1] for key in found})),
            )
        )
    }
    added = 0
    for (shop_id, sku_id), (goods_id, outer_id, line_id) in sorted(found.items()):
        listing = existing.get((shop_id, sku_id))
        if listing is None:
            session.add(
                PlatformListing(
                    org_id=org_id,
                    shop_id=shop_id,
                    platform_sku_id=sku_id[:64],
                    goods_id=goods_id[:64],
                    outer_id=outer_id[:100],
                    line_id=line_id,
                )
            )
            added += 1
        elif line_id > listing.line_id:
            listing.goods_id, listing.outer_id = goods_id[:64], outer_id[:100]
            listing.line_id = line_id
    session.flush()
    return added
