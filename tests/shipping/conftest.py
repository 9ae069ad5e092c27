"""A small shipping world on each backend: a shop, orders typed by hand (their lines carry
merchant codes), their default packages, and a `manual` carrier account for SF."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import update

from core.actor import Actor
from core.app import App
from core.contracts import Contact
from core.desk import manual
from core.models import Package, Shop
from core.orders import packages
from core.waybills import carrier_accounts
from tests.conftest import OrgFixture

SENDER = Contact(
    name="王仓管",
    phone="13800138000",
    province="浙江省",
    city="杭州市",
    district="余杭区",
    address="仓前街道1号",
)
CUP = manual.ManualLine("保温杯 红色", "CUP-R", 2, "39.90")
LID = manual.ManualLine("杯盖", "LID", 1, "5.00")


@dataclass
class ShipWorld:
    app: App
    org: OrgFixture
    shop_id: int
    account: str

    @property
    def admin(self) -> Actor:
        return self.org.admin

    def order(self, *lines: manual.ManualLine, number: str | None = None) -> str:
        made = manual.create_manual_order(
            self.app,
            self.admin,
            self.shop_id,
            name="李四",
            phone="13900139000",
            province="广东省",
            city="深圳市",
            district="南山区",
            address="科技路1号",
            lines=list(lines or (CUP, LID)),
            number=number,
        )
        return made.order_number

    def package(self, order_number: str) -> int:
        ids = packages.packages_for_orders(self.app, self.admin, [order_number])
        packed = packages.ensure_packages(self.app, self.admin, list(ids.values()))
        return packed.package_of_order[ids[order_number]]

    def set_package(self, package_id: int, **values: object) -> None:
        """What another part of the product does to a package (refund interception)."""
        with self.app.tx() as session:
            session.execute(update(Package).where(Package.id == package_id).values(**values))


def make_world(app: App, org: OrgFixture, platform_shop_id: str = "9001") -> ShipWorld:
    with app.tx() as session:
        shop = Shop(
            org_id=org.org_id,
            platform="pinduoduo",
            platform_shop_id=platform_shop_id,
            name="杯子店",
        )
        session.add(shop)
        session.flush()
        shop_id = shop.id
    account = carrier_accounts.create_account(
        app, org.admin, name="顺丰", carrier="manual", wp_code="SF", sender=SENDER
    )
    return ShipWorld(app, org, shop_id, account.name)


@pytest.fixture
def world(app: App, acme: OrgFixture) -> ShipWorld:
    return make_world(app, acme)
