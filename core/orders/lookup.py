"""Finding an org's orders by the numbers operators type, inside a caller's transaction.

An order number is unique per shop, not per org: two shops may (rarely) share one. A
number that names orders in two shops is refused with the shops' ids rather than picking
one, and a number of another org's order is simply not found (never "forbidden").
`locked=True` takes the orders' row locks on PostgreSQL (in id order, so two sessions
locking overlapping sets cannot deadlock); on SQLite the caller holds the write lock.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import NotFound, ValidationError
from core.models import Order

MAX_NUMBERS = 1000
CHUNK = 500


def clean_numbers(numbers: Iterable[str], *, at_most: int = MAX_NUMBERS) -> list[str]:
    """The order numbers given, stripped and without repeats; at least one."""
    found = list(dict.fromkeys(str(n).strip() for n in numbers if n and str(n).strip()))
    if not found:
        raise ValidationError("name at least one order number", field="orders")
    if len(found) > at_most:
        raise ValidationError(f"at most {at_most} orders at a time", field="orders")
    too_long = next((n for n in found if len(n) > 64), None)
    if too_long is not None:
        raise ValidationError(f"{too_long[:40]!r}… is not an order number", field="orders")
    return found


def orders_by_number(
    session: Session, org_id: int, numbers: Iterable[str], *, locked: bool = False
) -> list[Order]:
    """The org's orders named by `numbers`, in the order given (NotFound names the
    missing ones)."""
    wanted = clean_numbers(numbers)
    rows: dict[str, list[Order]] = {}
    for start in range(0, len(wanted), CHUNK):
        stmt = (
            select(Order)
            .where(
                Order.org_id == org_id, Order.platform_order_no.in_(wanted[start : start + CHUNK])
            )
            .order_by(Order.id)
        )
        if locked and session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        for order in session.scalars(stmt):
            rows.setdefault(order.platform_order_no, []).append(order)
    missing = [n for n in wanted if n not in rows]
    if missing:
        raise NotFound(f"no order numbered {', '.join(missing[:10])}", orders=missing)
    twice = next((n for n in wanted if len(rows[n]) > 1), None)
    if twice is not None:
        shops = ", ".join(str(o.shop_id) for o in rows[twice])
        raise ValidationError(
            f"order number {twice} exists in several shops (ids {shops}); act on it from its shop",
            field="orders",
        )
    return [rows[n][0] for n in wanted]


def lock_orders(session: Session, order_ids: Iterable[int]) -> None:
    """Row locks on these orders on PostgreSQL, in id order (no-op on SQLite)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    ids = sorted(set(order_ids))
    for start in range(0, len(ids), CHUNK):
        session.execute(
            select(Order.id).where(Order.id.in_(ids[start : start + CHUNK])).with_for_update()
        ).all()
