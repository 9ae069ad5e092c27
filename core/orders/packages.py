"""Packages: the unit that gets one waybill and one label.

By default each order gets one package holding all its lines (`ensure_packages`). Merging
several orders into one package and splitting one order over several are a later issue;
the model already allows both (package lines name order lines, many-to-many).

`ensure_packages` is idempotent and safe under concurrency: an order that already has a
package (not cancelled) keeps it, and two calls for the same order at the same moment
take turns (row locks on the orders on PostgreSQL; SQLite's single write lock, taken
before anything is read), so an order never ends up with two default packages.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.errors import NotFound, ValidationError
from core.models import Order, OrderLine, Package, PackageLine
from core.orders.status import blocking_reason

MAX_ORDERS = 10_000
CHUNK = 500


@dataclass(frozen=True)
class OrderRefusal:
    """An order that got no package, and why (names the order)."""

    order_id: int
    order_number: str
    reason: str


@dataclass
class PackagingResult:
    """`packages` in the order of the order ids given (one per packed order; several
    orders may share one once merging exists); `created` counts the new ones."""

    packages: list[Package] = field(default_factory=list)
    refused: list[OrderRefusal] = field(default_factory=list)
    created: int = 0
    package_of_order: dict[int, int] = field(default_factory=dict)


def ensure_packages(app: App, actor: Actor, order_ids: Iterable[int]) -> PackagingResult:
    """A package for each order that has none (`print.run`); refused orders (on hold,
    cancelled, refunded, shipped, another org's, without lines) are listed, the others
    are packed — one bad order does not stop the batch."""
    ids = _order_ids(order_ids)
    result = PackagingResult()
    with app.tx() as session:
        authz.require(session, actor, "print.run")
        _take_turns(session, ids)
        orders = _orders(session, actor, ids)
        existing = _existing_packages(session, ids)
        created: list[Package] = []
        packages: dict[int, Package] = {}
        for order_id in ids:
            order = orders.get(order_id)
            if order is None:
                result.refused.append(OrderRefusal(order_id, "", f"no order with id {order_id}"))
                continue
            if order_id in existing:
                packages[order_id] = existing[order_id]
                continue
            problem = blocking_reason(order) or _no_lines(order)
            if problem:
                result.refused.append(OrderRefusal(order_id, order.platform_order_no, problem))
                continue
            package = Package(
                org_id=actor.org_id,
                shop_id=order.shop_id,
                status="new",
                created_by=actor.user_id,
                lines=[
                    PackageLine(
                        org_id=actor.org_id,
                        order_id=order.id,
                        line_no=line.line_no,
                        quantity=line.quantity,
                    )
                    for line in order.lines
                ],
            )
            session.add(package)
            created.append(package)
            packages[order_id] = package
        session.flush()
        if created:
            audit.record(
                session,
                "package.create",
                actor=actor,
                target_type="package",
                target_id=created[0].id,
                after={"count": len(created), "package_ids": [p.id for p in created[:200]]},
            )
        seen: set[int] = set()
        for order_id in ids:
            package = packages.get(order_id)
            if package is None:
                continue
            result.package_of_order[order_id] = package.id
            if package.id not in seen:
                seen.add(package.id)
                result.packages.append(package)
        result.created = len(created)
    return result


def packages_for_orders(app: App, actor: Actor, order_numbers: Iterable[str]) -> dict[str, int]:
    """Platform order number → order id in the actor's org (`order.view` or `print.run`);
    unknown numbers raise `NotFound` naming them."""
    numbers = list(dict.fromkeys(n.strip() for n in order_numbers if n and n.strip()))
    if not numbers:
        raise ValidationError("name at least one order number", field="orders")
    with app.tx() as session:
        held = authz.permissions_of(session, actor)
        if not held & {"order.view", "print.run"}:
            authz.require(session, actor, "order.view")
        found: dict[str, int] = {}
        for start in range(0, len(numbers), CHUNK):
            rows = session.execute(
                select(Order.platform_order_no, Order.id).where(
                    Order.org_id == actor.org_id,
                    Order.platform_order_no.in_(numbers[start : start + CHUNK]),
                )
            )
            found.update({number: order_id for number, order_id in rows})
    missing = [n for n in numbers if n not in found]
    if missing:
        raise NotFound(f"no order numbered {', '.join(missing[:10])}", orders=missing)
    return {n: found[n] for n in numbers}


def _order_ids(order_ids: Iterable[int]) -> list[int]:
    try:
        ids = list(dict.fromkeys(int(i) for i in order_ids))
    except (TypeError, ValueError):
        raise ValidationError("order ids must be whole numbers", field="order_ids") from None
    if not ids:
        raise ValidationError("name at least one order", field="order_ids")
    if len(ids) > MAX_ORDERS:
        raise ValidationError(f"at most {MAX_ORDERS} orders at a time", field="order_ids")
    return ids


def _take_turns(session: Session, ids: list[int]) -> None:
    """Serialise packing of the same orders (see the module docstring)."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("UPDATE packages SET id = id WHERE 1 = 0"))
        return
    for start in range(0, len(ids), CHUNK):
        session.execute(
            select(Order.id)
            .where(Order.id.in_(sorted(ids)[start : start + CHUNK]))
            .order_by(Order.id)
            .with_for_update()
        ).all()


def _orders(session: Session, actor: Actor, ids: list[int]) -> dict[int, Order]:
    found: dict[int, Order] = {}
    for start in range(0, len(ids), CHUNK):
        rows = session.scalars(
            select(Order).where(
                Order.id.in_(ids[start : start + CHUNK]), Order.org_id == actor.org_id
            )
        )
        found.update({o.id: o for o in rows})
    return found


def _existing_packages(session: Session, ids: list[int]) -> dict[int, Package]:
    """order id → its (first, not cancelled) package."""
    found: dict[int, Package] = {}
    for start in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(PackageLine.order_id, Package)
            .join(Package, Package.id == PackageLine.package_id)
            .where(
                PackageLine.order_id.in_(ids[start : start + CHUNK]), Package.status != "cancelled"
            )
            .order_by(Package.id)
        )
        for order_id, package in rows:
            found.setdefault(order_id, package)
    return found


def _no_lines(order: Order) -> str:
    lines: list[OrderLine] = order.lines
    return "" if lines else f"order {order.platform_order_no} has no goods lines"


def get_package(app: App, actor: Actor, package_id: int) -> Package:
    with app.tx() as session:
        held = authz.permissions_of(session, actor)
        if not held & {"order.view", "print.run"}:
            authz.require(session, actor, "order.view")
        package = session.get(Package, package_id)
        if package is None or package.org_id != actor.org_id:
            raise NotFound(f"no package with id {package_id}")
        return package
