"""Order reports: orders per day/shop/province (by payment time), shipped orders (by
shipment time) and overdue shipments (by promised ship-by time).

Each runs one grouped query per Shanghai day over an indexed time column of `orders`
(`ix_orders_org_paid`, `ix_orders_org_shipped`, `ix_orders_org_promised`) and adds the
days up into the asked grouping. Every order counts once, in its own org only.
"""

from __future__ import annotations

from sqlalchemy import bindparam, case, func
from sqlalchemy.sql.elements import ColumnElement

from core import clock
from core.actor import Actor
from core.app import App
from core.models import Order
from core.orders import status as order_status
from core.reports import common
from core.reports.model import Chart, Column, Report, build
from core.reports.period import Period

GROUPINGS = ("day", "week", "month", "shop", "province")
#: Orders that will never ship: not overdue, whatever their promise said.
NEVER_SHIPPED = (order_status.CANCELLED, order_status.REFUNDED)


def _dimension(by: str) -> ColumnElement | None:
    if by == "shop":
        return Order.shop_id
    if by == "province":
        return Order.receiver_province
    return None


def _label_column(by: str) -> Column:
    titles = {
        "day": "日期 day",
        "week": "周 week (Monday)",
        "month": "月 month",
        "shop": "店铺 shop",
        "province": "省份 province",
    }
    return Column("key", titles[by], "text")


def _label(by: str, key: object, shops: dict[int, str]) -> str:
    if by == "shop":
        return shops.get(key, str(key))  # type: ignore[call-overload]
    return str(key) if key else "(无 none)"


def orders_report(
    app: App, actor: Actor, period: Period, *, by: str | None = None, shop: str | None = None
) -> Report:
    """订单统计: orders paid in the period, and their paid amount (finance.view)."""
    by = common.check_by("orders", by, GROUPINGS)
    with app.tx() as session:
        money = common.reader(session, actor)
        shop_id = common.shop_filter(session, actor.org_id, shop)
        dimension = _dimension(by)
        measures = [func.count()]
        if money:  # the amount needs the rows, the count only the index
            measures.append(func.coalesce(func.sum(Order.pay_amount_fen), 0))
        query = common.grouped(dimension, measures).where(
            Order.org_id == actor.org_id,
            Order.paid_at >= bindparam("lo"),
            Order.paid_at < bindparam("hi"),
        )
        if shop_id is not None:
            query = query.where(Order.shop_id == shop_id)
        sums = common.Sums(2)
        for day, row in common.per_day(session, period, query):
            sums.add(common.group_key(by, day, row[0]), row[1:])
        shops = common.shop_names(session, actor.org_id)
    rows = []
    for key in common.ordered_keys(by, period, sums):
        count, amount = sums.get(key)
        average = round(amount / count) if count else 0
        rows.append((_label(by, key, shops), count, amount, average))
    columns = (
        _label_column(by),
        Column("orders", "订单 orders"),
        Column("amount", "实付 paid", "fen"),
        Column("average", "客单价 per order", "fen"),
    )
    kind = "line" if by == "day" else "bar"
    return build(
        "orders",
        "订单统计 orders",
        period,
        by,
        columns,
        rows,
        money=money,
        chart=Chart(kind, "key", ("orders",)),
    )


def shipped_report(
    app: App, actor: Actor, period: Period, *, by: str | None = None, shop: str | None = None
) -> Report:
    """发货统计: orders shipped in the period (their shipment time)."""
    by = common.check_by("shipped", by, GROUPINGS)
    with app.tx() as session:
        money = common.reader(session, actor)
        shop_id = common.shop_filter(session, actor.org_id, shop)
        dimension = _dimension(by)
        query = common.grouped(dimension, [func.count()]).where(
            Order.org_id == actor.org_id,
            Order.shipped_at >= bindparam("lo"),
            Order.shipped_at < bindparam("hi"),
        )
        if shop_id is not None:
            query = query.where(Order.shop_id == shop_id)
        sums = common.Sums(1)
        for day, row in common.per_day(session, period, query):
            sums.add(common.group_key(by, day, row[0]), row[1:])
        shops = common.shop_names(session, actor.org_id)
    rows = [
        (_label(by, key, shops), *sums.get(key)) for key in common.ordered_keys(by, period, sums)
    ]
    columns = (_label_column(by), Column("shipped", "发货 shipped"))
    return build(
        "shipped",
        "发货统计 shipped orders",
        period,
        by,
        columns,
        rows,
        money=money,
        chart=Chart("line" if by == "day" else "bar", "key", ("shipped",)),
    )


def overdue_report(
    app: App, actor: Actor, period: Period, *, by: str | None = None, shop: str | None = None
) -> Report:
    """超时发货: orders whose promised ship-by time falls in the period: shipped in
    time, shipped late, and not shipped although the promise has passed (now)."""
    by = common.check_by("overdue", by, GROUPINGS)
    now = clock.now()
    with app.tx() as session:
        money = common.reader(session, actor)
        shop_id = common.shop_filter(session, actor.org_id, shop)
        dimension = _dimension(by)
        open_order = Order.hub_status.not_in(NEVER_SHIPPED)
        late = case((Order.shipped_at > Order.promised_ship_by, 1), else_=0)
        waiting = case(
            (
                Order.shipped_at.is_(None)
                & open_order
                & (Order.promised_ship_by < bindparam("now", now)),
                1,
            ),
            else_=0,
        )
        due = case((open_order | Order.shipped_at.is_not(None), 1), else_=0)
        measures = [func.sum(due), func.sum(late), func.sum(waiting)]
        query = common.grouped(dimension, measures).where(
            Order.org_id == actor.org_id,
            Order.promised_ship_by >= bindparam("lo"),
            Order.promised_ship_by < bindparam("hi"),
        )
        if shop_id is not None:
            query = query.where(Order.shop_id == shop_id)
        sums = common.Sums(3)
        for day, row in common.per_day(session, period, query):
            sums.add(common.group_key(by, day, row[0]), row[1:])
        shops = common.shop_names(session, actor.org_id)
    rows = []
    for key in common.ordered_keys(by, period, sums):
        due_count, late_count, waiting_count = sums.get(key)
        overdue = late_count + waiting_count
        rows.append(
            (
                _label(by, key, shops),
                due_count,
                late_count,
                waiting_count,
                common.share(overdue, due_count),
            )
        )
    columns = (
        _label_column(by),
        Column("due", "应发 due"),
        Column("late", "超时已发 shipped late"),
        Column("waiting", "超时未发 overdue, not shipped"),
        Column("rate", "超时率 overdue %", "percent"),
    )
    return build(
        "overdue",
        "超时发货 overdue shipments",
        period,
        by,
        columns,
        rows,
        money=money,
        chart=Chart("stacked", "key", ("late", "waiting")),
        notes=(f"未发 counted as of {clock.local_text(now)}",),
    )
