"""Orders and stock (`core.stock.reservations`): approval reserves, rejection releases, an
approval beyond what is available holds the order instead (no oversell), a shipment
deducts, a cancellation or a finished refund releases; repeating changes nothing, and
the levels always prove against the ledger."""

from __future__ import annotations

import pytest
from sqlalchemy import update

from core.auditing import decisions
from core.models import Order
from core.stock import catalogue, levels, mapping, operations, reservations, warehouses
from core.stock.mapping import Part
from core.stock.operations import Line
from tests.conftest import OrgFixture
from tests.desk.world import LineSpec, OrderSpec, store_world

CUP = LineSpec("保温杯 500ml 红色 L", "sku-1", "CUP-R")
SET = LineSpec("礼盒", "sku-9", "")


@pytest.fixture
def shop(app, acme: OrgFixture):  # type: ignore[no-untyped-def]
    admin = acme.admin
    warehouses.add_warehouse(app, admin, "主仓")
    catalogue.add_sku(app, admin, "CUP-R")
    catalogue.add_sku(app, admin, "LID")
    mapping.map_platform_sku(app, admin, "pinduoduo", "sku-9", [Part("CUP-R"), Part("LID", 2)])
    operations.receive(app, admin, [Line("CUP-R", 5), Line("LID", 4)])
    specs = [OrderSpec(lines=(CUP,)), OrderSpec(lines=(SET,)), OrderSpec(lines=(SET,))]
    return store_world(app, acme.org_id, specs, prefix="RSV")


def stock(app, actor) -> dict[str, tuple[int, int]]:  # type: ignore[no-untyped-def]
    return {lv.code: (lv.on_hand, lv.reserved) for lv in levels.list_levels(app, actor)}


def numbers(app, acme) -> list[str]:  # type: ignore[no-untyped-def]
    from core.desk import search

    return sorted(r.order_no for r in search.search_orders(app, acme.admin, "").rows)


def test_approval_reserves_rejection_releases_and_short_stock_holds(
    app, acme: OrgFixture, shop
) -> None:
    admin = acme.admin
    cup, first_set, second_set = numbers(app, acme)
    decisions.approve(app, admin, [cup, first_set])
    assert stock(app, admin) == {"CUP-R": (5, 2), "LID": (4, 2)}
    decisions.approve(app, admin, [second_set])  # LID: 2 available, 2 wanted: fits
    assert stock(app, admin) == {"CUP-R": (5, 3), "LID": (4, 4)}
    decisions.reject(app, admin, [first_set], "客户要改地址")
    assert stock(app, admin) == {"CUP-R": (5, 2), "LID": (4, 2)}

    operations.count(app, admin, [Line("LID", 2)])  # two lids broke: available 0
    decisions.approve(app, admin, [first_set])
    assert stock(app, admin) == {"CUP-R": (5, 2), "LID": (2, 2)}  # nothing more reserved
    with app.tx() as session:
        held = session.query(Order).filter_by(platform_order_no=first_set).one()
        assert held.hub_status == "audited" and held.on_hold
        assert held.hold_reason.startswith("库存不足 / insufficient stock: LID")
    assert levels.verify(app, admin) == []


def test_shipment_deducts_and_cancellation_or_refund_releases(app, acme: OrgFixture, shop) -> None:
    admin = acme.admin
    cup, first_set, second_set = numbers(app, acme)
    decisions.approve(app, admin, [cup, first_set, second_set])
    ids = {}
    with app.tx() as session:
        for order in session.query(Order).filter(Order.org_id == acme.org_id):
            ids[order.platform_order_no] = order.id

    def becomes(number: str, **values: object) -> None:
        with app.tx() as session:
            session.execute(update(Order).where(Order.id == ids[number]).values(**values))
            reservations.reconcile(session, acme.org_id, [ids[number]], "test")

    becomes(cup, hub_status="shipped")
    assert stock(app, admin) == {"CUP-R": (4, 2), "LID": (4, 4)}
    becomes(first_set, hub_status="cancelled")
    assert stock(app, admin) == {"CUP-R": (4, 1), "LID": (4, 2)}
    becomes(second_set, refund_status="refunded")  # audited, held, its refund done
    assert stock(app, admin) == {"CUP-R": (4, 0), "LID": (4, 0)}

    with app.tx() as session:  # again: nothing left to do
        again = reservations.reconcile(session, acme.org_id, list(ids.values()), "test")
    assert (again.moves, again.held, again.short) == (0, [], [])
    assert levels.verify(app, admin) == []


def test_an_org_without_stock_keeping_is_left_alone(app, globex: OrgFixture) -> None:
    store_world(app, globex.org_id, [OrderSpec(lines=(CUP,))], prefix="NS")
    with app.tx() as session:
        order_id = session.query(Order.id).filter(Order.org_id == globex.org_id).scalar()
        done = reservations.reconcile(session, globex.org_id, [order_id], "test")
    assert done.moves == 0


def test_stock_arriving_lifts_the_holds_it_now_covers_oldest_first(
    app, acme: OrgFixture, shop
) -> None:
    admin = acme.admin
    _cup, first_set, second_set = numbers(app, acme)
    operations.count(app, admin, [Line("LID", 0)])  # no lids at all
    decisions.approve(app, admin, [first_set, second_set])

    def hold(number: str) -> tuple[bool, str]:
        with app.tx() as session:
            order = session.query(Order).filter_by(platform_order_no=number).one()
            return order.on_hold, order.hold_reason

    assert hold(first_set)[0] and hold(second_set)[0]
    operations.receive(app, admin, [Line("LID", 3)])  # enough for one set (2 lids each)
    held = [n for n in (first_set, second_set) if hold(n)[0]]
    assert len(held) == 1 and hold(held[0])[1].startswith("库存不足")
    assert stock(app, admin) == {"CUP-R": (5, 1), "LID": (3, 2)}
    operations.receive(app, admin, [Line("LID", 1)])
    assert not hold(first_set)[0] and not hold(second_set)[0]
    assert stock(app, admin) == {"CUP-R": (5, 2), "LID": (4, 4)}
    assert levels.verify(app, admin) == []


def test_a_stock_hold_holds_the_packages_and_leaves_a_trail_and_so_does_its_lifting(
    app, acme: OrgFixture, shop
) -> None:
    from core.accounts import audit
    from core.models import Package, PackageLine
    from core.orders import packages

    admin = acme.admin
    _cup, first_set, _second = numbers(app, acme)
    ids = packages.packages_for_orders(app, admin, [first_set])
    assert packages.ensure_packages(app, admin, ids.values()).created == 1  # before approval
    operations.count(app, admin, [Line("LID", 0)])
    decisions.approve(app, admin, [first_set])

    def package_of(number: str) -> tuple[str, str]:
        with app.tx() as session:
            package = (
                session.query(Package)
                .join(PackageLine, PackageLine.package_id == Package.id)
                .join(Order, Order.id == PackageLine.order_id)
                .filter(Order.platform_order_no == number)
                .one()
            )
            return package.status, package.hold_reason

    assert package_of(first_set) == ("on_hold", "库存不足 / insufficient stock: LID")
    with app.tx() as session:
        held = audit.events(session, acme.org_id, action="order.hold")
        assert [(e.detail, e.actor_label, e.after) for e in held] == [
            (
                first_set,
                admin.label,
                {"on_hold": True, "reason": "库存不足 / insufficient stock: LID"},
            )
        ]

    operations.receive(app, admin, [Line("LID", 2)])
    assert package_of(first_set) == ("new", "")
    with app.tx() as session:
        lifted = audit.events(session, acme.org_id, action="order.release")
        assert [(e.detail, e.before) for e in lifted] == [
            (first_set, {"on_hold": True, "hold_reason": "库存不足 / insufficient stock: LID"})
        ]
    assert levels.verify(app, admin) == []
