"""The replenishment report on a fixed ledger: velocity from deductions in the window only,
per-SKU lead time and safety stock over the defaults, the suggested quantity and days of
cover; costs only with finance.view; permissions and other orgs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.errors import NotFound, PermissionDenied, ValidationError
from core.stock import catalogue, ledger, policies, replenishment, warehouses
from core.stock.ledger import Move
from tests.conftest import OrgFixture

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


@pytest.fixture
def booked(app, acme: OrgFixture, frozen_clock) -> OrgFixture:  # type: ignore[no-untyped-def]
    """CUP-R: 100 received 40 days ago; 10 shipped 35 days ago (outside a 30-day window),
    20 ten days ago and 10 two days ago (30 in the window: 1 a day); 50 reserved now.
    LID: 8 received, never sold. 北仓: 4 CUP-R, never sold."""
    admin = acme.admin
    main = warehouses.add_warehouse(app, admin, "主仓")
    north = warehouses.add_warehouse(app, admin, "北仓")
    cup = catalogue.add_sku(app, admin, "CUP-R", "保温杯", cost_fen=1250)
    lid = catalogue.add_sku(app, admin, "LID", "杯盖", cost_fen=300)
    plan = [
        (40, [Move(main.id, cup.id, on_hand=100), Move(main.id, lid.id, on_hand=8)]),
        (40, [Move(north.id, cup.id, on_hand=4)]),
        (35, [Move(main.id, cup.id, on_hand=-10, reason="deduct", reference="order:1")]),
        (10, [Move(main.id, cup.id, on_hand=-20, reason="deduct", reference="order:2")]),
        (2, [Move(main.id, cup.id, on_hand=-10, reason="deduct", reference="order:3")]),
        (0, [Move(main.id, cup.id, reserved=50, reason="reserve", reference="order:4")]),
    ]
    for days_ago, moves in plan:
        frozen_clock[0] = NOW - timedelta(days=days_ago)
        with app.tx() as session:
            ledger.post(session, acme.org_id, "tests", moves)
    frozen_clock[0] = NOW
    return acme


def by_key(report: replenishment.Report) -> dict[tuple[str, str], replenishment.Suggestion]:
    return {(row.warehouse, row.code): row for row in report.rows}


def test_suggestions_from_a_fixed_ledger(app, booked: OrgFixture) -> None:
    report = replenishment.replenishment(app, booked.admin)  # defaults: 30 d, 7 + 7, safety 0
    rows = by_key(report)
    cup = rows[("主仓", "CUP-R")]
    assert (cup.sold, cup.velocity, cup.available) == (30, 1.0, 10)
    assert (cup.lead_time_days, cup.safety_stock, cup.suggested) == (7, 0, 4)  # 1×14 − 10
    assert cup.days_of_cover == 10.0
    assert (cup.cost_fen, cup.value_fen) == (1250, 4 * 1250)
    lid = rows[("主仓", "LID")]
    assert (lid.sold, lid.velocity, lid.suggested, lid.days_of_cover) == (0, 0.0, 0, None)
    assert rows[("北仓", "CUP-R")].sold == 0  # sales are per warehouse
    assert report.rows[0].code == "CUP-R" and report.rows[0].warehouse == "主仓"  # most urgent

    # The SKU's own lead time and safety stock win over the defaults; a warehouse's own
    # value wins over the SKU's.
    policies.set_plan(app, booked.admin, "CUP-R", lead_time_days=20, safety_stock=5)
    policies.set_plan(app, booked.admin, "LID", lead_time_days=None, safety_stock=10)
    policies.set_plan(
        app, booked.admin, "CUP-R", lead_time_days=None, safety_stock=1, warehouse="北仓"
    )
    rows = by_key(replenishment.replenishment(app, booked.admin, review_days=3))
    assert rows[("主仓", "CUP-R")].suggested == 1 * (20 + 3) + 5 - 10
    assert rows[("主仓", "LID")].suggested == 10 - 8
    north = rows[("北仓", "CUP-R")]
    assert (north.lead_time_days, north.safety_stock, north.suggested) == (20, 1, 0)

    # A wider window takes in the older shipment; a one-day window none of them.
    wide = by_key(replenishment.replenishment(app, booked.admin, window_days=40))
    assert wide[("主仓", "CUP-R")].sold == 40 and wide[("主仓", "CUP-R")].velocity == 1.0
    narrow = by_key(replenishment.replenishment(app, booked.admin, window_days=1))
    assert narrow[("主仓", "CUP-R")].sold == 0
    only = replenishment.replenishment(app, booked.admin, warehouse="北仓")
    assert {row.warehouse for row in only.rows} == {"北仓"}


def test_costs_need_finance_and_other_orgs_see_nothing(app, booked: OrgFixture, globex) -> None:
    viewer = booked.staff("viewer", "read_only")
    rows = replenishment.replenishment(app, viewer).rows
    assert rows and all(r.cost_fen is None and r.value_fen is None for r in rows)
    finance = booked.staff("money", "finance")  # no stock.view
    with pytest.raises(PermissionDenied):
        replenishment.replenishment(app, finance)
    assert replenishment.replenishment(app, globex.admin).rows == ()
    with pytest.raises(NotFound):
        replenishment.replenishment(app, globex.admin, warehouse="主仓")
    with pytest.raises(ValidationError):
        replenishment.replenishment(app, booked.admin, window_days=0)
