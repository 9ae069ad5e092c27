"""Every report by name, with its groupings, for front ends: `orderhub report NAME`, and
later the TUI's report screen, list and run reports through here.

`run_report` is the one entry point front ends need: it checks the name, the period and
the grouping and calls the report's service.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from core import clock
from core.actor import Actor
from core.app import App
from core.errors import ValidationError
from core.reports import carriers, exceptions, handling, orders, prints, stock
from core.reports.model import Report
from core.reports.period import period as make_period

Service = Callable[..., Report]
DEFAULT_DAYS = 30  # the period when none is given: these days up to today


@dataclass(frozen=True)
class ReportInfo:
    name: str
    title: str
    groupings: tuple[str, ...]  # the first is the default
    service: Service
    money: bool  # has money columns (shown with finance.view)
    shop_filter: bool


REPORTS: dict[str, ReportInfo] = {
    info.name: info
    for info in (
        ReportInfo(
            "orders",
            "订单统计 orders per day/shop",
            orders.GROUPINGS,
            orders.orders_report,
            True,
            True,
        ),
        ReportInfo(
            "shipped",
            "发货统计 shipped per day",
            orders.GROUPINGS,
            orders.shipped_report,
            False,
            True,
        ),
        ReportInfo(
            "exceptions",
            "异常统计 exceptions by reason",
            exceptions.GROUPINGS,
            exceptions.exceptions_report,
            False,
            True,
        ),
        ReportInfo(
            "carriers",
            "快递占比 carrier share",
            carriers.SHARE_GROUPINGS,
            carriers.carrier_share_report,
            False,
            True,
        ),
        ReportInfo(
            "shipping-cost",
            "运费 shipping cost per carrier",
            carriers.COST_GROUPINGS,
            carriers.shipping_cost_report,
            True,
            True,
        ),
        ReportInfo(
            "handling",
            "处理时效 paid → printed → shipped",
            handling.GROUPINGS,
            handling.handling_report,
            False,
            True,
        ),
        ReportInfo(
            "overdue",
            "超时发货 overdue shipments",
            orders.GROUPINGS,
            orders.overdue_report,
            False,
            True,
        ),
        ReportInfo(
            "prints",
            "打印统计 prints and reprints per user",
            prints.GROUPINGS,
            prints.prints_report,
            False,
            False,
        ),
        ReportInfo(
            "stock-value",
            "库存金额 stock value",
            stock.VALUE_GROUPINGS,
            stock.stock_value_report,
            True,
            False,
        ),
        ReportInfo(
            "slow-movers",
            "滞销 slow movers",
            stock.SLOW_GROUPINGS,
            stock.slow_movers_report,
            True,
            False,
        ),
    )
}


def report_info(name: str) -> ReportInfo:
    info = REPORTS.get(str(name).strip().lower())
    if info is None:
        raise ValidationError(
            f"no report {str(name)[:40]!r}; the reports are {', '.join(REPORTS)}", field="name"
        )
    return info


def run_report(
    app: App,
    actor: Actor,
    name: str,
    first: date | str | None,
    last: date | str | None,
    *,
    by: str | None = None,
    shop: str | None = None,
) -> Report:
    """The report `name` for the days `first` to `last` (Asia/Shanghai, both included).

    Without `last`, up to today; without `first`, the `DEFAULT_DAYS` days up to today
    when `last` is missing too, else the one day `last`."""
    info = report_info(name)
    if last is None:
        last = clock.now().astimezone(clock.SHANGHAI).date()
        if first is None:
            first = last - timedelta(days=DEFAULT_DAYS - 1)
    if first is None:
        first = last
    return info.service(app, actor, make_period(first, last), by=by, shop=shop)
