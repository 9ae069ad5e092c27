"""Intercepted parcels (拦截件): held packages whose waybill is still live are listed, and
their waybills recycled only when a person confirms, only for held packages of the org;
on both backends."""

from __future__ import annotations

import pytest

from core.desk.holds import hold_orders, release_orders
from core.errors import NotFound, PermissionDenied, ValidationError
from core.models import Package, Waybill
from core.shipping.intercepted import intercepted_packages, recycle_waybills
from core.shipping.tracking import set_tracking_number
from tests.shipping.conftest import ShipWorld, make_world

SF = "SF1234567890123"


def _held_with_number(world: ShipWorld, number: str = SF) -> tuple[str, int]:
    order = world.order()
    set_tracking_number(world.app, world.admin, number, "顺丰", order_number=order)
    hold_orders(world.app, world.admin, [order], reason="买家申请退款")
    return order, world.package(order)


def test_a_held_package_with_a_live_waybill_is_listed_then_recycled(world: ShipWorld) -> None:
    order, package_id = _held_with_number(world)
    free = world.order()
    set_tracking_number(world.app, world.admin, "SF1234567890124", "顺丰", order_number=free)

    [found] = intercepted_packages(world.app, world.admin)
    assert (found.package_id, found.order_numbers, found.waybill_number) == (
        package_id,
        (order,),
        SF,
    )
    assert (found.waybill_status, found.carrier_account) == ("allocated", "顺丰")
    assert "买家申请退款" in found.hold_reason

    [outcome] = recycle_waybills(world.app, world.admin, [package_id], reason="已取回")
    assert (outcome.package_id, outcome.waybill_number, outcome.outcome) == (
        package_id,
        SF,
        "recycled",  # typed by hand: no carrier issued it, released in orderhub
    )
    assert intercepted_packages(world.app, world.admin) == []
    with world.app.tx() as session:
        package = session.get(Package, package_id)
        assert package.status == "on_hold"  # still held: the refund decides, not the recycle
        waybill = session.query(Waybill).filter_by(number=SF).one()
        assert waybill.status == "recycled" and waybill.cancel_reason == "已取回"
    release_orders(world.app, world.admin, [order])
    with world.app.tx() as session:
        assert session.get(Package, package_id).status == "new"  # ready for a fresh waybill


def test_only_held_packages_with_a_live_waybill_are_recycled(world: ShipWorld) -> None:
    _, held = _held_with_number(world)
    free = world.order()
    set_tracking_number(world.app, world.admin, "SF1234567890124", "顺丰", order_number=free)
    bare = world.order()
    free_package, bare_package = world.package(free), world.package(bare)
    hold_orders(world.app, world.admin, [bare], reason="地址待确认")
    with pytest.raises(ValidationError) as caught:
        recycle_waybills(world.app, world.admin, [held, free_package, bare_package])
    message = caught.value.message
    assert f"package {free_package} is waybill_allocated, not on hold" in message
    assert f"package {bare_package} has no live waybill" in message
    with world.app.tx() as session:  # nothing cancelled: all or none
        assert session.query(Waybill).filter_by(number=SF).one().status == "allocated"
    with pytest.raises(ValidationError, match="at least one package"):
        recycle_waybills(world.app, world.admin, [])


def test_permissions_and_other_orgs(world: ShipWorld, globex) -> None:  # type: ignore[no-untyped-def]
    _, package_id = _held_with_number(world)
    viewer = world.org.staff("viewer", "只读")
    assert [p.package_id for p in intercepted_packages(world.app, viewer)] == [package_id]
    with pytest.raises(PermissionDenied, match=r"ship\.confirm"):
        recycle_waybills(world.app, viewer, [package_id])
    outsider = make_world(world.app, globex, platform_shop_id="7001")
    assert intercepted_packages(world.app, outsider.admin) == []
    with pytest.raises(NotFound, match=f"no package {package_id} in this org"):
        recycle_waybills(world.app, outsider.admin, [package_id])
    packer = world.org.staff("packer", "仓库管理员")
    [outcome] = recycle_waybills(world.app, packer, [package_id])
    assert outcome.outcome == "recycled"


def test_a_printed_label_needs_the_reprint_permission(world: ShipWorld) -> None:
    _, package_id = _held_with_number(world)
    world.set_package(package_id, status="on_hold")
    with world.app.tx() as session:
        waybill = session.query(Waybill).filter_by(number=SF).one()
        waybill.status = "printed"
    packer = world.org.staff("packer", "仓库管理员")
    [outcome] = recycle_waybills(world.app, packer, [package_id])
    assert outcome.outcome == "failed" and "print.reprint" in outcome.error
    [outcome] = recycle_waybills(world.app, world.admin, [package_id])
    assert outcome.outcome == "recycled"
