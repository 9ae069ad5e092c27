"""Print selection leaves out orders that job creation would refuse (hold, refunds)."""

from __future__ import annotations

from sqlalchemy import update

from core.contracts.types import RefundStatus
from core.models import Order
from core.printing.selection import select_order_ids
from tests.desk.world import BASE, OrderSpec, store_world
from tests.test_order_store import make_order, shop, store  # noqa: F401


def test_refunding_and_held_orders_are_not_selected(app, acme, shop) -> None:  # noqa: F811
    store(
        app,
        shop,
        [
            make_order("S1"),
            make_order("S2", refund_status=RefundStatus.IN_PROGRESS),
            make_order("S3", refund_status=RefundStatus.REFUNDED),
            make_order("S4"),
        ],
    )
    with app.tx() as s:
        s.execute(update(Order).where(Order.platform_order_no == "S4").values(on_hold=True))
    with app.tx() as s:
        ids = select_order_ids(s, acme.admin, "limit=10")
        numbers = {s.get(Order, i).platform_order_no for i in ids}
    assert numbers == {"S1"}


def test_the_desk_language_and_the_old_form_select_the_same(app, acme) -> None:
    orders = store_world(
        app,
        acme.org_id,
        [
            OrderSpec(hub="audited", paid=BASE, place=2),
            OrderSpec(hub="audited", paid=BASE, place=0),
            OrderSpec(hub="audited", paid=BASE, place=2, on_hold=True),
            OrderSpec(hub="audited", paid=BASE, place=2, print_state="done"),
            OrderSpec(hub="pending", paid=BASE, place=2),
        ],
    ).orders
    with app.tx() as s:
        new = select_order_ids(s, acme.admin, "status:audited province:广东省")
        old = select_order_ids(s, acme.admin, "status=audited province=广东省 paid_from=2026-11-20")
        held = select_order_ids(s, acme.admin, "hold:yes")
        again = select_order_ids(s, acme.admin, "status:audited printed:yes")
        default = select_order_ids(s, acme.admin, "province:广东省")
    assert new == old == [orders[0].order_id]
    assert held == []  # on hold is never printable, whatever the filter says
    assert again == [orders[3].order_id]
    assert default == [orders[0].order_id, orders[4].order_id]  # 待审 and 已审, unprinted
