"""`core.desk.show.order_packages`: one order's packages, in id order, with every line of
a merged package and cancelled ones; another org's order is not found."""

from __future__ import annotations

import pytest

from core.desk.show import order_packages
from core.errors import NotFound, PermissionDenied
from core.orders import merging, splitting
from tests.packages.desk import make_order


def test_an_orders_packages(desk, globex) -> None:  # type: ignore[no-untyped-def]
    shop = desk.shop()
    desk.store(shop, make_order("A1"), make_order("A2", lines=(("勺子", 3),)))
    admin = desk.org.admin
    assert order_packages(desk.app, admin, "A1") == ()
    merged = merging.merge(desk.app, admin, ["A1", "A2"])
    (package,) = order_packages(desk.app, admin, "A2")
    assert (package.id, package.status, package.lines) == (
        merged.package_id,
        "new",
        (("A1", 1, 2), ("A2", 1, 3)),
    )
    splitting.unmerge(desk.app, admin, package_id=merged.package_id)
    assert [p.lines for p in order_packages(desk.app, admin, "A2")] == [(("A2", 1, 3),)]
    with pytest.raises(NotFound):
        order_packages(desk.app, globex.admin, "A1")
    with pytest.raises(PermissionDenied):
        order_packages(desk.app, desk.org.staff("guest"), "A1")
