"""处理时效: how long orders take from payment to their first label and on to shipment.

The timestamps are the order's own: `paid_at`, `printed_at` (its first label, set by
core.printing.states when the order becomes 已打印; migration 0016 filled it from the print
history) and `shipped_at`, all three in the covering index `ix_orders_org_printed`, so a
million orders are read without a join. The report covers the orders first printed in the
period and gives, per group, the median and the 90th percentile of paid → printed,
printed → shipped (orders shipped so far) and paid → shipped, in hours.

Percentiles are read from histograms of each day: the database bins every duration to
the half hour (from `Seconds`, a construct compiled for each backend, read once per
timestamp) and hands a day's bins over as one list per stage (`BinList`: group_concat /
string_agg), which Python counts — a GROUP BY per bin would cost SQLite a sorter insert
per row and stage, two thirds of the report's time at a million orders. A percentile is
the middle of its bin (exact to ±15 minutes).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Float, Integer, Text, bindparam, cast, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.functions import FunctionElement

from core.actor import Actor
from core.app import App
from core.models import Order
from core.reports import common
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


class BinList(FunctionElement[str]):
    """The non-null values of an integer column, as one comma-separated text per group:
    a day's histogram leaves the database in one row instead of one row per bin (the
    GROUP BY it would need costs SQLite a sorter insert per row and stage)."""

    type = Text()
    inherit_cache = True
    name = "report_bin_list"


@compiles(BinList, "sqlite")
def _sqlite_list(element: BinList, compiler: Any, **kw: Any) -> str:
    return f"group_concat({compiler.process(element.clauses, **kw)})"


@compiles(BinList, "postgresql")
def _postgresql_list(element: BinList, compiler: Any, **kw: Any) -> str:
    return f"string_agg(CAST({compiler.process(element.clauses, **kw)} AS TEXT), ',')"


def _empty() -> list[Counter[str]]:
    return [Counter(), Counter(), Counter()]


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
        times = select(
            Order.shop_id.label("shop"),
            Seconds(Order.paid_at).label("paid"),
            Seconds(Order.printed_at).label("printed"),
            Seconds(Order.shipped_at).label("shipped"),
        ).where(
            Order.org_id == actor.org_id,
            Order.printed_at >= bindparam("lo"),
            Order.printed_at < bindparam("hi"),
        )
        if shop_id is not None:
            times = times.where(Order.shop_id == shop_id)
        rows = times.subquery("handled")
        bins = [
            BinList(half_hours(rows.c.paid, rows.c.printed)),
            BinList(half_hours(rows.c.printed, rows.c.shipped)),
            BinList(half_hours(rows.c.paid, rows.c.shipped)),
        ]
        statement = common.grouped(rows.c.shop if by == "shop" else None, bins)
        histograms: dict[object, list[Counter[str]]] = {}
        for day, (group, *lists) in common.per_day(session, period, statement):
            per_stage = histograms.setdefault(common.group_key(by, day, group), _empty())
            for counter, text in zip(per_stage, lists, strict=True):
                if text:
                    counter.update(text.split(","))
        shops = common.shop_names(session, actor.org_id)
    keys = list(period.buckets(by)) if by in TIME_BUCKETS else sorted(histograms, key=str)
    table = []
    for group_key in keys:
        per_stage = [
            {int(b): n for b, n in counter.items()}
            for counter in histograms.get(group_key, _empty())
        ]
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
