"""Waybills by the names clients use: allocating for order numbers (packed first) or
package ids with typed numbers (the `manual` carrier), re-allocating with a reason, and
cancelling by tracking number — through `core.waybills.by_reference`."""

from __future__ import annotations

import pytest

from core.errors import NotFound, PermissionDenied, ValidationError
from core.waybills import by_reference
from core.waybills.query import list_waybills
from tests.packages.desk import Desk, make_order


def _desk(app, org) -> Desk:  # type: ignore[no-untyped-def]
    desk = Desk(app, org)
    shop = desk.shop()
    desk.store(shop, make_order("A-1"), make_order("A-2"))
    desk.manual_account()
    return desk


def test_allocate_for_orders_then_cancel_by_number(app, acme, globex) -> None:  # type: ignore[no-untyped-def]
    _desk(app, acme)
    admin = acme.admin
    done = by_reference.allocate_for(
        app,
        admin,
        "manual-SF",
        orders=["A-1", "A-2"],
        typed_numbers={"A-1": "SF1000000001", "A-2": "SF1000000002"},
    )
    assert [(o.outcome, o.number) for o in done.report.outcomes] == [
        ("allocated", "SF1000000001"),
        ("allocated", "SF1000000002"),
    ]
    assert sorted(n for ns in done.orders_of_package.values() for n in ns) == ["A-1", "A-2"]
    again = by_reference.allocate_for(app, admin, "manual-SF", orders=["A-1"])
    assert [o.outcome for o in again.report.outcomes] == ["kept"]
    with pytest.raises(ValidationError) as caught:
        by_reference.allocate_for(
            app, admin, "manual-SF", orders=["A-1"], typed_numbers={"Z-9": "SF1"}
        )
    assert caught.value.details["field"] == "numbers"
    with pytest.raises(NotFound):
        by_reference.cancel_numbers(app, globex.admin, ["SF1000000001"])
    outcomes = by_reference.cancel_numbers(app, admin, ["SF1000000001"], "wrong box")
    assert [(o.number, o.outcome) for o in outcomes] == [("SF1000000001", "recycled")]
    assert {w.number: w.status for w in list_waybills(app, admin)}["SF1000000001"] == "recycled"


def test_allocate_for_packages_and_reallocate(app, acme) -> None:  # type: ignore[no-untyped-def]
    desk = _desk(app, acme)
    package_id = desk.waybill("A-1", "SF2000000001")
    admin = acme.admin
    with pytest.raises(ValidationError):
        by_reference.allocate_for(app, admin, "manual-SF", orders=["A-1"], package_ids=[1])
    redone = by_reference.allocate_for(
        app,
        admin,
        "manual-SF",
        package_ids=[package_id],
        typed_numbers={str(package_id): "SF2000000002"},
        reallocate=True,
        reason="label torn",
    )
    assert [(o.outcome, o.number) for o in redone.report.outcomes] == [
        ("allocated", "SF2000000002")
    ]
    clerk = acme.staff("clerk", "print_operator")
    with pytest.raises(PermissionDenied):
        by_reference.allocate_for(
            app, clerk, "manual-SF", package_ids=[package_id], reallocate=True, reason="x"
        )
