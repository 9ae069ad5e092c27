"""Print selection leaves out orders that job creation would refuse (hold, refunds)."""

from __future__ import annotations

from sqlalchemy import update

from core.contracts.types import RefundStatus
from core.models import Order
from core.printing.selection import select_order_ids
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
