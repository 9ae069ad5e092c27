"""Tracking numbers typed by hand (回填单号): stored as waybills, checked softly against the
carrier's pattern, refused when another active package has them; on both backends."""

from __future__ import annotations

import pytest

from core.accounts import audit
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.orders import splitting
from core.shipping.tracking import set_tracking_number
from core.waybills import allocation
from core.waybills.query import list_waybills
from tests.shipping.conftest import ShipWorld, make_world

SF = "SF1234567890123"


def test_a_typed_number_is_stored_as_an_allocated_waybill(world: ShipWorld) -> None:
    order = world.order()
    result = set_tracking_number(
        world.app, world.admin, " sf12 3456 7890 123 ", "顺丰", order_number=order
    )
    assert (result.outcome, result.number, result.carrier_code, result.warning) == (
        "set",
        SF,
        "SF",
        "",
    )
    assert result.order_numbers == (order,)
    (waybill,) = list_waybills(world.app, world.admin, number=SF)
    assert (waybill.status, waybill.package_id, waybill.order_numbers) == (
        "allocated",
        result.package_id,
        (order,),
    )
    package = world.package(order)
    assert package == result.package_id
    events = audit.list_events(world.app, world.admin, action="package.tracking_set")
    assert [e.target_id for e in events] == [str(package)]
    again = set_tracking_number(world.app, world.admin, SF, "顺丰", package_id=package)
    assert again.outcome == "kept"


def test_a_number_that_does_not_look_like_the_carriers_is_stored_with_a_warning(
    world: ShipWorld,
) -> None:
    result = set_tracking_number(
        world.app, world.admin, "73123456789012", "顺丰", order_number=world.order()
    )
    assert result.outcome == "set"
    assert result.warning == "73123456789012 does not look like a SF number; it looks like ZTO"
    (waybill,) = list_waybills(world.app, world.admin, number="73123456789012")
    assert waybill.warning == result.warning


def test_a_number_on_another_active_package_is_refused_naming_it(world: ShipWorld) -> None:
    first, second = world.order(), world.order()
    held = set_tracking_number(world.app, world.admin, SF, "顺丰", order_number=first)
    with pytest.raises(Conflict) as refused:
        set_tracking_number(world.app, world.admin, SF, "顺丰", order_number=second)
    assert str(refused.value) == (
        f"{SF} is already the tracking number of package {held.package_id} "
        f"(orders {first}), waybill_allocated"
    )
    # recycled there (scanned on the wrong parcel), it may go on the right one
    (waybill,) = list_waybills(world.app, world.admin, number=SF)
    outcomes = allocation.cancel(world.app, world.admin, [waybill.id], "wrong parcel")
    assert [o.outcome for o in outcomes] == ["recycled"]
    moved = set_tracking_number(world.app, world.admin, SF, "顺丰", order_number=second)
    assert moved.outcome == "set" and moved.package_id != held.package_id


def test_a_typo_is_replaced_and_a_drawn_waybill_is_not(world: ShipWorld) -> None:
    order = world.order()
    set_tracking_number(world.app, world.admin, "SF1234567890999", "顺丰", order_number=order)
    fixed = set_tracking_number(world.app, world.admin, SF, "顺丰", order_number=order)
    assert (fixed.outcome, fixed.replaced) == ("replaced", "SF1234567890999")
    states = {w.number: w.status for w in list_waybills(world.app, world.admin)}
    assert states == {SF: "allocated", "SF1234567890999": "recycled"}
    other = world.order()
    package = world.package(other)
    report = allocation.allocate(
        world.app, world.admin, [package], "顺丰", typed_numbers={package: "SF1000000000001"}
    )
    assert report.outcomes[0].outcome == "allocated"
    with pytest.raises(
        Conflict, match=r"already has waybill SF1000000000001 \(drawn from a carrier"
    ):
        set_tracking_number(
            world.app, world.admin, SF.replace("3", "4"), "顺丰", package_id=package
        )


def test_refusals_name_what_is_wrong(world: ShipWorld) -> None:
    with pytest.raises(ValidationError, match="not a tracking number"):
        set_tracking_number(world.app, world.admin, "ab!", "顺丰", order_number=world.order())
    with pytest.raises(NotFound, match="no order numbered NOPE"):
        set_tracking_number(world.app, world.admin, SF, "顺丰", order_number="NOPE")
    with pytest.raises(NotFound, match="no carrier account named"):
        set_tracking_number(world.app, world.admin, SF, "韵达", order_number=world.order())
    held = world.order()
    package = world.package(held)
    world.set_package(package, status="on_hold", hold_reason="退款中，拦截 / refund started")
    with pytest.raises(Conflict, match="is on_hold: 退款中"):
        set_tracking_number(world.app, world.admin, SF, "顺丰", package_id=package)
    split = world.order()
    splitting.split(world.app, world.admin, split, [{1: 2}, {2: 1}])
    with pytest.raises(ValidationError, match="is split over packages"):
        set_tracking_number(world.app, world.admin, SF, "顺丰", order_number=split)


def test_permission_and_other_orgs(world: ShipWorld, globex) -> None:  # type: ignore[no-untyped-def]
    order = world.order()
    viewer = world.org.staff("viewer", "只读")
    with pytest.raises(PermissionDenied, match=r"ship\.confirm"):
        set_tracking_number(world.app, viewer, SF, "顺丰", order_number=order)
    packer = world.org.staff("packer", "仓库管理员")
    assert set_tracking_number(world.app, packer, SF, "顺丰", order_number=order).outcome == "set"
    other = make_world(world.app, globex, platform_shop_id="7001")
    with pytest.raises(NotFound, match=f"no order numbered {order}"):
        set_tracking_number(world.app, other.admin, "SF1234567890124", "顺丰", order_number=order)
    with pytest.raises(NotFound, match="no package with id"):
        set_tracking_number(
            world.app, other.admin, "SF1234567890124", "顺丰", package_id=world.package(order)
        )
