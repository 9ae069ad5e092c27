"""异常统计: what went wrong in a period, by where it is recorded and why.

The sources are the model's own records of trouble:
- 审单异常 (audit rules): `orders.exception_reasons` of orders paid in the period that
  are in the exception queue now (`in_exception`), one count per reason code (an order
  with two reasons counts under both);
- 挂起 (holds): `orders.on_hold` with its `hold_reason`, orders paid in the period;
- 拦截 (intercepted): packages held (`status = on_hold`, a refund after printing) created
  in the period, by `hold_reason`;
- 隔离 (quarantine): `quarantined_orders` first seen in the period, by `reason`;
- 告警 (alerts): `alerts` raised in the period, by `kind`.

The exception queue and holds are small, so each source is one grouped query over the
whole period. Reason codes are split from the JSON list in Python: the distinct lists are
few, and reading them as text works the same on both backends.
"""

from __future__ import annotations

import json

from sqlalchemy import Text, cast, func, select, true

from core.actor import Actor
from core.app import App
from core.models import Alert, Order, Package, QuarantinedOrder
from core.reports import common
from core.reports.model import Chart, Column, Report, build
from core.reports.period import Period

GROUPINGS = ("reason",)
SOURCES = {
    "rule": "审单异常 audit rule",
    "hold": "挂起 hold",
    "intercepted": "拦截 intercepted",
    "quarantine": "隔离 quarantine",
    "alert": "告警 alert",
}
REASON_WIDTH = 80


def exceptions_report(
    app: App, actor: Actor, period: Period, *, by: str | None = None, shop: str | None = None
) -> Report:
    """Counts per source and reason; `shop` narrows the order-based sources."""
    by = common.check_by("exceptions", by, GROUPINGS)
    lo, hi = period.bounds()
    counts: dict[tuple[str, str], int] = {}

    def add(source: str, reason: str, count: int) -> None:
        key = (source, (reason or "(无 none)")[:REASON_WIDTH])
        counts[key] = counts.get(key, 0) + int(count)

    with app.tx() as session:
        money = common.reader(session, actor)
        shop_id = common.shop_filter(session, actor.org_id, shop)
        in_period = (Order.org_id == actor.org_id) & (Order.paid_at >= lo) & (Order.paid_at < hi)
        if shop_id is not None:
            in_period = in_period & (Order.shop_id == shop_id)
        reasons = cast(Order.exception_reasons, Text)
        for text, count in session.execute(
            select(reasons, func.count())
            .where(in_period, Order.in_exception == true())
            .group_by(reasons)
        ):
            for code in json.loads(text or "[]"):
                add("rule", str(code), count)
        for reason, count in session.execute(
            select(Order.hold_reason, func.count())
            .where(in_period, Order.on_hold == true())
            .group_by(Order.hold_reason)
        ):
            add("hold", reason, count)
        held = select(Package.hold_reason, func.count()).where(
            Package.org_id == actor.org_id,
            Package.status == "on_hold",
            Package.created_at >= lo,
            Package.created_at < hi,
        )
        if shop_id is not None:
            held = held.where(Package.shop_id == shop_id)
        for reason, count in session.execute(held.group_by(Package.hold_reason)):
            add("intercepted", reason, count)
        quarantined = select(QuarantinedOrder.reason, func.count()).where(
            QuarantinedOrder.org_id == actor.org_id,
            QuarantinedOrder.first_seen_at >= lo,
            QuarantinedOrder.first_seen_at < hi,
        )
        if shop_id is not None:
            quarantined = quarantined.where(QuarantinedOrder.shop_id == shop_id)
        for reason, count in session.execute(quarantined.group_by(QuarantinedOrder.reason)):
            add("quarantine", reason, count)
        if shop_id is None:  # alerts belong to the org, not to a shop
            for kind, count in session.execute(
                select(Alert.kind, func.count())
                .where(Alert.org_id == actor.org_id, Alert.created_at >= lo, Alert.created_at < hi)
                .group_by(Alert.kind)
            ):
                add("alert", kind, count)
    order = list(SOURCES)
    rows = [
        (SOURCES[source], reason, count)
        for (source, reason), count in sorted(
            counts.items(), key=lambda item: (order.index(item[0][0]), -item[1], item[0][1])
        )
    ]
    columns = (
        Column("source", "来源 source", "text"),
        Column("reason", "原因 reason", "text"),
        Column("count", "数量 count"),
    )
    return build(
        "exceptions",
        "异常统计 exceptions by reason",
        period,
        by,
        columns,
        rows,
        money=money,
        chart=Chart("barh", "reason", ("count",)),
    )
