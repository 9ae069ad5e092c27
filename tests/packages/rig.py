"""The print rig with orders of one receiver: sandbox orders fetched by the real client,
all given the first one's receiver (as a buyer ordering twice), stored by the real store.
The sandbox still knows each order, so its waybill service accepts a package of several."""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy import select

from core.models import Order
from core.orders.store import upsert_orders
from core.shops.tokens import access_token_for
from plugins.platforms.pinduoduo.platform import PinduoduoPlatform
from tests.printing.rig import PrintRig
from tests.waybills.rig import platform_settings


class MergeRig(PrintRig):
    def same_receiver(self, count: int, index: int = 0) -> dict[str, int]:
        """`count` awaiting-shipment orders of one receiver: number → order id."""
        owner = self.owner(index)
        shop_id = self.shop_ids.get(owner) or self.bind(index)
        wanted = self.order_numbers(index)[:count]
        token = access_token_for(self.app, shop_id)
        with PinduoduoPlatform(platform_settings(self.server)) as platform:
            found = [platform.order_detail(token, sn) for sn in wanted]
        found = [replace(o, receiver=found[0].receiver) for o in found]
        with self.app.tx() as session:
            upsert_orders(
                session, self.app.keyring, org_id=self.org.org_id, shop_id=shop_id, orders=found
            )
        with self.app.tx() as session:
            rows = session.execute(
                select(Order.platform_order_no, Order.id).where(Order.platform_order_no.in_(wanted))
            ).all()
        ids = dict(rows)
        return {n: ids[n] for n in wanted}

    def sandbox_order_sns(self) -> dict[str, list[str]]:
        """The platform's ledger: waybill number → the order numbers it was drawn for."""
        book = self.sandbox.waybills
        with book.lock:
            return {w.waybill_code: list(w.order_sns) for w in book.waybills.values()}
