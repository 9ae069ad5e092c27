"""The audit's verdict written with the insert (`core.auditing.admission`) says exactly
what the usual path says — store, then `engine.check_orders` — order by order: the same
batch stored in two orgs set up alike, one with the precheck, one without."""

from __future__ import annotations

import pickle
from collections import Counter
from datetime import timedelta

import pytest
from sqlalchemy import select

from core.auditing import precheck
from core.auditing.admission import Admission
from core.auditing.settings import update as update_rules
from core.contracts.types import OrderStatus, RefundStatus
from core.models import AuditEvent, Order, Package, PackageLine
from core.orders import store as order_store
from tests.auditing.conftest import PAID, make_order, make_shop, receiver
from tests.conftest import OrgFixture

SETTINGS = {
    "defaults": {},
    "a wait after payment": {"wait_minutes": 30},
    "merge rule off": {"mergeable": False},
    "auto-merge": {"auto_merge": True},
    "no auto-approval": {"auto_approve": False},
}


def _before() -> list:
    """Orders stored before the batch, in the first shop."""
    return [
        make_order("P-PENDING", receiver=receiver(name="老客一"), buyer_memo="周末送"),
        make_order("P-AUDITED", receiver=receiver(name="老客二")),
        make_order("P-UPDATED", receiver=receiver(name="老客三"), buyer_memo="改地址"),
    ]


def _batch() -> list:
    sealed = receiver(name="~AgAAAA~", phone="$1381$", address="~AgAAAB~", encrypted=True)
    return [
        make_order("N-CLEAN"),
        make_order("N-MEMO", buyer_memo="请发顺丰"),
        make_order("N-FLAG", remark_flag="red"),
        make_order("N-PHONE", receiver=receiver(name="坏号码", phone="12345")),
        make_order("N-DISTRICT", receiver=receiver(name="坏区", district="不存在区")),
        make_order("N-REFUND", refund_status=RefundStatus.IN_PROGRESS),
        make_order("N-SHIPPED", status=OrderStatus.SHIPPED),
        make_order("N-CANCELLED", status=OrderStatus.CANCELLED),
        make_order("N-SEALED", receiver=sealed),
        make_order("N-LATE", paid_at=PAID + timedelta(minutes=59)),
        make_order("DUP-1"),
        make_order("N-PARTNER-1", receiver=receiver(name="老客一")),
        make_order("N-PARTNER-2", receiver=receiver(name="老客二")),
        make_order("N-PARTNER-3", receiver=receiver(name="老客三")),
        make_order("N-PAIR-A", receiver=receiver(name="新客")),
        make_order("N-PAIR-B", receiver=receiver(name="新客")),
        # A newer copy of a stored order: an update in the same batch as its partner.
        make_order("P-UPDATED", minutes=5, receiver=receiver(name="老客三"), buyer_memo="改地址"),
    ]


def _stage(app, org: OrgFixture, owner: str, rules: dict, *, with_precheck: bool) -> int:
    """An org's two shops, its rule set, the orders before; then the batch. Shop id."""
    shop = make_shop(app, org.org_id, owner)
    other = make_shop(app, org.org_id, owner + "-2", "第二家店")
    if rules:
        update_rules(app, org.admin, rules)
    _arrive(app, org.org_id, other, [make_order("DUP-1")], with_precheck=True)
    _arrive(app, org.org_id, shop, _before(), with_precheck=False)
    _arrive(app, org.org_id, shop, _batch(), with_precheck=with_precheck)
    return shop


def _arrive(app, org_id: int, shop_id: int, orders, *, with_precheck: bool) -> None:
    with app.tx() as session:
        admission = Admission(session, org_id)
        encoder = order_store.encoder_for(
            session,
            app.keyring,
            org_id=org_id,
            shop_id=shop_id,
            source="sync",
            precheck=admission.precheck if with_precheck else None,
        )
        admission.store(encoder, encoder.encode(orders))


def _outcome(app, shop_id: int) -> dict[str, tuple]:
    with app.tx() as session:
        orders = session.scalars(select(Order).where(Order.shop_id == shop_id)).all()
        numbers = {o.id: o.platform_order_no for o in orders}
        members: dict[int, set[str]] = {}
        for order_id, package_id in session.execute(
            select(PackageLine.order_id, PackageLine.package_id)
            .join(Package, Package.id == PackageLine.package_id)
            .where(Package.status != "cancelled", PackageLine.order_id.in_(list(numbers)))
        ):
            members.setdefault(package_id, set()).add(numbers[order_id])
        packed = {  # order id → the numbers packed with it
            order_id: frozenset(m - {numbers[order_id]})
            for m in members.values()
            for order_id, number in numbers.items()
            if number in m and len(m) > 1
        }
        approvals = Counter(
            session.scalars(
                select(AuditEvent.target_id).where(AuditEvent.action == "order.approve")
            )
        )
        return {
            o.platform_order_no: (
                o.hub_status,
                list(o.exception_reasons or []),
                o.in_exception,
                o.rules_checked_at is not None,
                o.audited_at is not None,
                approvals[str(o.id)],
                packed.get(o.id, frozenset()),
            )
            for o in orders
        }


@pytest.mark.parametrize("rules", list(SETTINGS.values()), ids=list(SETTINGS))
def test_the_verdict_written_with_the_insert_is_the_usual_one(app, frozen_clock, rules):
    usual = OrgFixture(app, "usual", "boss1")
    admitted = OrgFixture(app, "admitted", "boss2")
    usual_shop = _stage(app, usual, "7001", rules, with_precheck=False)
    admitted_shop = _stage(app, admitted, "8001", rules, with_precheck=True)
    expected, got = _outcome(app, usual_shop), _outcome(app, admitted_shop)
    assert got == expected
    # The cases the batch was built for did happen.
    if not rules:
        assert expected["N-CLEAN"][0] == "audited"
        assert expected["N-SEALED"][0] == "audited"
        assert expected["DUP-1"][1] == ["duplicate_order"]
        assert "mergeable" in expected["P-PENDING"][1]
        assert expected["N-PAIR-A"][1] == ["mergeable"] == expected["N-PAIR-B"][1]
        assert expected["N-PARTNER-2"][1] == ["mergeable"]
        assert expected["P-AUDITED"][0] == "audited"
        assert "mergeable" in expected["P-UPDATED"][1]
    if rules == {"auto_merge": True}:
        assert expected["N-PAIR-A"][6] == frozenset({"N-PAIR-B"})
    if rules == {"wait_minutes": 30}:  # paid an hour ago passes, a minute ago waits
        assert expected["N-CLEAN"][0] == "audited"
        assert expected["N-LATE"][:2] == ("pending", [])


def test_a_verdict_of_an_older_rule_set_is_not_used(app, acme, frozen_clock):
    shop = make_shop(app, acme.org_id, "9001")
    with app.tx() as session:
        stale = precheck.for_org(session, acme.org_id)
    update_rules(app, acme.admin, {"buyer_memo": False})
    with app.tx() as session:
        admission = Admission(session, acme.org_id)
        encoder = order_store.encoder_for(
            session, app.keyring, org_id=acme.org_id, shop_id=shop, source="sync", precheck=stale
        )
        prepared = encoder.encode([make_order("M1", buyer_memo="请发顺丰")])
        assert prepared[0].verdict.reasons == ("buyer_memo",)  # the old rule set said so
        admission.store(encoder, prepared)
    with app.tx() as session:
        stored = session.scalars(select(Order).where(Order.platform_order_no == "M1")).one()
        assert (stored.hub_status, stored.exception_reasons) == ("audited", [])


def test_an_encoder_with_its_precheck_travels_to_another_process(app, acme):
    with app.tx() as session:
        encoder = order_store.encoder_for(
            session,
            app.keyring,
            org_id=acme.org_id,
            shop_id=1,
            source="sync",
            precheck=precheck.for_org(session, acme.org_id),
        )
    copy = pickle.loads(pickle.dumps(encoder))
    [prepared] = copy.encode([make_order("T1", buyer_memo="急")])
    assert prepared.verdict.reasons == ("buyer_memo",)
    assert pickle.loads(pickle.dumps(prepared)).verdict == prepared.verdict


@pytest.mark.parametrize("with_precheck", [True, False], ids=["admitted", "usual"])
def test_an_order_approved_on_arrival_reserves_its_stock_either_way(
    app, acme, frozen_clock, with_precheck: bool
):
    from core.stock import catalogue, levels, mapping, operations, warehouses
    from core.stock.mapping import Part
    from core.stock.operations import Line

    warehouses.add_warehouse(app, acme.admin, "主仓")
    catalogue.add_sku(app, acme.admin, "CUP")
    mapping.map_platform_sku(app, acme.admin, "pinduoduo", "sku-1", [Part("CUP")])
    operations.receive(app, acme.admin, [Line("CUP", 5)])
    shop = make_shop(app, acme.org_id, "9001")
    _arrive(app, acme.org_id, shop, [make_order("S-1")], with_precheck=with_precheck)
    with app.tx() as session:
        stored = session.scalars(select(Order).where(Order.platform_order_no == "S-1")).one()
        assert stored.hub_status == "audited"
    (level,) = levels.list_levels(app, acme.admin)
    assert (level.on_hand, level.reserved) == (5, 2)
    assert levels.verify(app, acme.admin) == []
