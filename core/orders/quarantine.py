"""Orders a platform served that its plugin could not map: kept aside, never blocking.

A sync window's unreadable orders (`OrderPage.unreadable`) are written here in the same
transaction as the window's readable orders and its cursor move (invariant 2), so the
cursor passes a window only once every order of it is either stored or quarantined. A
quarantined order leaves when a later read of it maps and is stored: a window that serves
it again, or the pass's retry through `order_detail` (`core.sync.retry`).

Cost: one indexed query per window (this shop's quarantined numbers, usually none);
nothing per order unless the shop has some.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from core import clock
from core.contracts.types import MAX_REASON, UnreadableOrder
from core.models import QuarantinedOrder
from core.models.base import Payload

QUARANTINE = QuarantinedOrder.__table__


@dataclass
class QuarantineResult:
    """What one window did to the shop's quarantine: `new` orders (one alert each),
    orders seen unreadable `again`, and order numbers `cleared` because they were read."""

    new: list[UnreadableOrder] = field(default_factory=list)
    again: int = 0
    cleared: list[str] = field(default_factory=list)


def quarantined_numbers(session: Session, shop_id: int) -> set[str]:
    return set(
        session.scalars(
            select(QUARANTINE.c.platform_order_no).where(QUARANTINE.c.shop_id == shop_id)
        )
    )


def settle(
    session: Session,
    *,
    org_id: int,
    shop_id: int,
    unreadable: Sequence[UnreadableOrder],
    read_numbers: Callable[[], Iterable[str]],
) -> QuarantineResult:
    """Quarantine `unreadable` and clear the shop's quarantined orders among
    `read_numbers()` (called only when the shop has any), inside the caller's transaction.

    An order both read and unreadable in one window (two copies over two sweeps) stays
    quarantined: the unreadable copy may be the newer one.
    """
    result = QuarantineResult()
    held = quarantined_numbers(session, shop_id)
    latest = {u.order_number: u for u in unreadable}  # the last copy of an order wins
    if held:
        result.cleared = sorted((held & set(read_numbers())) - set(latest))
        if result.cleared:
            session.execute(
                delete(QUARANTINE).where(
                    QUARANTINE.c.shop_id == shop_id,
                    QUARANTINE.c.platform_order_no.in_(result.cleared),
                )
            )
    now = clock.now()
    for number, order in latest.items():
        raw = Payload(dict(order.raw), personal=True)  # always sealed, see the model
        if number in held:
            session.execute(
                update(QUARANTINE)
                .where(QUARANTINE.c.shop_id == shop_id, QUARANTINE.c.platform_order_no == number)
                .values(
                    reason=order.reason,
                    raw=raw,
                    last_seen_at=now,
                    times_seen=QUARANTINE.c.times_seen + 1,
                )
            )
            result.again += 1
        else:
            session.execute(
                insert(QUARANTINE).values(
                    org_id=org_id,
                    shop_id=shop_id,
                    platform_order_no=number,
                    reason=order.reason,
                    raw=raw,
                    times_seen=1,
                    retries=0,
                    first_seen_at=now,
                    last_seen_at=now,
                )
            )
            result.new.append(order)
    return result


def note_retry(session: Session, shop_id: int, number: str, reason: str | None) -> None:
    """Count a retry of a quarantined order that still did not read (`reason`: the new
    error, when the platform served the order and the mapping refused it again)."""
    values: dict[str, object] = {"retries": QUARANTINE.c.retries + 1}
    if reason:
        values["reason"] = " ".join(reason.split())[:MAX_REASON]
    session.execute(
        update(QUARANTINE)
        .where(QUARANTINE.c.shop_id == shop_id, QUARANTINE.c.platform_order_no == number)
        .values(**values)
    )


def clear(session: Session, shop_id: int, number: str) -> None:
    session.execute(
        delete(QUARANTINE).where(
            QUARANTINE.c.shop_id == shop_id, QUARANTINE.c.platform_order_no == number
        )
    )


def due_for_retry(session: Session, shop_id: int, limit: int) -> list[str]:
    """Up to `limit` of the shop's quarantined order numbers, least retried first."""
    return list(
        session.scalars(
            select(QUARANTINE.c.platform_order_no)
            .where(QUARANTINE.c.shop_id == shop_id)
            .order_by(QUARANTINE.c.retries, QUARANTINE.c.id)
            .limit(limit)
        )
    )


__all__ = [
    "QuarantineResult",
    "clear",
    "due_for_retry",
    "note_retry",
    "quarantined_numbers",
    "settle",
]
