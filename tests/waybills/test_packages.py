"""Packages: one per order by default, idempotent, per-order refusals, concurrency-safe,
on SQLite and PostgreSQL. Orders come from the sandbox through the real client."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select, update

from core.accounts import audit
from core.errors import NotFound, PermissionDenied
from core.models import Order, OrderLine, Package, PackageLine
from core.orders import packages


def test_one_package_per_order_with_all_its_lines(rig) -> None:
    order_ids = rig.load_orders(count=5)
    result = packages.ensure_packages(rig.app, rig.org.admin, order_ids)
    assert result.created == 5 and not result.refused
    assert list(result.package_of_order) == order_ids
    with rig.app.tx() as session:
        for order_id in order_ids:
            package = session.get(Package, result.package_of_order[order_id])
            lines = session.scalars(select(OrderLine).where(OrderLine.order_id == order_id)).all()
            assert package.status == "new" and package.shop_id == rig.bind()
            assert [(pl.line_no, pl.quantity) for pl in package.lines] == [
                (ol.line_no, ol.quantity) for ol in lines
            ]
    with rig.app.tx() as session:
        events = audit.events(session, rig.org.org_id, action="package.create")
    assert events[0].after["count"] == 5


def test_packing_again_is_idempotent(rig) -> None:
    order_ids = rig.load_orders(count=4)
    first = packages.ensure_packages(rig.app, rig.org.admin, order_ids[:2])
    second = packages.ensure_packages(rig.app, rig.org.admin, order_ids)
    assert second.created == 2
    assert {k: v for k, v in second.package_of_order.items() if k in order_ids[:2]} == (
        first.package_of_order
    )
    third = packages.ensure_packages(rig.app, rig.org.admin, order_ids)
    assert third.created == 0 and third.package_of_order == second.package_of_order
    with rig.app.tx() as session:
        assert session.scalar(select(func.count()).select_from(Package)) == 4


def test_orders_that_may_not_be_packed_are_listed_not_fatal(rig, globex) -> None:
    order_ids = rig.load_orders(count=6)
    with rig.app.tx() as session:
        numbers = dict(session.execute(select(Order.id, Order.platform_order_no)).all())
        session.execute(
            update(Order)
            .where(Order.id == order_ids[0])
            .values(on_hold=True, hold_reason="退款中，拦截")
        )
        session.execute(
            update(Order).where(Order.id == order_ids[1]).values(hub_status="cancelled")
        )
        session.execute(
            update(Order).where(Order.id == order_ids[2]).values(refund_status="in_progress")
        )
        session.execute(update(Order).where(Order.id == order_ids[3]).values(hub_status="shipped"))
    result = packages.ensure_packages(rig.app, rig.org.admin, [*order_ids, 99999])
    reasons = {r.order_id: r.reason for r in result.refused}
    assert reasons == {
        order_ids[0]: f"order {numbers[order_ids[0]]} is on hold (退款中，拦截)",
        order_ids[1]: f"order {numbers[order_ids[1]]} is cancelled",
        order_ids[2]: f"order {numbers[order_ids[2]]} has a refund in progress",
        order_ids[3]: f"order {numbers[order_ids[3]]} is shipped",
        99999: "no order with id 99999",
    }
    assert result.created == 2 and set(result.package_of_order) == set(order_ids[4:])
    # another org's orders are simply not found
    other = packages.ensure_packages(rig.app, globex.admin, order_ids[4:])
    assert other.created == 0 and len(other.refused) == 2
    assert all("no order with id" in r.reason for r in other.refused)


def test_packing_needs_print_run(rig) -> None:
    order_ids = rig.load_orders(count=1)
    reader = rig.org.staff("viewer", "read_only")
    with pytest.raises(PermissionDenied):
        packages.ensure_packages(rig.app, reader, order_ids)
    assert packages.packages_for_orders(rig.app, reader, rig.order_numbers()[:1])
    with pytest.raises(NotFound, match="no order numbered 123"):
        packages.packages_for_orders(rig.app, reader, ["123"])


def test_packing_the_same_orders_at_once_makes_one_package_each(rig) -> None:
    order_ids = rig.load_orders(count=15)
    barrier = threading.Barrier(3)
    results: list = []
    errors: list = []

    def pack() -> None:
        barrier.wait()
        try:
            results.append(packages.ensure_packages(rig.app, rig.org.admin, order_ids))
        except Exception as exc:  # surfaced below
            errors.append(exc)

    threads = [threading.Thread(target=pack) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert sum(r.created for r in results) == 15
    assert all(r.package_of_order == results[0].package_of_order for r in results)
    with rig.app.tx() as session:
        per_order = session.execute(
            select(
                PackageLine.order_id, func.count(func.distinct(PackageLine.package_id))
            ).group_by(PackageLine.order_id)
        ).all()
    assert sorted(n for _, n in per_order) == [1] * 15
