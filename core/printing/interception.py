"""退款拦截 before labels go out: the platform's live refund status for a print batch.

A refund the buyer asks for between the last sync and the print would otherwise get a
label printed and, on a busy afternoon, a parcel packed. Before a runner sends the labels
of a job, `intercept` asks each shop's platform for the live status of the orders still to
print (one `fetch_order_statuses` per 100 orders: Pinduoduo's `pdd.order.status.get`).
An order the platform says is refunding, refunded or cancelled is stored so at once — its
refund status, on hold with the reason, its packages held (`core.orders.package_holds`) —
and one critical alert names them; the runner's own check (`documents.problem`) then fails
those labels with the reason instead of printing them.

The check is a safety net, not a gate: when a platform cannot be asked (an outage, no
status call), the batch prints and the job says so; the pack station and ship-back check
again before anything leaves.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select

from core.alerts.raising import raise_alert
from core.app import App
from core.contracts.platform import OrderStatusInfo
from core.contracts.types import OrderStatus
from core.models import Order, PackageLine, PrintJobItem, Shop
from core.orders import status as order_status
from core.orders.package_holds import hold_packages
from core.shops.calls import ShopCalls
from core.shops.tokens import platform_for

log = logging.getLogger("orderhub.printing")

HOLD_REASON = "退款拦截（打印前核对）/ refund found before printing"
#: Platform answers that stop a label: a refund under way or done, or the order closed.
_STOPPING_REFUNDS = frozenset(order_status.BLOCKING_REFUNDS)


@dataclass
class Interception:
    """What the check found: orders held (number → why) and shops it could not ask."""

    held: dict[str, str] = field(default_factory=dict)
    unchecked: dict[int, str] = field(default_factory=dict)  # shop id → why

    def message(self) -> str:
        parts = []
        if self.held:
            shown = ", ".join(sorted(self.held)[:5]) + (" …" if len(self.held) > 5 else "")
            parts.append(f"退款拦截 {len(self.held)} 单，不打印 / {len(self.held)} held: {shown}")
        for shop_id, why in sorted(self.unchecked.items()):
            parts.append(f"shop {shop_id}: live refund check failed ({why}); printing anyway")
        return "; ".join(parts)


def intercept(app: App, org_id: int, job_id: int) -> Interception:
    """Ask the platforms about the job's orders still to print; hold the refunded ones."""
    result = Interception()
    for shop_id, platform_name, numbers in _orders_to_check(app, org_id, job_id):
        try:
            platform = platform_for(app, platform_name)
            try:
                statuses = ShopCalls(app, shop_id, platform).statuses(numbers)
            finally:
                close = getattr(platform, "close", None)
                if callable(close):
                    close()
        except Exception as exc:  # the platform, not the batch: print and say so
            log.warning("shop %s: live refund check before printing failed: %s", shop_id, exc)
            result.unchecked[shop_id] = str(exc).splitlines()[0][:200] if str(exc) else "error"
            continue
        stopped = {n: info for n, info in statuses.items() if _stops(info)}
        if stopped:
            result.held.update(_hold(app, org_id, shop_id, stopped))
    if result.held:
        raise_alert(
            app,
            org_id,
            "print.refund_intercepted",
            "critical",
            f"打印前发现退款，已拦截 {len(result.held)} 单: {', '.join(sorted(result.held)[:10])}"
            f" / refunds found before printing job {job_id}: those labels were not printed",
        )
    return result


def _stops(info: OrderStatusInfo) -> bool:
    return info.refund_status.value in _STOPPING_REFUNDS or info.status is OrderStatus.CANCELLED


def _orders_to_check(app: App, org_id: int, job_id: int) -> list[tuple[int, str, list[str]]]:
    """(shop id, platform, order numbers) of the job's queued items' orders that may
    still print: not held, not closed, in shops of a platform."""
    with app.tx() as session:
        rows = session.execute(
            select(Order.shop_id, Shop.platform, Order.platform_order_no)
            .join(PackageLine, PackageLine.order_id == Order.id)
            .join(PrintJobItem, PrintJobItem.package_id == PackageLine.package_id)
            .join(Shop, Shop.id == Order.shop_id)
            .where(
                PrintJobItem.job_id == job_id,
                PrintJobItem.state == "queued",
                Order.org_id == org_id,
                Order.on_hold.is_(False),
                Order.hub_status.not_in(order_status.CLOSED),
                Shop.platform != "",
            )
            .distinct()
        ).all()
        by_shop: dict[tuple[int, str], list[str]] = defaultdict(list)
        for shop_id, platform, number in rows:
            by_shop[(shop_id, platform)].append(number)
        # A shop never bound (orders imported from files) has nobody to ask.
        bound = {
            shop.id
            for shop in session.scalars(
                select(Shop).where(Shop.id.in_({shop for shop, _ in by_shop}))
            )
            if shop.status != "unbound" and (shop.credentials or {}).get("access_token")
        }
    return [
        (shop, platform, sorted(numbers))
        for (shop, platform), numbers in by_shop.items()
        if shop in bound
    ]


def _hold(
    app: App, org_id: int, shop_id: int, stopped: dict[str, OrderStatusInfo]
) -> dict[str, str]:
    """Store what the platform said and hold the orders and their packages."""
    held: dict[str, str] = {}
    with app.tx() as session:
        orders = session.scalars(
            select(Order)
            .where(
                Order.org_id == org_id,
                Order.shop_id == shop_id,
                Order.platform_order_no.in_(list(stopped)),
                Order.on_hold.is_(False),
            )
            .with_for_update()
        ).all()
        for order in orders:
            info = stopped[order.platform_order_no]
            order.refund_status = info.refund_status.value
            order.on_hold, order.hold_reason = True, HOLD_REASON
            held[order.platform_order_no] = (
                f"platform says {info.status.value}, refund {info.refund_status.value}"
            )
        session.flush()
        hold_packages(session, [o.id for o in orders], HOLD_REASON)
    return held
