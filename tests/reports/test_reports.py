"""Every report on the small fixed world (tests/reports/world.py), with exact numbers,
on both backends: Shanghai day boundaries, groupings, money hidden without finance.view,
report.view required, and the rival org's rows never counted."""

from __future__ import annotations

import pytest

from core.errors import NotFound, PermissionDenied, ValidationError
from core.reports import catalog
from core.reports.handling import percentile
from core.reports.period import period
from tests.conftest import OrgFixture
from tests.reports.world import FIRST, LAST, World, build, sh


@pytest.fixture
def world(app, acme: OrgFixture, frozen_clock) -> World:
    frozen_clock[0] = sh(1, 10)
    return build(app, acme)


def run(world: World, name: str, by: str | None = None, actor=None, **kw):  # type: ignore[no-untyped-def]
    return catalog.run_report(world.app, actor or world.admin, name, FIRST, LAST, by=by, **kw)


def table(report) -> list[tuple]:  # type: ignore[no-untyped-def]
    return [tuple(row) for row in report.rows]


def test_orders_per_shanghai_day(world: World) -> None:
    report = run(world, "orders")
    # O1 paid 2026-01-01 23:30 +08:00 counts on 1 January; O2 at 00:00 on the 2nd;
    # O5 paid 2025-12-31 23:59 +08:00 (15:59 UTC on the 31st) is outside.
    assert table(report) == [
        ("2026-01-01", 1, 1000, 1000),
        ("2026-01-02", 2, 5000, 2500),
        ("2026-01-03", 0, 0, 0),
        ("2026-01-04", 0, 0, 0),
        ("2026-01-05", 1, 500, 500),
        ("2026-01-06", 0, 0, 0),
        ("2026-01-07", 0, 0, 0),
    ]
    assert report.hidden == ()
    chart = report.chart_data()
    assert chart is not None and chart.labels[0] == "2026-01-01"
    assert chart.series == [("订单 orders", [1.0, 2.0, 0.0, 0.0, 1.0, 0.0, 0.0])]


def test_orders_by_shop_province_week_month(world: World) -> None:
    assert table(run(world, "orders", "shop")) == [
        ("旗舰店", 2, 3000, 1500),
        ("杯子店", 2, 3500, 1750),
    ]
    assert table(run(world, "orders", "province")) == [
        ("广东省", 2, 4000, 2000),
        ("北京市", 1, 500, 500),
        ("浙江省", 1, 2000, 2000),
    ]
    assert table(run(world, "orders", "week")) == [
        ("2025-12-29", 3, 6000, 2000),  # Thursday 1 January is in the week from Monday 29th
        ("2026-01-05", 1, 500, 500),
    ]
    assert table(run(world, "orders", "month")) == [("2026-01", 4, 6500, 1625)]
    assert table(run(world, "orders", "shop", shop="杯子店")) == [("杯子店", 2, 3500, 1750)]


def test_shipped_and_overdue(world: World) -> None:
    shipped = {row[0]: row[1] for row in table(run(world, "shipped"))}
    # O5 (paid before the period) shipped on the 1st; O1 on the 2nd, O2 on the 4th.
    assert shipped == {f"2026-01-0{d}": (1 if d in (1, 2, 4) else 0) for d in range(1, 8)}
    overdue = {row[0]: row[1:] for row in table(run(world, "overdue")) if row[1] or row[2]}
    # O5 in time (due 2nd), O1 in time (due 3rd), O3 not shipped and past its promise
    # (3rd), O2 late (due 4th 00:00, shipped at noon), O4 cancelled: never due.
    assert overdue == {
        "2026-01-02": (1, 0, 0, 0.0),
        "2026-01-03": (2, 0, 1, 50.0),
        "2026-01-04": (1, 1, 0, 100.0),
    }


def test_exceptions_by_reason(world: World) -> None:
    assert table(run(world, "exceptions")) == [
        ("审单异常 audit rule", "buyer_memo", 1),
        ("审单异常 audit rule", "unmapped_sku", 1),
        ("挂起 hold", "缺货", 1),
        ("拦截 intercepted", "退款中，拦截", 1),
        ("隔离 quarantine", "no receiver", 1),
        ("告警 alert", "sync_failed", 1),
    ]
    assert table(run(world, "exceptions", shop="旗舰店")) == [("隔离 quarantine", "no receiver", 1)]


def test_carrier_share_and_shipping_cost(world: World) -> None:
    # Live waybills: YT1 printed, YT4 allocated (YT3 cancelled carries no parcel), SF2.
    assert table(run(world, "carriers")) == [("圆通", 2, 66.7), ("顺丰", 1, 33.3)]
    # First labels: P1 圆通 1,500 g to 广东省 (its own rate: 4.00 + one step begun 2.00);
    # P2 顺丰 800 g has no rate card: unpriced, not guessed.
    assert table(run(world, "shipping-cost")) == [
        ("圆通", 1, 0, 1.5, 600, 600),
        ("顺丰", 1, 1, 0.8, 0, 0),
    ]
    by_day = {r[0]: r[1:] for r in table(run(world, "shipping-cost", "day")) if r[1]}
    assert by_day == {"2026-01-02": (1, 0, 1.5, 600, 600), "2026-01-03": (1, 1, 0.8, 0, 0)}


def test_handling_times(world: World) -> None:
    rows = {r[0]: r[1:] for r in table(run(world, "handling")) if r[1]}
    # O1: paid 1st 23:30, first label 2nd 09:00 (9.5 h), shipped 10:00 (1 h; 10.5 h in
    # all); O2: paid 2nd 00:00, label 3rd 11:00 (35 h), shipped 4th 12:00 (25 h; 60 h).
    # Half-hour bins: a value is the middle of its bin.
    assert rows == {
        "2026-01-02": (1, 9.75, 9.75, 1.25, 1.25, 10.75, 10.75),
        "2026-01-03": (1, 35.25, 35.25, 25.25, 25.25, 60.25, 60.25),
    }
    assert table(run(world, "handling", "shop")) == [
        ("旗舰店", 2, 9.75, 35.25, 1.25, 25.25, 10.75, 60.25)
    ]


def test_percentile_of_a_histogram() -> None:
    bins = {0: 5, 3: 4, 10: 1}  # ten values
    assert percentile(bins, 0.5) == 0.25
    assert percentile(bins, 0.9) == 1.75
    assert percentile(bins, 1.0) == 5.25
    assert percentile({}, 0.5) is None


def test_prints_per_user(world: World) -> None:
    assert table(run(world, "prints")) == [("boss", 1, 0, 0.0), ("clerk", 1, 1, 50.0)]
    by_day = {r[0]: r[1:] for r in table(run(world, "prints", "day")) if r[1] or r[2]}
    assert by_day == {"2026-01-02": (1, 1, 50.0), "2026-01-03": (1, 0, 0.0)}


def test_stock_value_as_of_the_end_and_slow_movers(world: World) -> None:
    # CUP has 6 now, but 7 at the end of the 7th: one was deducted on the 9th.
    assert table(run(world, "stock-value")) == [
        ("CUP", "保温杯", 7, 1250, 8750),
        ("LID", "杯盖", 5, 350, 1750),
    ]
    assert table(run(world, "stock-value", "warehouse")) == [("主仓", 2, 12, 10500)]
    # LID sold nothing (no end to its stock); CUP sold 3 in 7 days: 7 last 16 days.
    assert table(run(world, "slow-movers")) == [
        ("LID", "杯盖", 5, 0, 0.0, None, 1750),
        ("CUP", "保温杯", 7, 3, 0.43, 16, 8750),
    ]


def test_money_is_hidden_without_finance_view(world: World) -> None:
    report = run(world, "orders", actor=world.viewer)
    assert [c.key for c in report.columns] == ["key", "orders"]
    assert report.hidden == ("实付 paid", "客单价 per order")
    assert report.rows[1] == ("2026-01-02", 2)
    value = run(world, "stock-value", actor=world.viewer)
    assert table(value) == [("CUP", "保温杯", 7), ("LID", "杯盖", 5)]
    cost = run(world, "shipping-cost", actor=world.viewer)
    assert table(cost) == [("圆通", 1, 0, 1.5), ("顺丰", 1, 1, 0.8)]
    assert cost.chart_data().series[0][0] == "包裹 parcels"  # type: ignore[union-attr]
    assert run(world, "orders", actor=world.finance).rows[1] == ("2026-01-02", 2, 5000, 2500)


def test_every_report_needs_report_view(world: World) -> None:
    for name in catalog.REPORTS:
        with pytest.raises(PermissionDenied, match=r"report\.view"):
            run(world, name, actor=world.clerk)


def test_another_orgs_rows_are_never_counted(world: World) -> None:
    # The rival's own view: one order, one label, its stock; none of acme's.
    assert [r for r in table(run(world, "orders", actor=world.rival)) if r[1]] == [
        ("2026-01-01", 1, 7777, 7777)
    ]
    assert table(run(world, "carriers", actor=world.rival)) == [("圆通", 1, 100.0)]
    assert table(run(world, "stock-value", actor=world.rival)) == [
        ("CUP", "别人的杯", 30, 99999, 2999970)
    ]
    with pytest.raises(NotFound, match="no shop '旗舰店'"):
        run(world, "orders", actor=world.rival, shop="旗舰店")


def test_bad_names_periods_and_groupings_are_clear(world: World) -> None:
    with pytest.raises(ValidationError, match="no report 'sales'; the reports are orders"):
        run(world, "sales")
    with pytest.raises(ValidationError, match="report orders groups by day, week, month"):
        run(world, "orders", "carrier")
    with pytest.raises(ValidationError, match="'2026-02-30' is not a date"):
        catalog.run_report(world.app, world.admin, "orders", "2026-02-30", LAST)
    with pytest.raises(ValidationError, match="ends"):
        catalog.run_report(world.app, world.admin, "orders", LAST, FIRST)
    with pytest.raises(ValidationError, match="at most 3660 days"):
        period("2000-01-01", "2026-01-01")
    with pytest.raises(ValidationError, match="outside") as caught:
        period("0001-01-01", "0001-01-02")  # Shanghai's first midnight is in year 0 UTC
    assert caught.value.details["field"] == "from"
    with pytest.raises(ValidationError, match="outside") as caught:
        period("9998-12-30", "9999-01-01")
    assert caught.value.details["field"] == "to"
    with pytest.raises(ValidationError, match="leave out --shop"):
        run(world, "prints", shop="旗舰店")
