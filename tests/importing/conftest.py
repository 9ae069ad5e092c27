"""Fixtures for import tests: a Pinduoduo shop in acme (and one in globex), helpers to
import bytes and to read back what was stored."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from core.importing import service
from core.models import AuditEvent, Order, Shop


def make_shop(app, org_id: int, name: str, platform_shop_id: str) -> int:
    with app.tx() as session:
        shop = Shop(
            org_id=org_id, platform="pinduoduo", platform_shop_id=platform_shop_id, name=name
        )
        session.add(shop)
        session.flush()
        return shop.id


@pytest.fixture
def shop(app, acme) -> int:
    return make_shop(app, acme.org_id, "杯子旗舰店", "9001")


@pytest.fixture
def other_shop(app, globex) -> int:
    return make_shop(app, globex.org_id, "globex店", "9002")


def run_import(app, actor, shop_id: int, data: bytes, filename: str = "orders.csv", **options):
    return service.import_orders(app, actor, shop_id, io.BytesIO(data), filename, **options)


def order_count(app, shop_id: int | None = None) -> int:
    with app.tx() as session:
        stmt = select(func.count()).select_from(Order)
        if shop_id is not None:
            stmt = stmt.where(Order.shop_id == shop_id)
        return session.scalar(stmt)


def stored_orders(app, shop_id: int) -> dict[str, Order]:
    with app.tx() as session:
        rows = session.scalars(select(Order).where(Order.shop_id == shop_id))
        return {o.platform_order_no: o for o in rows}


def import_events(app, org_id: int) -> list[AuditEvent]:
    with app.tx() as session:
        return list(
            session.scalars(
                select(AuditEvent)
                .where(AuditEvent.org_id == org_id, AuditEvent.action == "order.import")
                .order_by(AuditEvent.id)
            )
        )
