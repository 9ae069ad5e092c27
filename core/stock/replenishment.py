"""The replenishment report (补货建议): what to order, per SKU and warehouse.

For each level of the org (or of one warehouse):

- sales velocity = units deducted for shipments (ledger reason `deduct`) over the last
  `window_days` days, per day;
- lead time (days from ordering to arrival) and safety stock: the SKU's own
  (`core.stock.policies`: the warehouse's, else the SKU's), else the defaults given,
  else `[stock]`; the review period (days until the next order) is one figure for all;
- suggested order quantity = max(0, ⌈velocity × (lead time + review period) + safety
  stock − available⌉), what covers the sales until the order after next arrives;
- days of cover = available / velocity (None when nothing sold: it lasts indefinitely).

Needs `stock.view`; the unit cost and the value of the suggestion (fen) only with
`finance.view`. Most urgent first (fewest days of cover). Three queries whatever the size:
levels with SKUs and warehouses, deductions in the window (by the index on org, reason
and time), policies.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import BinaryIO, Literal

from sqlalchemy import func, select

from core import clock
from core.accounts import authz
from core.actor import Actor
from core.app import App
from core.errors import ValidationError
from core.models import Sku, StockLevel, StockMove, StockPolicy, Warehouse
from core.stock.warehouses import warehouse_named
from core.tabular.writing import write_table


@dataclass(frozen=True)
class Suggestion:
    warehouse: str
    code: str
    name: str
    sold: int  # units deducted in the window
    velocity: float  # units per day
    available: int
    lead_time_days: int
    safety_stock: int
    suggested: int
    days_of_cover: float | None  # None: nothing sold in the window
    cost_fen: int | None = None  # per unit; None without finance.view
    value_fen: int | None = None  # suggested × cost; None without finance.view


@dataclass(frozen=True)
class Report:
    window_days: int
    review_days: int
    since: datetime
    rows: tuple[Suggestion, ...]


def replenishment(
    app: App,
    actor: Actor,
    *,
    window_days: int | None = None,
    lead_time_days: int | None = None,
    review_days: int | None = None,
    safety_stock: int | None = None,
    warehouse: str | None = None,
    now: datetime | None = None,
) -> Report:
    """The report; None arguments take the `[stock]` defaults (lead time and safety stock
    only for SKUs that set none)."""
    defaults = app.settings.stock
    window = _whole(window_days, defaults.window_days, "window_days", 1)
    lead = _whole(lead_time_days, defaults.lead_time_days, "lead_time_days", 0)
    review = _whole(review_days, defaults.review_days, "review_days", 0)
    safety = _whole(safety_stock, defaults.safety_stock, "safety_stock", 0, high=10_000_000)
    since = (now or clock.now()) - timedelta(days=window)
    with app.tx() as session:
        authz.require(session, actor, "stock.view")
        with_cost = authz.has(session, actor, "finance.view")
        org = actor.org_id
        query = (
            select(StockLevel, Warehouse.name, Sku.code, Sku.name, Sku.cost_fen)
            .join(Warehouse, Warehouse.id == StockLevel.warehouse_id)
            .join(Sku, Sku.id == StockLevel.sku_id)
            .where(StockLevel.org_id == org)
        )
        if warehouse is not None:
            house_id = warehouse_named(session, org, warehouse).id
            query = query.where(StockLevel.warehouse_id == house_id)
        levels = session.execute(query).all()
        sold = {
            (w, s): int(units or 0)
            for w, s, units in session.execute(
                select(
                    StockMove.warehouse_id,
                    StockMove.sku_id,
                    -func.sum(StockMove.on_hand_delta),
                )
                .where(StockMove.org_id == org, StockMove.reason == "deduct", StockMove.at >= since)
                .group_by(StockMove.warehouse_id, StockMove.sku_id)
            )
        }
        policies = {
            (w, s): (lt, ss)
            for w, s, lt, ss in session.execute(
                select(
                    StockPolicy.warehouse_id,
                    StockPolicy.sku_id,
                    StockPolicy.lead_time_days,
                    StockPolicy.safety_stock,
                ).where(StockPolicy.org_id == org)
            )
        }
    rows = []
    for level, house, code, name, cost in levels:
        key, every = (level.warehouse_id, level.sku_id), (None, level.sku_id)
        own_lead, own_safety = _pick(policies, key, every)
        units = max(0, sold.get(key, 0))
        velocity = units / window
        available = level.on_hand - level.reserved
        lead_days = lead if own_lead is None else own_lead
        keep = safety if own_safety is None else own_safety
        need = velocity * (lead_days + review) + keep - available
        suggested = max(0, math.ceil(round(need, 9)))
        rows.append(
            Suggestion(
                warehouse=house,
                code=code,
                name=name,
                sold=units,
                velocity=round(velocity, 3),
                available=available,
                lead_time_days=lead_days,
                safety_stock=keep,
                suggested=suggested,
                days_of_cover=round(available / velocity, 1) if velocity else None,
                cost_fen=cost if with_cost else None,
                value_fen=suggested * cost if with_cost else None,
            )
        )
    rows.sort(key=lambda r: (r.days_of_cover is None, r.days_of_cover or 0, r.code, r.warehouse))
    return Report(window, review, since, tuple(rows))


#: The file's columns (`write_report`): money in yuan, only when the report carries it.
COLUMNS = (
    "仓库",
    "编码",
    "名称",
    "销量",
    "日均销量",
    "可用",
    "可售天数",
    "采购周期(天)",
    "安全库存",
    "建议补货",
)
MONEY_COLUMNS = ("成本(元)", "补货金额(元)")


def write_report(report: Report, out: BinaryIO, fmt: Literal["csv", "xlsx"]) -> int:
    """The report as a CSV or XLSX table (`core.tabular.writing`); the rows written. The
    cost columns only when the report has them (its reader had finance.view)."""
    with_cost = any(row.cost_fen is not None for row in report.rows)
    columns = COLUMNS + MONEY_COLUMNS if with_cost else COLUMNS

    def cells(r: Suggestion) -> tuple[object, ...]:
        row: tuple[object, ...] = (
            r.warehouse,
            r.code,
            r.name,
            r.sold,
            r.velocity,
            r.available,
            r.days_of_cover,
            r.lead_time_days,
            r.safety_stock,
            r.suggested,
        )
        if with_cost:
            row += ((r.cost_fen or 0) / 100, (r.value_fen or 0) / 100)
        return row

    return write_table(out, fmt, columns, (cells(r) for r in report.rows), sheet="补货建议")  # type: ignore[arg-type]


def _pick(
    policies: dict[tuple[int | None, int], tuple[int | None, int | None]],
    own: tuple[int, int],
    every: tuple[None, int],
) -> tuple[int | None, int | None]:
    """(lead time, safety stock): the warehouse's own values, else the SKU's."""
    mine, sku = policies.get(own, (None, None)), policies.get(every, (None, None))
    return (
        mine[0] if mine[0] is not None else sku[0],
        mine[1] if mine[1] is not None else sku[1],
    )


def _whole(value: int | None, default: int, field: str, low: int, high: int = 365) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(
            f"{field} must be a whole number {low} to {high}, not {value!r}", field=field
        )
    return value
