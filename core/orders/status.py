"""Hub status: where an order is in *our* workflow, derived from platform state.

The platform says paid/shipped/received/cancelled and whether a refund runs; our workflow
adds 待审 → 已审 → 已打印. A platform update can move an order forward (shipped elsewhere,
cancelled, refunded) but never drags our workflow back: an audited order stays audited
while the platform still says "awaiting shipment". A refund that starts after audit or
print puts the order on hold (拦截) so nobody ships it by accident.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from core.contracts.types import OrderStatus, RefundStatus

if TYPE_CHECKING:
    from core.models import Order

PENDING = "pending"  # 待审
AUDITED = "audited"  # 已审
PRINTED = "printed"  # 已打印
SHIPPED = "shipped"  # 已发货
COMPLETED = "completed"  # 已签收
CANCELLED = "cancelled"  # 已取消
REFUNDED = "refunded"  # 已退款 (closed before shipping)

HUB_STATUSES = (PENDING, AUDITED, PRINTED, SHIPPED, COMPLETED, CANCELLED, REFUNDED)
WORKFLOW = (PENDING, AUDITED, PRINTED)
# Past audit a refund means a package may already be on its way to the packing table.
HOLD_ON_REFUND = (AUDITED, PRINTED)
REFUND_EXCEPTION = "refund_in_progress"
#: An order in one of these hub statuses is never packed or given a waybill again.
CLOSED = (CANCELLED, REFUNDED, SHIPPED, COMPLETED)
#: Nor is one whose refund is under way or done.
BLOCKING_REFUNDS = (RefundStatus.IN_PROGRESS.value, RefundStatus.REFUNDED.value)


@dataclass(frozen=True)
class Derived:
    hub_status: str
    hold: bool  # newly put on hold by this update
    hold_reason: str
    exception_reasons: tuple[str, ...]


def derive(
    current: str | None,
    status: OrderStatus,
    refund: RefundStatus,
    reasons: tuple[str, ...] = (),
) -> Derived:
    """The hub status after the platform reported `status`/`refund` for an order now at
    `current` (None for an order seen for the first time)."""
    current = current or PENDING
    refunding = refund in (RefundStatus.IN_PROGRESS, RefundStatus.REFUNDED)
    hold = refunding and current in HOLD_ON_REFUND
    reason = ""
    if hold:
        reason = (
            "退款已成功，拦截 / refunded after " + current
            if refund is RefundStatus.REFUNDED
            else "退款中，拦截 / refund started after " + current
        )
    exceptions = tuple(r for r in reasons if r != REFUND_EXCEPTION)
    if refunding and current == PENDING:
        exceptions = (*exceptions, REFUND_EXCEPTION)

    if status is OrderStatus.CANCELLED:
        hub = CANCELLED
    elif status is OrderStatus.DELIVERED:
        hub = COMPLETED
    elif status is OrderStatus.SHIPPED:
        hub = SHIPPED
    elif refund is RefundStatus.REFUNDED and current == PENDING:
        hub = REFUNDED
    elif current in WORKFLOW:
        hub = current
    else:
        hub = current  # shipped/completed/cancelled/refunded never go back to the workflow
    return Derived(hub, hold, reason, exceptions)


def blocking_reason(order: Order) -> str:
    """Why an order may not be packed or get a waybill ('' when it may): on hold, closed,
    or with a refund under way."""
    number = order.platform_order_no
    if order.on_hold:
        reason = f" ({order.hold_reason})" if order.hold_reason else ""
        return f"order {number} is on hold{reason}"
    if order.hub_status in CLOSED:
        return f"order {number} is {order.hub_status}"
    if order.refund_status in BLOCKING_REFUNDS:
        return f"order {number} has a refund {order.refund_status.replace('_', ' ')}"
    return ""


def held_for_its_waybill(
    derived: Derived, current: str | None, refund: RefundStatus
) -> Derived | None:
    """For a refund of a pending order — not held by `derive`, since no package is usually
    drawn before audit — the held variant, to use when the order has a live waybill
    (printing or drawing before audit is allowed); None when it does not apply."""
    if derived.hold or (current or PENDING) != PENDING:
        return None
    if refund not in (RefundStatus.IN_PROGRESS, RefundStatus.REFUNDED):
        return None
    reason = (
        "退款已成功，拦截 / refunded after its waybill was drawn"
        if refund is RefundStatus.REFUNDED
        else "退款中，拦截 / refund started after its waybill was drawn"
    )
    return replace(derived, hold=True, hold_reason=reason)
