"""The system's holds on orders: the flag, the packages and the trail in one call.

A person's holds go through `core.desk.holds` (permission, versions, the rules again).
The system holds orders too — stock too short to reserve them (`core.stock.reservations`)
— and lifts those holds when the cause is gone. Such holds go through here, so they stop
what a person's hold stops: the order's flag and reason, and its live packages
(`core.holds.packages`); and each order's trail says who (the sync, the rules, a user)
and why.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy.orm import Session

from core.accounts import audit
from core.holds.packages import hold_packages, release_packages
from core.models import Order

MAX_REASON = 255  # Order.hold_reason


def hold(
    session: Session, org_id: int, held: Sequence[tuple[Order, str]], *, actor_label: str
) -> None:
    """Put these free orders on hold, each with its reason; their packages with them."""
    if not held:
        return
    by_reason: dict[str, list[int]] = defaultdict(list)
    for order, reason in held:
        order.on_hold, order.hold_reason = True, reason[:MAX_REASON]
        by_reason[order.hold_reason].append(order.id)
    session.flush()
    for reason, ids in by_reason.items():
        hold_packages(session, ids, reason)
    audit.record_each(
        session,
        "order.hold",
        [
            ("order", o.id, o.platform_order_no, {"on_hold": False}, {"on_hold": True, "reason": r})
            for o, r in held
        ],
        org_id=org_id,
        actor_label=actor_label,
    )


def release(session: Session, org_id: int, orders: Sequence[Order], *, actor_label: str) -> None:
    """Lift the holds of these orders; their packages go back to where they were."""
    if not orders:
        return
    before = {o.id: o.hold_reason for o in orders}
    for order in orders:
        order.on_hold, order.hold_reason = False, ""
    session.flush()
    release_packages(session, [o.id for o in orders])
    audit.record_each(
        session,
        "order.release",
        [
            (
                "order",
                o.id,
                o.platform_order_no,
                {"on_hold": True, "hold_reason": before[o.id]},
                {"on_hold": False},
            )
            for o in orders
        ],
        org_id=org_id,
        actor_label=actor_label,
    )
