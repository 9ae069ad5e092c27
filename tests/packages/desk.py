"""Orders for package tests, stored by the real order store in a plain shop row: several
orders of one receiver (merge candidates), others of another receiver or shop."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from core.app import App
from core.contracts import Contact
from core.contracts.types import OrderStatus, PlatformOrder, PlatformOrderLine, RefundStatus
from core.models import AuditEvent, Order, Shop
from core.orders import packages
from core.orders import store as order_store
from core.waybills import allocation, carrier_accounts
from tests.conftest import OrgFixture

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
LI = Contact(
    name="李小龙",
    phone="13912345678",
    province="浙江省",
    city="杭州市",
    district="西湖区",
    address="文三路 90 号 3 号楼",
)
WANG = replace(LI, name="王小明", phone="13800001111", address="天目山路 1 号")


def make_order(
    number: str, receiver: Contact = LI, lines: tuple[tuple[str, int], ...] = (("杯子", 2),), **kw
) -> PlatformOrder:
    values = dict(
        order_number=number,
        status=OrderStatus.AWAITING_SHIPMENT,
        refund_status=RefundStatus.NONE,
        created_at=T0,
        updated_at=T0 + timedelta(minutes=1),
        paid_at=T0,
        receiver=receiver,
        lines=tuple(
            PlatformOrderLine(
                sku_id=f"sku-{n}",
                outer_id=f"SKU-{title}",
                title=title,
                quantity=q,
                unit_price_fen=1000,
            )
            for n, (title, q) in enumerate(lines, start=1)
        ),
        goods_fen=1000,
        paid_fen=1000,
    )
    values.update(kw)
    return PlatformOrder(**values)


@dataclass
class Desk:
    app: App
    org: OrgFixture

    def shop(self, name: str = "杯子店", platform_shop_id: str = "9001") -> int:
        with self.app.tx() as s:
            row = Shop(
                org_id=self.org.org_id,
                platform="pinduoduo",
                platform_shop_id=platform_shop_id,
                name=name,
            )
            s.add(row)
            s.flush()
            return row.id

    def store(self, shop_id: int, *orders: PlatformOrder, source: str = "import") -> None:
        with self.app.tx() as s:
            order_store.upsert_orders(
                s,
                self.app.keyring,
                org_id=self.org.org_id,
                shop_id=shop_id,
                orders=list(orders),
                source=source,
            )

    def order(self, number: str) -> Order:
        with self.app.tx() as s:
            return s.scalars(select(Order).where(Order.platform_order_no == number)).one()

    def change(self, number: str, **values: object) -> None:
        with self.app.tx() as s:
            order = s.scalars(select(Order).where(Order.platform_order_no == number)).one()
            for key, value in values.items():
                setattr(order, key, value)

    def manual_account(self, name: str = "manual-SF", wp_code: str = "SF") -> str:
        sender = replace(WANG, name="王仓管", phone="13800138000")
        carrier_accounts.create_account(
            self.app, self.org.admin, name=name, carrier="manual", wp_code=wp_code, sender=sender
        )
        return name

    def waybill(self, number: str, tracking: str, account: str = "manual-SF") -> int:
        """Pack the order and give its package a typed waybill; the package id."""
        order_id = self.order(number).id
        package_id = packages.ensure_packages(
            self.app, self.org.admin, [order_id]
        ).package_of_order[order_id]
        report = allocation.allocate(
            self.app, self.org.admin, [package_id], account, typed_numbers={package_id: tracking}
        )
        assert report.outcomes[0].outcome == "allocated", report.outcomes
        return package_id

    def events(self, action: str) -> list[AuditEvent]:
        with self.app.tx() as s:
            return list(
                s.scalars(
                    select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
                )
            )
