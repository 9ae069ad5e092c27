"""挂起 / 释放: putting orders on hold and releasing them, many at once, with a reason.

An order on hold is never packed, given a waybill or printed (`core.orders.status.
blocking_reason`), and its packages already drawn or printed are held with it
(`core.holds.packages`), so a hold is how an operator stops an order that must wait: the buyer
asked to change something, stock is short, a refund is being talked about. A release
lifts it — but not while the platform says a refund is under way or done: the store puts
such orders on hold itself (拦截), and releasing one would send goods the buyer is being
refunded for. Those are refused, named with the reason, while the rest of the batch is
released; the refund ending (a sync) is what clears the way.

Orders named that are not the org's fail the whole call (nothing changes). One audit
event is written per call, naming every order changed (a 10,000-order hold is one row,
not 10,000); a call that changes a single order is filed under that order.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.desk import edits, lookup
from core.holds.packages import hold_packages, release_packages
from core.models import Order
from core.orders import status as order_status

MAX_REASON = 255  # Order.hold_reason


@dataclass
class HoldResult:
    """What a hold or release did, by order number."""

    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # already on hold / not on hold
    refused: dict[str, str] = field(default_factory=dict)  # number → why


def hold_orders(app: App, actor: Actor, numbers: Sequence[str], *, reason: str) -> HoldResult:
    """Put orders on hold with `reason` (order.edit). An order already on hold keeps its
    own reason; a shipped, completed, cancelled or refunded order has nothing to stop."""
    with app.tx() as session:
        authz.require(session, actor, "order.edit")
        why = edits.check_text(reason, "reason", MAX_REASON)
        orders = lookup.load_orders(session, actor.org_id, lookup.order_numbers(numbers))
        result = HoldResult()
        changed: list[Order] = []
        for order in orders:
            number = order.platform_order_no
            if order.on_hold:
                result.unchanged.append(number)
            elif order.hub_status in order_status.CLOSED:
                result.refused[number] = f"order {number} is {order.hub_status}: nothing to stop"
            else:
                order.on_hold, order.hold_reason = True, why
                changed.append(order)
                result.changed.append(number)
        _write(session, actor, changed, "order.hold", {"on_hold": True, "reason": why})
        hold_packages(session, [o.id for o in changed], why)
        return result


def release_orders(app: App, actor: Actor, numbers: Sequence[str]) -> HoldResult:
    """Release held orders (order.edit); orders with a refund under way or done stay
    on hold and are listed in `refused`."""
    with app.tx() as session:
        authz.require(session, actor, "order.edit")
        orders = lookup.load_orders(session, actor.org_id, lookup.order_numbers(numbers))
        result = HoldResult()
        changed: list[Order] = []
        reasons: dict[str, str] = {}
        for order in orders:
            number = order.platform_order_no
            if not order.on_hold:
                result.unchanged.append(number)
            elif order.refund_status in order_status.BLOCKING_REFUNDS:
                refund = order.refund_status.replace("_", " ")
                result.refused[number] = (
                    f"order {number} has a refund {refund} on the platform: it stays on "
                    "hold so it is not shipped; it can be released once the refund is closed"
                )
            else:
                reasons[number] = order.hold_reason
                order.on_hold, order.hold_reason = False, ""
                changed.append(order)
                result.changed.append(number)
        _write(session, actor, changed, "order.release", {"on_hold": False}, reasons)
        release_packages(session, [o.id for o in changed])
        return result


def _write(
    session: Session,
    actor: Actor,
    changed: list[Order],
    action: str,
    after: dict[str, object],
    reasons: dict[str, str] | None = None,
) -> None:
    """Save the changed orders (versions checked), an audit event each, rules again."""
    if not changed:
        return
    lookup.write_changes(session, changed, "changed its hold")
    was_held = not after["on_hold"]
    audit.record_each(
        session,
        action,
        [
            (
                "order",
                o.id,
                o.platform_order_no,
                {
                    "on_hold": was_held,
                    **({"hold_reason": reasons[o.platform_order_no]} if reasons else {}),
                },
                after,
            )
            for o in changed
        ],
        actor=actor,
    )
    lookup.after_change(session, actor.org_id, [o.id for o in changed])
