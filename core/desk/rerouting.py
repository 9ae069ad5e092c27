"""改仓: moving orders to another warehouse by hand, many at once.

The routing rules chose each order's warehouse when it arrived (core.stock.routing); an
operator with `order.edit` overrides that here. Stock follows in the same transaction:
`core.stock.reservations.reconcile` releases what an approved order reserved in its old
warehouse and reserves it in the new one, in one posting. An order the new warehouse
cannot fill is held for insufficient stock as an approval would be, and that posting is
not made: it keeps its old reservation until stock arrives in the new warehouse (which
retries it) or it is moved back. An order held for want of stock in its old warehouse is
tried again in the new one.

Shipped, completed, cancelled and refunded orders have left or will never leave: they are
refused, named with the reason, while the rest of the batch moves. Orders or a warehouse
of another org are not found. One audit event per order moved, naming both warehouses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.desk import lookup
from core.errors import ValidationError
from core.holds import orders as holds
from core.models import Order, Warehouse
from core.orders import status as order_status
from core.stock import reservations
from core.stock.warehouses import default_id, warehouse_named


@dataclass
class RouteResult:
    """What a move did, by order number."""

    warehouse: str
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # already there
    refused: dict[str, str] = field(default_factory=dict)  # number → why
    held: list[str] = field(default_factory=list)  # moved, but short of stock there


def route_orders(app: App, actor: Actor, numbers: Sequence[str], warehouse: str) -> RouteResult:
    """Move the orders named to `warehouse` (order.edit)."""
    if not isinstance(warehouse, str) or not warehouse.strip():
        raise ValidationError("name the warehouse to move the orders to", field="warehouse")
    with app.tx() as session:
        authz.require(session, actor, "order.edit")
        house = warehouse_named(session, actor.org_id, warehouse)
        orders = lookup.load_orders(session, actor.org_id, lookup.order_numbers(numbers))
        default = default_id(session, actor.org_id)
        names = dict(
            session.execute(
                select(Warehouse.id, Warehouse.name).where(Warehouse.org_id == actor.org_id)
            ).all()
        )
        result = RouteResult(house.name)
        moved: list[tuple[Order, str]] = []
        for order in orders:
            number, was = order.platform_order_no, order.warehouse_id or default
            if order.hub_status in order_status.CLOSED:
                result.refused[number] = (
                    f"order {number} is {order.hub_status}: it no longer ships from a warehouse"
                )
            elif was == house.id:
                result.unchanged.append(number)
            else:
                order.warehouse_id = house.id
                moved.append((order, names.get(was, "") if was is not None else ""))
                result.changed.append(number)
        if not moved:
            return result
        lookup.write_changes(session, [o for o, _ in moved], "moved it to another warehouse")
        audit.record_each(
            session,
            "order.route",
            [
                ("order", o.id, o.platform_order_no, {"warehouse": old}, {"warehouse": house.name})
                for o, old in moved
            ],
            actor=actor,
        )
        waiting = [o for o, _ in moved if _held_for_stock(o)]
        done = reservations.reconcile(session, actor.org_id, [o.id for o, _ in moved], actor.label)
        fitted = [o for o in waiting if o.platform_order_no not in done.held]
        holds.release(session, actor.org_id, fitted, actor_label=actor.label)
        result.held = done.held
        return result


def _held_for_stock(order: Order) -> bool:
    """Held for want of stock in the old warehouse: that says nothing of the new one, so
    the hold is lifted (packages too, through `core.holds`) if the new one fills it."""
    return order.on_hold and order.hold_reason.startswith(reservations.HOLD_PREFIX)
