"""Stock reports: what the stock on hand is worth, and which SKUs sell too slowly for it.

- Stock value (库存金额), as of the end of the period: today's levels minus the moves
  after the period's end (the ledger, `stock_moves`, is append-only and every level
  equals its moves, so this is exact); per SKU or per warehouse, valued at the SKU's
  cost price.
- Slow movers (滞销): every SKU with stock on hand, its sales in the period (the `deduct`
  moves of shipped orders, summed in SQL per SKU along `ix_stock_moves_org_reason_sku`),
  sales per day and the days the stock lasts at that pace; slowest first, SKUs that did
  not sell at all on top.

Costs and values are money (`finance.view`); without it the reports keep the quantities.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.actor import Actor
from core.app import App
from core.errors import ValidationError
from core.models import Sku, StockLevel, StockMove, Warehouse
from core.reports import common
from core.reports.model import Chart, Column, Report, build
from core.reports.period import Period

VALUE_GROUPINGS = ("sku", "warehouse")
SLOW_GROUPINGS = ("sku",)
CHART_ROWS = 20


def _on_hand(session: Session, org_id: int, at: datetime) -> dict[tuple[int, int], int]:
    """(warehouse, SKU) → on hand at the instant `at`."""
    levels = {
        (w, s): on_hand
        for w, s, on_hand in session.execute(
            select(StockLevel.warehouse_id, StockLevel.sku_id, StockLevel.on_hand).where(
                StockLevel.org_id == org_id
            )
        )
    }
    # Grouped by `column + 0`, which no index orders: otherwise SQLite walks the whole
    # ledger along ix_stock_moves_level to skip the GROUP BY's sort (seconds at a million
    # moves) instead of seeking the few moves after `at` along ix_stock_moves_org_at.
    house, sku = StockMove.warehouse_id + 0, StockMove.sku_id + 0
    later = session.execute(
        select(house, sku, func.sum(StockMove.on_hand_delta))
        .where(StockMove.org_id == org_id, StockMove.at >= at)
        .group_by(house, sku)
    )
    for w, s, delta in later:
        levels[(w, s)] = levels.get((w, s), 0) - int(delta or 0)
    return levels


def _skus(session: Session, org_id: int) -> dict[int, tuple[str, str, int]]:
    return {
        i: (code, name, cost)
        for i, code, name, cost in session.execute(
            select(Sku.id, Sku.code, Sku.name, Sku.cost_fen).where(Sku.org_id == org_id)
        )
    }


def stock_value_report(
    app: App, actor: Actor, period: Period, *, by: str | None = None, shop: str | None = None
) -> Report:
    """On hand and its value at cost, as of the end of the period."""
    by = common.check_by("stock-value", by, VALUE_GROUPINGS)
    _no_shop("stock-value", shop)
    _, end = period.bounds()
    with app.tx() as session:
        money = common.reader(session, actor)
        levels = _on_hand(session, actor.org_id, end)
        skus = _skus(session, actor.org_id)
        houses = dict(
            session.execute(
                select(Warehouse.id, Warehouse.name).where(Warehouse.org_id == actor.org_id)
            ).all()
        )
    rows: list[tuple] = []
    if by == "sku":
        per_sku: dict[int, int] = {}
        for (_, sku_id), on_hand in levels.items():
            per_sku[sku_id] = per_sku.get(sku_id, 0) + on_hand
        for sku_id, on_hand in per_sku.items():
            code, name, cost = skus.get(sku_id, (str(sku_id), "", 0))
            rows.append((code, name, on_hand, cost, on_hand * cost))
        columns: tuple[Column, ...] = (
            Column("key", "编码 SKU", "text"),
            Column("name", "名称 name", "text"),
            Column("on_hand", "在库 on hand"),
            Column("cost", "成本 cost", "fen"),
            Column("value", "金额 value", "fen"),
        )
    else:
        per_house: dict[int, list[int]] = {}
        for (house, sku_id), on_hand in levels.items():
            sums = per_house.setdefault(house, [0, 0, 0])
            sums[0] += on_hand != 0
            sums[1] += on_hand
            sums[2] += on_hand * skus.get(sku_id, ("", "", 0))[2]
        rows = [(houses.get(h, str(h)), *sums) for h, sums in per_house.items()]
        columns = (
            Column("key", "仓库 warehouse", "text"),
            Column("skus", "SKU 数 SKUs"),
            Column("on_hand", "在库 on hand"),
            Column("value", "金额 value", "fen"),
        )
    rank = 4 if by == "sku" else 3
    rows.sort(key=lambda r: (-r[rank], -r[2], r[0]) if money else (-r[2], r[0]))
    report = build(
        "stock-value",
        "库存金额 stock value",
        period,
        by,
        columns,
        rows,
        money=money,
        chart=Chart("barh", "key", ("value",) if money else ("on_hand",)),
        notes=(f"as of the end of {period.last.isoformat()} (Asia/Shanghai)",),
    )
    return report


def slow_movers_report(
    app: App, actor: Actor, period: Period, *, by: str | None = None, shop: str | None = None
) -> Report:
    """SKUs with stock, slowest sellers first."""
    by = common.check_by("slow-movers", by, SLOW_GROUPINGS)
    _no_shop("slow-movers", shop)
    start, end = period.bounds()
    with app.tx() as session:
        money = common.reader(session, actor)
        levels = _on_hand(session, actor.org_id, end)
        skus = _skus(session, actor.org_id)
        sold = dict(
            session.execute(
                select(StockMove.sku_id, -func.sum(StockMove.on_hand_delta))
                # Along ix_stock_moves_org_reason_sku, in SKU order from the index alone:
                # the period is checked on its entries (`coalesce` keeps SQLite from
                # seeking the time index instead and sorting every sale of the period).
                .where(
                    StockMove.org_id == actor.org_id,
                    StockMove.reason == "deduct",
                    func.coalesce(StockMove.at, StockMove.at) >= start,
                    func.coalesce(StockMove.at, StockMove.at) < end,
                )
                .group_by(StockMove.sku_id)
            ).all()
        )
    per_sku: dict[int, int] = {}
    for (_, sku_id), on_hand in levels.items():
        per_sku[sku_id] = per_sku.get(sku_id, 0) + on_hand
    rows = []
    for sku_id, on_hand in per_sku.items():
        if on_hand <= 0:
            continue
        code, name, cost = skus.get(sku_id, (str(sku_id), "", 0))
        sales = int(sold.get(sku_id) or 0)
        per_day = sales / period.days
        cover = round(on_hand / per_day) if per_day else None
        rows.append((code, name, on_hand, sales, round(per_day, 2), cover, on_hand * cost))
    rows.sort(key=lambda r: (r[5] is not None, -(r[5] or 0), -r[2], r[0]))
    columns = (
        Column("key", "编码 SKU", "text"),
        Column("name", "名称 name", "text"),
        Column("on_hand", "在库 on hand"),
        Column("sold", "销量 sold"),
        Column("per_day", "日均 per day", "rate"),
        Column("cover", "可售天数 days of stock"),
        Column("value", "金额 value", "fen"),
    )
    return build(
        "slow-movers",
        "滞销 slow movers",
        period,
        by,
        columns,
        rows,
        money=money,
        chart=Chart("barh", "key", ("on_hand",)),
        notes=("days of stock: on hand ÷ sales per day in the period; — : nothing sold",),
    )


def _no_shop(report: str, shop: str | None) -> None:
    if shop:
        raise ValidationError(
            f"report {report} reads stock, which belongs to no shop: leave out --shop",
            field="shop",
        )
