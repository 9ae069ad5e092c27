"""确认发货: packages become shipped and each order gets one outbox row, in one
transaction; holds, missing numbers, unverified packages are refused by name; merged
and split packages; permissions and other orgs."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from core.accounts import audit
from core.desk import holds
from core.desk.packing import merge, split
from core.errors import NotFound, PermissionDenied, ValidationError
from core.models import AuditEvent, Order, ShipmentOutbox
from core.shipback import confirm
from core.shipping.settings import update_settings


def test_confirming_a_package_ships_it_and_queues_its_order(rig) -> None:
    numbers = rig.ready(2)
    (first, second) = numbers
    result = rig.confirm([first])
    assert (result.confirmed, result.outbox_rows, result.refused) == ([first], 1, {})
    assert rig.package_status(first) == "shipped"
    assert rig.package_status(second) == "waybill_allocated"
    (sn,) = rig.numbers_of([first])
    row = rig.outbox()[sn]
    assert (row.state, row.tracking_number, row.package_id) == ("pending", numbers[first], first)
    assert row.logistics_company_id == rig.carrier().logistics_company_id != ""
    order = rig.order(sn)
    assert order.hub_status == "shipped" and order.shipped_at is not None
    with rig.app.tx() as session:
        events = audit.events(session, rig.org.org_id, action="ship.confirm")
    assert [e.after["package_ids"] for e in events] == [[first]]

    again = rig.confirm([first, second])
    assert again.unchanged == [first] and again.confirmed == [second]
    assert len(rig.outbox()) == 2


def test_refusals_name_the_package_and_the_rest_ship(rig) -> None:
    ready = list(rig.ready(3))
    bare = rig.packages(0, 4)[3]  # packed, no waybill drawn
    on_hold = rig.numbers_of([ready[1]])[0]
    holds.hold_orders(rig.app, rig.org.admin, [on_hold], reason="买家要改地址")
    result = rig.confirm([*ready, bare])
    assert result.confirmed == [ready[0], ready[2]]
    assert result.refused == {
        # The order's hold holds its package with it (core.holds.packages).
        ready[1]: f"package {ready[1]} is on hold: 买家要改地址",
        bare: f"package {bare} is new: only packages with a waybill can ship",
    }
    assert set(rig.outbox()) == set(rig.numbers_of([ready[0], ready[2]]))


def test_refunded_orders_are_refused(rig) -> None:
    (package,) = rig.ready(1)
    (sn,) = rig.numbers_of([package])
    with rig.app.tx() as session:  # what the sync stores when a refund arrives
        session.execute(
            update(Order).where(Order.platform_order_no == sn).values(refund_status="refunded")
        )
    result = rig.confirm([package])
    assert result.refused == {package: f"package {package}: order {sn} has a refund refunded"}
    assert rig.outbox() == {}


def test_verification_required_refuses_printed_packages(rig) -> None:
    update_settings(rig.app, rig.org.admin, require_verification=True)
    (package,) = rig.ready(1, printed=True)
    result = rig.confirm([package])
    assert result.refused == {
        package: f"package {package} is not verified at the pack station (verification is required)"
    }


def test_confirm_ready_takes_printed_packages_only_when_asked(rig) -> None:
    printed = list(rig.ready(2, printed=True))
    allocated = list(rig.draw([rig.packages(0, 3)[2]]))
    none = confirm.confirm_ready(rig.app, rig.org.admin, status="verified")
    assert none.confirmed == []
    result = confirm.confirm_ready(rig.app, rig.org.admin, status="printed")
    assert result.confirmed == printed and allocated[0] not in result.confirmed
    with pytest.raises(ValidationError, match="status must be one of"):
        confirm.confirm_ready(rig.app, rig.org.admin, status="everything")


def test_a_merged_package_confirms_each_order_with_its_number(rig) -> None:
    orders = rig.same_receiver(2)
    view = merge(rig.app, rig.org.admin, list(orders))
    numbers = rig.draw([view.package_id])
    result = rig.confirm([view.package_id])
    assert result.outbox_rows == 2
    rows = rig.outbox()
    assert {sn: rows[sn].tracking_number for sn in orders} == {
        sn: numbers[view.package_id] for sn in orders
    }


@pytest.mark.parametrize("together", [False, True], ids=["one-by-one", "together"])
def test_a_split_order_confirms_its_first_package_and_records_the_others(
    rig, together: bool
) -> None:
    sn = next(
        n
        for n in rig.order_numbers()
        if sum(i["goods_count"] for i in rig.platform_order(n)["item_list"]) >= 2
    )
    rig.load_orders(numbers=[sn])
    lines = {line.line_no: line.quantity for line in rig.order(sn).lines}
    first_line = min(lines)
    if lines[first_line] >= 2:
        parts = [{first_line: 1}, {**lines, first_line: lines[first_line] - 1}]
    else:
        parts = [
            {first_line: lines[first_line]},
            {n: q for n, q in lines.items() if n != first_line},
        ]
    views = split(rig.app, rig.org.admin, sn, parts)
    ids = sorted(v.package_id for v in views)
    numbers = rig.draw(ids)
    if together:
        both = rig.confirm(list(reversed(ids)))
        assert (both.outbox_rows, both.extra_numbers) == (1, 1)
    else:
        assert rig.confirm([ids[0]]).outbox_rows == 1
        later = rig.confirm([ids[1]])
        assert (later.outbox_rows, later.extra_numbers) == (0, 1)
    row = rig.outbox()[sn]
    assert (row.tracking_number, row.extra_numbers) == (numbers[ids[0]], [numbers[ids[1]]])


def test_permissions_and_other_orgs(rig, globex) -> None:
    ((package, number),) = rig.ready(1).items()
    reader = rig.org.staff("lulu", "read_only")
    with pytest.raises(PermissionDenied, match=r"ship\.confirm"):
        confirm.confirm_packages(rig.app, reader, package_ids=[package])
    with pytest.raises(NotFound, match=f"no package with id {package}"):
        confirm.confirm_packages(rig.app, globex.admin, package_ids=[package])
    with pytest.raises(NotFound, match="no active waybill numbered"):
        confirm.confirm_packages(rig.app, globex.admin, waybill_numbers=[number])
    warehouse = rig.org.staff("zhang", "warehouse")
    assert confirm.confirm_packages(rig.app, warehouse, package_ids=[package]).confirmed == [
        package
    ]
    with rig.app.tx() as session:
        assert session.scalar(select(func.count()).select_from(ShipmentOutbox)) == 1
        actors = session.scalars(
            select(AuditEvent.actor_label).where(AuditEvent.action == "ship.confirm")
        ).all()
    assert actors == ["zhang"]


def test_a_call_confirms_at_most_ten_thousand_packages(rig) -> None:
    with pytest.raises(ValidationError, match="confirm at most 10000 packages at once"):
        confirm.confirm_packages(
            rig.app, rig.org.admin, package_ids=range(1, confirm.MAX_PACKAGES + 2)
        )
    with pytest.raises(ValidationError, match="limit must be"):
        confirm.confirm_ready(rig.app, rig.org.admin, limit=confirm.MAX_PACKAGES + 1)
    assert rig.outbox() == {}


def test_orders_are_confirmed_by_their_packages(rig) -> None:
    ready = list(rig.ready(2))
    bare_order = rig.order_numbers(0)[5]  # stored, never packed
    rig.load_orders(0, numbers=[bare_order])
    first, second = rig.numbers_of(ready)
    result = confirm.confirm_packages(
        rig.app, rig.org.admin, order_numbers=[first, second, bare_order, first]
    )
    assert (result.confirmed, result.unpacked) == (ready, [bare_order])
    assert set(rig.outbox()) == {first, second}
    with pytest.raises(NotFound, match="no order numbered NOPE-9"):
        confirm.confirm_packages(rig.app, rig.org.admin, order_numbers=["NOPE-9"])
    assert len(rig.outbox()) == 2
