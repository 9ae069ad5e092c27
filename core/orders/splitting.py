"""拆单 and the rest of a package's life before printing: split one order over several
packages by line and quantity, undo a merge, type a package's weight.

The same rules as merging hold (core.orders.repacking): nothing changes once a waybill is
drawn or a label printed, under the same locks. Each change needs `order.edit` and leaves
an audit event per order (weights: per package).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy.orm import Session

from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.db import open_write_transaction
from core.errors import NotFound, ValidationError
from core.models import Order, Package
from core.orders import repacking
from core.orders.lookup import lock_orders, orders_by_number
from core.orders.repacking import PackageView

MAX_PARTS = 100


def split(
    app: App, actor: Actor, order_number: str, parts: Sequence[Mapping[int, int]]
) -> list[PackageView]:
    """Spread one order over `len(parts)` packages; each part maps line no → quantity and
    the parts add up exactly to the order's lines (`order.edit`)."""
    with app.tx() as session:
        authz.require(session, actor, "order.edit")
        open_write_transaction(session)
        order = orders_by_number(session, actor.org_id, [order_number], locked=True)[0]
        wanted = _check_parts(order, parts)
        packages = repacking.live_packages(session, [order.id])
        own = packages.get(order.id, [])
        for package in own:
            others = sorted({line.order_id for line in package.lines if line.order_id != order.id})
            if others:
                raise ValidationError(
                    f"order {order.platform_order_no} shares package {package.id} with other "
                    f"orders; unmerge it first: orderhub orders unmerge {order.platform_order_no}",
                    field="orders",
                )
        repacking.check_repackable(session, [order], packages, "split")
        result: list[Package] = []
        for index, part in enumerate(wanted):
            package = own[index] if index < len(own) else None
            if package is None:
                package = repacking.new_package(session, order, actor.user_id)
            repacking.set_lines(session, package, [(order.id, n, q) for n, q in part.items()])
            package.weight_g = None
            package.status = "new"
            result.append(package)
        for package in own[len(wanted) :]:
            repacking.retire(session, package, f"order {order.platform_order_no} split anew")
        session.flush()
        audit.record(
            session,
            "order.split",
            actor=actor,
            target_type="order",
            target_id=str(order.id),
            before={"package_ids": [p.id for p in own]},
            after={
                "packages": {
                    str(p.id): {str(n): q for n, q in part.items()}
                    for p, part in zip(result, wanted, strict=True)
                }
            },
        )
        return repacking.view_of(session, result)


def _check_parts(order: Order, parts: Sequence[Mapping[int, int]]) -> list[dict[int, int]]:
    number = order.platform_order_no
    if not parts:
        raise ValidationError("give at least one part (line:quantity,…)", field="parts")
    if len(parts) > MAX_PARTS:
        raise ValidationError(f"at most {MAX_PARTS} parts", field="parts")
    quantities = {line.line_no: line.quantity for line in order.lines}
    totals = dict.fromkeys(quantities, 0)
    cleaned: list[dict[int, int]] = []
    for index, part in enumerate(parts, start=1):
        if not part:
            raise ValidationError(f"part {index} is empty", field="parts")
        kept: dict[int, int] = {}
        for line_no, quantity in part.items():
            if line_no not in quantities:
                lines = ", ".join(str(n) for n in quantities)
                raise ValidationError(
                    f"part {index}: order {number} has no line {line_no} (its lines: {lines})",
                    field="parts",
                )
            if not isinstance(quantity, int) or quantity < 1:
                raise ValidationError(
                    f"part {index}: line {line_no} needs a quantity of at least 1", field="parts"
                )
            kept[line_no] = quantity
            totals[line_no] += quantity
        cleaned.append(kept)
    wrong = [n for n in quantities if totals[n] != quantities[n]]
    if wrong:
        detail = "; ".join(
            f"line {n} has {quantities[n]}, the parts give {totals[n]}" for n in wrong
        )
        raise ValidationError(
            f"the parts must add up to order {number} exactly: {detail}", field="parts"
        )
    return cleaned


def unmerge(
    app: App, actor: Actor, *, order_number: str | None = None, package_id: int | None = None
) -> list[PackageView]:
    """Give each order of a merged package its own package again (`order.edit`)."""
    with app.tx() as session:
        authz.require(session, actor, "order.edit")
        open_write_transaction(session)
        merged = _merged_package(session, actor, order_number, package_id)
        orders = repacking.orders_in(session, [merged])
        if len(orders) < 2:
            raise ValidationError(
                f"package {merged.id} holds only order {orders[0].platform_order_no}; "
                "nothing to unmerge",
                field="orders",
            )
        lock_orders(session, [o.id for o in orders])
        packages = repacking.live_packages(session, [o.id for o in orders])
        repacking.check_repackable(session, orders, packages, "unmerge")
        by_order: dict[int, list[tuple[int, int, int]]] = {}
        for line in merged.lines:
            by_order.setdefault(line.order_id, []).append(
                (line.order_id, line.line_no, line.quantity)
            )
        order_of = {o.id: o for o in orders}
        keep, *others = list(by_order)
        result = [merged]
        repacking.set_lines(session, merged, by_order[keep])
        merged.weight_g = None
        merged.status = "new"
        for order_id in others:
            package = repacking.new_package(session, order_of[order_id], actor.user_id)
            repacking.set_lines(session, package, by_order[order_id])
            result.append(package)
        session.flush()
        for package in result:
            order = order_of[package.lines[0].order_id]
            audit.record(
                session,
                "order.unmerge",
                actor=actor,
                target_type="order",
                target_id=str(order.id),
                before={"package_id": merged.id},
                after={"package_id": package.id},
            )
        return repacking.view_of(session, result)


def _merged_package(
    session: Session, actor: Actor, order_number: str | None, package_id: int | None
) -> Package:
    if package_id is not None:
        package = repacking.lock_packages(session, [package_id]).get(package_id)
        if package is None or package.org_id != actor.org_id or package.status == "cancelled":
            raise NotFound(f"no package with id {package_id}")
        return package
    if not order_number:
        raise ValidationError("name the order or the package", field="orders")
    order = orders_by_number(session, actor.org_id, [order_number], locked=True)[0]
    own = repacking.live_packages(session, [order.id]).get(order.id, [])
    shared = [p for p in own if any(line.order_id != order.id for line in p.lines)]
    if not shared:
        raise ValidationError(
            f"order {order.platform_order_no} is not merged with another order", field="orders"
        )
    return shared[0]


# ---------------------------------------------------------------- weight

MAX_WEIGHT_G = 1_000_000
WEIGHABLE = ("new", "waybill_allocated", "printed", "verified", "on_hold")


def set_weight(
    app: App,
    actor: Actor,
    grams: int,
    *,
    order_number: str | None = None,
    package_id: int | None = None,
) -> PackageView:
    """Type a package's weight in grams (`order.edit`): the package of an order (one
    package only), or a package by id. Catalogue weights come with issue 14."""
    if isinstance(grams, bool) or not isinstance(grams, int) or not 1 <= grams <= MAX_WEIGHT_G:
        raise ValidationError(f"weight must be 1 to {MAX_WEIGHT_G} grams", field="weight")
    with app.tx() as session:
        authz.require(session, actor, "order.edit")
        open_write_transaction(session)
        if package_id is not None:
            package = repacking.lock_packages(session, [package_id]).get(package_id)
            if package is None or package.org_id != actor.org_id:
                raise NotFound(f"no package with id {package_id}")
        else:
            if not order_number:
                raise ValidationError("name the order or the package", field="orders")
            order = orders_by_number(session, actor.org_id, [order_number], locked=True)[0]
            own = repacking.live_packages(session, [order.id]).get(order.id, [])
            if not own:
                raise ValidationError(
                    f"order {order.platform_order_no} has no package yet (it gets one when "
                    "printed or merged)",
                    field="orders",
                )
            if len(own) > 1:
                ids = ", ".join(str(p.id) for p in own)
                raise ValidationError(
                    f"order {order.platform_order_no} is split over packages {ids}; "
                    "name the package",
                    field="orders",
                )
            package = own[0]
        if package.status not in WEIGHABLE:
            raise ValidationError(f"package {package.id} is {package.status}", field="package")
        before = package.weight_g
        package.weight_g = grams
        session.flush()
        audit.record(
            session,
            "package.weight",
            actor=actor,
            target_type="package",
            target_id=str(package.id),
            before={"weight_g": before},
            after={"weight_g": grams},
        )
        return repacking.view_of(session, [package])[0]
