"""Fixtures for the 审单 tests: a shop in acme (and one in globex), orders stored through
the order store as sync stores them, and the rules run on them as arrival runs them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core.auditing import engine
from core.contracts.types import (
    Contact,
    OrderStatus,
    PlatformOrder,
    PlatformOrderLine,
    RefundStatus,
)
from core.models import Order, Shop
from core.orders import store as order_store

PAID = datetime(2026, 11, 27, 1, 0, tzinfo=UTC)  # an hour before the frozen clock


def make_shop(app, org_id: int, owner: str, name: str = "杯子店") -> int:
    with app.tx() as session:
        shop = Shop(org_id=org_id, platform="pinduoduo", platform_shop_id=owner, name=name)
        session.add(shop)
        session.flush()
        return shop.id


@pytest.fixture
def shop(app, acme) -> int:
    return make_shop(app, acme.org_id, "9001")


@pytest.fixture
def other_shop(app, globex) -> int:
    return make_shop(app, globex.org_id, "9002", "globex店")


def receiver(**changes) -> Contact:
    values = dict(
        name="王小明",
        phone="13812345678",
        province="浙江省",
        city="杭州市",
        district="西湖区",
        address="文三路 90 号 东部软件园 3 号楼",
    )
    values.update(changes)
    return Contact(**values)


def make_order(number: str, minutes: int = 0, **changes) -> PlatformOrder:
    values = dict(
        order_number=number,
        status=OrderStatus.AWAITING_SHIPMENT,
        refund_status=RefundStatus.NONE,
        created_at=PAID,
        paid_at=PAID,
        updated_at=PAID + timedelta(minutes=minutes),
        receiver=receiver(name=f"买家{number}"),
        lines=(PlatformOrderLine(sku_id="sku-1", title="保温杯", quantity=2, unit_price_fen=3990),),
        goods_fen=7980,
        paid_fen=7980,
    )
    values.update(changes)
    return PlatformOrder(**values)


def store(app, org_id: int, shop_id: int, orders, source: str = "sync") -> dict[str, int]:
    """Store orders without running the rules; number → id."""
    with app.tx() as session:
        result = order_store.upsert_orders(
            session, app.keyring, org_id=org_id, shop_id=shop_id, orders=orders, source=source
        )
        return dict(result.stored)


def check(app, org_id: int, ids, **options) -> engine.CheckReport:
    with app.tx() as session:
        return engine.check_orders(session, org_id, ids, **options)


def order(app, shop_id: int, number: str) -> Order:
    with app.tx() as session:
        return session.scalars(
            select(Order).where(Order.shop_id == shop_id, Order.platform_order_no == number)
        ).one()
