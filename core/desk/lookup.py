"""What the desk's modules share: finding an org's orders by the numbers an operator
typed, writing changed orders with the version check, and `after_change`, the one place
that runs what must follow any change (the orders' arrival steps: assignment rules,
auto-merge, the audit rules — `core.auditing.arrival`).

Numbers are looked up within the actor's org only: another org's order is simply not
found. A number two shops of the org share is refused with a clear message rather than
guessed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session, lazyload
from sqlalchemy.orm.exc import StaleDataError

from core.auditing.arrival import orders_arrived
from core.errors import Conflict, NotFound, ValidationError
from core.models import Order, Shop

MAX_ORDERS = 10_000  # orders named in one call
MAX_NUMBER = 64  # Order.platform_order_no
LOOKUP_CHUNK = 500
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def order_numbers(numbers: Iterable[str]) -> list[str]:
    """Order numbers as typed: stripped, without repeats, at least one, at most
    `MAX_ORDERS`."""
    cleaned = list(dict.fromkeys(n.strip() for n in numbers if isinstance(n, str) and n.strip()))
    for number in cleaned:
        if len(number) > MAX_NUMBER or _CONTROL.search(number):
            raise ValidationError(
                f"{number[:20]!r}… is not an order number (at most {MAX_NUMBER} characters, "
                "no control characters)",
                field="orders",
            )
    if not cleaned:
        raise ValidationError("name at least one order number", field="orders")
    if len(cleaned) > MAX_ORDERS:
        raise ValidationError(f"at most {MAX_ORDERS} orders at a time", field="orders")
    return cleaned


def find_orders(session: Session, org_id: int, numbers: Sequence[str]) -> dict[str, Row[Any]]:
    """Order number → (id, platform_order_no, shop_id) of the org's orders. Numbers not
    found raise NotFound naming them (another org's orders are not found either); a
    number two shops of the org share raises a ValidationError naming it."""
    shops = select(Shop.id).where(Shop.org_id == org_id).scalar_subquery()
    found: dict[str, Row[Any]] = {}
    shared: list[str] = []
    for start in range(0, len(numbers), LOOKUP_CHUNK):
        rows = session.execute(
            select(Order.id, Order.platform_order_no, Order.shop_id).where(
                Order.shop_id.in_(shops),
                Order.org_id == org_id,
                Order.platform_order_no.in_(numbers[start : start + LOOKUP_CHUNK]),
            )
        )
        for row in rows:
            if row.platform_order_no in found:
                shared.append(row.platform_order_no)
            found[row.platform_order_no] = row
    missing = [n for n in numbers if n not in found]
    if missing:
        more = f" and {len(missing) - 20} more" if len(missing) > 20 else ""
        shown = ", ".join(missing[:20]) + more
        raise NotFound(f"no order numbered {shown}", orders=missing)
    if shared:
        raise ValidationError(
            f"order number {', '.join(sorted(set(shared))[:10])} exists in several shops; "
            "change those orders one shop at a time",
            field="orders",
        )
    return found


def load_orders(session: Session, org_id: int, numbers: Sequence[str]) -> list[Order]:
    """The org's orders by number, as ORM objects (without their lines), in the order
    named; NotFound for numbers not in the org."""
    found = find_orders(session, org_id, numbers)
    ids = [found[n].id for n in numbers]
    by_id: dict[int, Order] = {}
    for start in range(0, len(ids), LOOKUP_CHUNK):
        chunk = ids[start : start + LOOKUP_CHUNK]
        query = select(Order).where(Order.id.in_(chunk)).options(lazyload(Order.lines))
        by_id.update({o.id: o for o in session.scalars(query)})
    return [by_id[i] for i in ids]


def write_changes(session: Session, orders: Sequence[Order], what: str) -> None:
    """Flush changed orders; a version that moved meanwhile is a Conflict naming `what`."""
    numbers = [o.platform_order_no for o in orders]  # a failed flush expires them
    try:
        session.flush()
    except StaleDataError:
        shown = ", ".join(numbers[:10]) + (" …" if len(numbers) > 10 else "")
        raise Conflict(
            f"order {shown} was changed by someone else while you {what}; "
            "nothing was saved: reload it and try again",
            orders=numbers,
        ) from None


def after_change(session: Session, org_id: int, order_ids: Sequence[int]) -> None:
    """What follows any change an operator makes to orders, in the same transaction: the
    orders arrive again (`core.auditing.arrival.orders_arrived`) — assignment rules,
    auto-merge when on, and the audit rules, audited orders included — so an edited
    address is judged before anyone prints it."""
    orders_arrived(session, org_id, order_ids, recheck_audited=True)
