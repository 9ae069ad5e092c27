"""Low-stock alerts: a level at or below its SKU's threshold raises one alert per crossing.

Why in the ledger's transaction: `ledger.post` is the only writer of levels, so checking
right after it applied its moves sees every change (receipts, counts, transfers,
reservations, deductions) and nothing else. It holds the levels it touched under a row
lock, so the level's `low_alerted` flag is read and written under that lock: with eight
workers deducting the same SKU, exactly one of them sees the crossing and raises the
alert. The flag clears when the level recovers above the threshold (or the threshold is
cleared), and the next fall raises a new alert.

Cost: nothing per post in the common case. Each level carries its effective threshold
(`StockLevel.low_stock`: the warehouse's own, else the SKU's, copied from
`StockPolicy` by `apply` whenever a threshold is set or cleared, and by
`ledger.lock_levels` when it creates a level), so the check reads only the rows the post
has locked anyway.
Two small look-ups (SKU code, warehouse name) happen only when an alert is raised — posts
run in hot paths (approving thousands of orders).

The alert (kind `stock.low`, critical: a threshold is set in order to be told, and the
default `[alerts] forward_severity` forwards critical alerts) is staged in the caller's
transaction, so it exists exactly when the change that caused it does; the
alert-forwarding pass (`core.alertdesk.forwarding`) sends it through the notifiers.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.alerts.once import KEY_MAX, keyed
from core.alerts.raising import stage_alert
from core.contracts.types import AlertInfo
from core.models import Sku, StockLevel, StockPolicy, Warehouse

KIND = "stock.low"
SEVERITY = "critical"

#: (warehouse id or None for every warehouse, SKU id) → threshold
Thresholds = Mapping[tuple[int | None, int], int]


def thresholds(session: Session, org_id: int, sku_ids: Iterable[int]) -> Thresholds:
    """The thresholds set for `sku_ids`, in one query."""
    wanted = sorted(set(sku_ids))
    if not wanted:
        return {}
    rows = session.execute(
        select(StockPolicy.warehouse_id, StockPolicy.sku_id, StockPolicy.low_stock).where(
            StockPolicy.org_id == org_id,
            StockPolicy.sku_id.in_(wanted),
            StockPolicy.low_stock.is_not(None),
        )
    )
    return {(warehouse, sku): low for warehouse, sku, low in rows}


def threshold_of(found: Thresholds, warehouse_id: int, sku_id: int) -> int | None:
    """The warehouse's own threshold, else the SKU's for every warehouse, else None."""
    own = found.get((warehouse_id, sku_id))
    return own if own is not None else found.get((None, sku_id))


def apply(session: Session, org_id: int, sku_id: int) -> list[AlertInfo]:
    """After the SKU's thresholds changed: copy the effective threshold to each of its
    levels (row-locked) and settle them at once — a level already at or below a new
    threshold raises its alert now rather than at its next change."""
    session.flush()
    found = thresholds(session, org_id, [sku_id])
    levels = session.scalars(
        select(StockLevel)
        .where(StockLevel.org_id == org_id, StockLevel.sku_id == sku_id)
        .order_by(StockLevel.warehouse_id)
        .with_for_update()
    ).all()
    for level in levels:
        level.low_stock = threshold_of(found, level.warehouse_id, level.sku_id)
    return check(session, org_id, levels)


def check(session: Session, org_id: int, levels: Iterable[StockLevel]) -> list[AlertInfo]:
    """After `levels` changed (locked by the caller): raise the alerts of those that fell
    to or below their threshold, clear the flag of those back above it. No query unless
    an alert is raised."""
    raised = []
    for level in levels:
        limit = level.low_stock
        available = level.on_hand - level.reserved
        low = limit is not None and available <= limit
        if low and not level.low_alerted:
            level.low_alerted = True
            raised.append(_raise(session, org_id, level, available, limit or 0))
        elif not low and level.low_alerted:
            level.low_alerted = False
    return raised


def _raise(
    session: Session, org_id: int, level: StockLevel, available: int, limit: int
) -> AlertInfo:
    sku = session.get_one(Sku, level.sku_id)
    house = session.get_one(Warehouse, level.warehouse_id)
    key = f"{sku.code} @ {house.name}".replace("[", "(").replace("]", ")")[:KEY_MAX]
    name = f" {sku.name}" if sku.name else ""
    message = (
        f"库存低于预警值 / low stock: {sku.code}{name} in {house.name}: available "
        f"{available} <= threshold {limit} (on hand {level.on_hand}, reserved {level.reserved})"
    )
    return stage_alert(session, org_id, KIND, SEVERITY, keyed(key, message))
