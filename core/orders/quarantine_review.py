"""What an operator sees and does with quarantined orders (`core.orders.quarantine`): the
list, with why each order could not be read and how often it was tried, and discarding
one that will never read (an order the platform no longer serves, a mapping the merchant
has given up on). A discarded order is gone from the quarantine, so its shop's sync stops
retrying it; if the platform serves it again and it reads, it is stored like any order.

Listing needs `order.view`, discarding `order.import` (it decides what comes in) and a
reason; discarding is audited. The raw payload is never shown: it may hold buyer data.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select

from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.errors import NotFound, ValidationError
from core.models import QuarantinedOrder, Shop

MAX_LISTED = 1000
MAX_REASON = 500


@dataclass(frozen=True)
class QuarantinedInfo:
    shop_id: int
    shop: str
    order_number: str
    reason: str
    times_seen: int
    retries: int
    first_seen_at: datetime
    last_seen_at: datetime


def list_quarantined(
    app: App, actor: Actor, *, shop_id: int | None = None, limit: int = 100
) -> list[QuarantinedInfo]:
    """The org's quarantined orders (one shop's with `shop_id`), newest sighting first."""
    if not 1 <= limit <= MAX_LISTED:
        raise ValidationError(f"limit must be 1 to {MAX_LISTED}", field="limit")
    with app.tx() as session:
        authz.require(session, actor, "order.view")
        stmt = (
            select(QuarantinedOrder, Shop.name)
            .join(Shop, Shop.id == QuarantinedOrder.shop_id)
            .where(QuarantinedOrder.org_id == actor.org_id, Shop.org_id == actor.org_id)
            .order_by(QuarantinedOrder.last_seen_at.desc(), QuarantinedOrder.id.desc())
            .limit(limit)
        )
        if shop_id is not None:
            stmt = stmt.where(QuarantinedOrder.shop_id == shop_id)
        return [_info(q, shop) for q, shop in session.execute(stmt)]


def discard_quarantined(
    app: App, actor: Actor, shop_id: int, order_number: str, *, reason: str
) -> QuarantinedInfo:
    """Take one order out of the quarantine for good (`order.import`, audited)."""
    why = " ".join((reason or "").split())
    if not why:
        raise ValidationError("say why the order is discarded (--reason)", field="reason")
    if len(why) > MAX_REASON:
        raise ValidationError(f"reason: at most {MAX_REASON} characters", field="reason")
    with app.tx() as session:
        authz.require(session, actor, "order.import")
        found = session.execute(
            select(QuarantinedOrder, Shop.name)
            .join(Shop, Shop.id == QuarantinedOrder.shop_id)
            .where(
                QuarantinedOrder.org_id == actor.org_id,
                Shop.org_id == actor.org_id,
                QuarantinedOrder.shop_id == shop_id,
                QuarantinedOrder.platform_order_no == order_number.strip(),
            )
        ).first()
        if found is None:
            raise NotFound(f"no quarantined order {order_number.strip()[:64]} in shop {shop_id}")
        row, shop = found
        info = _info(row, shop)
        session.execute(delete(QuarantinedOrder).where(QuarantinedOrder.id == row.id))
        audit.record(
            session,
            "order.quarantine_discard",
            actor=actor,
            target_type="shop",
            target_id=shop_id,
            before={"order": info.order_number, "reason": info.reason, "retries": info.retries},
            detail=why,
        )
    return info


def _info(row: QuarantinedOrder, shop: str) -> QuarantinedInfo:
    return QuarantinedInfo(
        row.shop_id,
        shop,
        row.platform_order_no,
        row.reason,
        row.times_seen,
        row.retries,
        row.first_seen_at,
        row.last_seen_at,
    )
