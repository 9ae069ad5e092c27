"""A held order holds its packages at once (拦截), and a release gives them back their
place — for a refund the sync brings and for a person's hold alike."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from core.contracts.types import RefundStatus
from core.desk import holds
from core.models import Alert, Package
from core.orders import merging, packages
from tests.packages.desk import T0, WANG, make_order


def _package(desk, package_id: int) -> Package:  # type: ignore[no-untyped-def]
    with desk.app.tx() as s:
        return s.get(Package, package_id)


def _audited(desk, *numbers: str) -> None:  # type: ignore[no-untyped-def]
    for number in numbers:
        desk.change(number, hub_status="audited")


def test_a_refund_synced_after_the_waybill_holds_the_package_and_names_it(desk) -> None:
    shop = desk.shop()
    desk.store(shop, make_order("R1"), source="sync")
    _audited(desk, "R1")
    desk.manual_account()
    package_id = desk.waybill("R1", "SF1234567890123")
    assert _package(desk, package_id).status == "waybill_allocated"
    later = T0 + timedelta(minutes=30)
    desk.store(
        shop,
        make_order("R1", updated_at=later, refund_status=RefundStatus.IN_PROGRESS),
        source="sync",
    )
    held = _package(desk, package_id)
    assert held.status == "on_hold" and "退款中" in held.hold_reason
    with desk.app.tx() as s:
        alert = s.scalars(select(Alert).where(Alert.kind == "order.refund_hold")).one()
    assert f"package {package_id}" in alert.message and "R1" in alert.message
    # The person cannot release it while the refund runs: the package stays held too.
    result = holds.release_orders(desk.app, desk.org.admin, ["R1"])
    assert "R1" in result.refused and _package(desk, package_id).status == "on_hold"


def test_a_persons_hold_and_release_move_the_package_with_the_order(desk) -> None:
    shop = desk.shop()
    desk.store(shop, make_order("H1"), make_order("H2", receiver=WANG))
    _audited(desk, "H1", "H2")
    desk.manual_account()
    with_waybill = desk.waybill("H1", "SF1234567890124")
    order_id = desk.order("H2").id
    without = packages.ensure_packages(desk.app, desk.org.admin, [order_id]).package_of_order[
        order_id
    ]
    holds.hold_orders(desk.app, desk.org.admin, ["H1", "H2"], reason="买家要改地址")
    for package_id in (with_waybill, without):
        package = _package(desk, package_id)
        assert (package.status, package.hold_reason) == ("on_hold", "买家要改地址")
    holds.release_orders(desk.app, desk.org.admin, ["H1", "H2"])
    assert _package(desk, with_waybill).status == "waybill_allocated"
    assert _package(desk, without).status == "new"
    assert _package(desk, without).hold_reason == ""


def test_a_merged_package_stays_held_while_one_of_its_orders_is(desk) -> None:
    shop = desk.shop()
    desk.store(shop, make_order("M1"), make_order("M2"))
    _audited(desk, "M1", "M2")
    view = merging.merge(desk.app, desk.org.admin, ["M1", "M2"])
    holds.hold_orders(desk.app, desk.org.admin, ["M1"], reason="缺货")
    holds.hold_orders(desk.app, desk.org.admin, ["M2"], reason="等通知")
    assert _package(desk, view.package_id).status == "on_hold"
    holds.release_orders(desk.app, desk.org.admin, ["M1"])
    assert _package(desk, view.package_id).status == "on_hold"  # M2 still held
    holds.release_orders(desk.app, desk.org.admin, ["M2"])
    assert _package(desk, view.package_id).status == "new"
