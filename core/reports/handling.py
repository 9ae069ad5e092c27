"""处理时效: how long orders take from payment to their first label and on to shipment.

The timestamps the model has: `orders.paid_at`, the first label's print (a print job's
label item that is not a reprint, `done_at`; a merged parcel's label names its first
order) and `orders.shipped_at`. The report covers the orders whose first label was printed
in the period and gives, per group, the median and the 90th percentile of paid → printed,
printed → shipped (orders shipped so far) and paid → shipped, in hours.

Percentiles are read from histograms the database builds: each day's durations are
binned to the half hour (from `Seconds`, a construct compiled for each backend, read
once per timestamp) and
counted per group and bin in one statement, so a million orders come back as a few
hundred rows a day; a percentile is the middle of its bin (exact to ±15 minutes).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Float, Integer, cast, func, literal, select, union_all
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from core.actor import Actor
from core.app import App
from core.models import Order, PrintJobItem
from core.reports import common
from core.reports.carriers import first_labels
from core.reports.model import Chart, Column, Report, build
from core.reports.period import TIME_BUCKETS, Period

GROUPINGS = ("day", "week", "month", "shop")
BIN_HOURS = 0.5
BIN_SECONDS = 1800
STAGES = ("paid_printed", "printed_shipped", "paid_shipped")


class Seconds(FunctionElement[float]):
    """A timestamp as seconds on a continuous scale (differences are durations)."""

    type = Float()
    inherit_cache = True
    name = "report_seconds"


@compiles(Seconds, "sqlite")
def _sqlite(element: Seconds, compiler: Any, **kw: Any) -> str:
    # julianday parses the stored text once; strftime('%s') costs twice as much.
    return f"(julianday({compiler.process(element.clauses, **kw)}) * 86400.0)"


@compiles(Seconds, "postgresql")
def _postgresql(element: Seconds, compiler: Any, **kw: Any) -> str:
    return f"EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})"


def half_hours(start: ColumnElement, end: ColumnElement) -> ColumnElement:
    """Whole half hours from `start` to `end` (seconds rounded first: julianday's
    floating days can land a hair below a bin's edge)."""
    return cast(func.round(end - start), Integer) // BIN_SECONDS


def percentile(histogram: Mapping[int, int], fraction: float) -> float | None:
    """The value (hours, the middle of its bin) below which `fraction` of the counts lie."""
    total = sum(histogram.values())
    if not total:
        return None
    rank = fraction * total
    seen = 0
    for bin_number in sorted(histogram):
        seen += histogram[bin_number]
        if seen >= rank:
            return (max(bin_number, 0) + 0.5) * BIN_HOURS
    return None  # pragma: no cover - the loop always reaches the total


def handling_report(
    app: App, actor: Actor, period: Period, *, by: str | None = None, shop: str | None = None
) -> Report:
    """Median and p90 hours of each stage, per group."""
    by = common.check_by("handling", by, GROUPINGS)
    with app.tx() as session:
        money = common.reader(session, actor)
        shop_id = common.shop_filter(session, actor.org_id, shop)
        key: ColumnElement = Order.shop_id if by == "shop" else literal(0)
        base = (
            select(
                key.label("k"),
                Seconds(Order.paid_at).label("paid"),
                Seconds(PrintJobItem.done_at).label("printed"),
                Seconds(Order.shipped_at).label("shipped"),
            )
            .join(Order, Order.id == PrintJobItem.order_id)
            .where(*first_labels(actor.org_id))
        )
        if shop_id is not None:
            base = base.where(Order.shop_id == shop_id)
        times = base.cte("handled")
        stages = {
            "paid_printed": half_hours(times.c.paid, times.c.printed),
            "printed_shipped": half_hours(times.c.printed, times.c.shipped),
            "paid_shipped": half_hours(times.c.paid, times.c.shipped),
        }
        parts = [
            select(literal(n), times.c.k, stages[stage], func.count())
            .where(stages[stage].is_not(None))
            .group_by(times.c.k, stages[stage])
            for n, stage in enumerate(STAGES)
        ]
        statement = union_all(*parts)
        histograms: dict[object, list[dict[int, int]]] = {}
        for day, (stage, group, bin_number, count) in common.per_day(session, period, statement):
            group_key = common.group_key(by, day, group)
            per_stage = histograms.setdefault(group_key, [{}, {}, {}])
            bins = per_stage[stage]
            bins[bin_number] = bins.get(bin_number, 0) + count
        shops = common.shop_names(session, actor.org_id)
    keys = list(period.buckets(by)) if by in TIME_BUCKETS else sorted(histograms, key=str)
    table = []
    for group_key in keys:
        per_stage = histograms.get(group_key, [{}, {}, {}])
        label = shops.get(group_key, str(group_key)) if by == "shop" else str(group_key)  # type: ignore[call-overload]
        cells: list[object] = [label, sum(per_stage[0].values())]
        for bins in per_stage:
            cells += [percentile(bins, 0.5), percentile(bins, 0.9)]
        table.append(tuple(cells))
    columns = (
        Column("key", {"shop": "店铺 shop"}.get(by, "日期 " + by), "text"),
        Column("orders", "订单 orders"),
        Column("pp_median", "付款→打印 中位 paid→printed median h", "hours"),
        Column("pp_p90", "付款→打印 P90 h", "hours"),
        Column("ps_median", "打印→发货 中位 printed→shipped median h", "hours"),
        Column("ps_p90", "打印→发货 P90 h", "hours"),
        Column("total_median", "付款→发货 中位 paid→shipped median h", "hours"),
        Column("total_p90", "付款→发货 P90 h", "hours"),
    )
    return build(
        "handling",
        "处理时效 handling time (hours)",
        period,
        by,
        columns,
        table,  # type: ignore[arg-type]
        money=money,
        chart=Chart("line" if by == "day" else "bar", "key", ("pp_median", "total_median")),
        notes=("orders whose first label was printed in the period; ±15 min (half-hour bins)",),
    )
