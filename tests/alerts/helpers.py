"""Shared set-up of the alert tests: shops, orders with a promised ship-by time, alerts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from core.models import Alert, AuditEvent, Order, Shop


def make_shop(app, org_id: int, name: str = "杯子店", platform_shop_id: str = "9001") -> int:
    with app.tx() as session:
        shop = Shop(
            org_id=org_id, platform="pinduoduo", platform_shop_id=platform_shop_id, name=name
        )
        session.add(shop)
        session.flush()
        return shop.id


def make_order(
    app, org_id: int, shop_id: int, number: str, promised: datetime | None, **values
) -> int:
    with app.tx() as session:
        order = Order(
            org_id=org_id,
            shop_id=shop_id,
            platform_order_no=number,
            promised_ship_by=promised,
            receiver_name="王小明",
            receiver_phone="13812345678",
            receiver_address="文三路 90 号",
            receiver_name_masked="王**",
            **values,
        )
        session.add(order)
        session.flush()
        return order.id


def stored_alerts(app) -> list[Alert]:
    with app.tx() as session:
        return list(session.scalars(select(Alert).order_by(Alert.id)))


def audit_actions(app, action: str) -> list[AuditEvent]:
    with app.tx() as session:
        return list(
            session.scalars(
                select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        )
