"""合单/拆单: merge orders of one receiver into one package, split one order over several,
undo a merge, type a package's weight.

Merge candidates are orders of one shop with the same receiver (`Order.receiver_hash`,
core.orders.receiver), unshipped, not on hold, without a refund, with nothing drawn or
printed yet (core.orders.repacking says exactly what). A merge puts every line of the
orders into one package — the lowest-numbered package they had, the others cancelled with
"merged into package N" — so one waybill and one label cover them all. Orders already
sharing a package with a named one come along (they go to the same receiver).

Services take an `Actor` with `order.edit`; `merge_all_candidates` is the system action a
rule calls inside its caller's transaction (audited as "rules"). Each change leaves one
audit event per order (target "order") naming the packages before and after.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import masking
from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.db import open_write_transaction
from core.errors import Conflict, NotFound, ValidationError
from core.models import Order, Package, Shop
from core.orders import repacking
from core.orders.lookup import lock_orders, orders_by_number
from core.orders.repacking import PackageView
from core.orders.status import BLOCKING_REFUNDS

MAX_MERGE = 100
MAX_GROUPS = 1000
RULES_LABEL = "rules"


@dataclass(frozen=True)
class CandidateOrder:
    order_number: str
    order_id: int
    hub_status: str
    package_ids: tuple[int, ...]


@dataclass(frozen=True)
class CandidateGroup:
    """Orders of one shop going to one receiver (shown masked) that may be merged."""

    shop_id: int
    shop_name: str
    receiver: str
    orders: tuple[CandidateOrder, ...]


# ---------------------------------------------------------------- candidates


def merge_candidates(app: App, actor: Actor, *, limit: int = 200) -> list[CandidateGroup]:
    """The org's groups of orders that could be merged (`order.view`)."""
    if not 1 <= limit <= MAX_GROUPS:
        raise ValidationError(f"limit must be 1 to {MAX_GROUPS}", field="limit")
    with app.tx() as session:
        authz.require(session, actor, "order.view")
        groups = _candidate_groups(session, actor.org_id, None, limit, locked=False)
        shops = dict(
            session.execute(
                select(Shop.id, Shop.name).where(Shop.id.in_({g[0].shop_id for g in groups}))
            ).all()
        )
        return [_group_view(session, group, shops) for group in groups]


def _candidate_groups(
    session: Session, org_id: int, order_ids: Iterable[int] | None, limit: int, *, locked: bool
) -> list[list[Order]]:
    """Groups (≥ 2 orders, not already in one package) of mergeable orders, oldest first."""
    open_orders = (
        Order.org_id == org_id,
        Order.receiver_hash.is_not(None),
        Order.hub_status.in_(repacking.REPACKABLE),
        Order.on_hold.is_(False),
        Order.refund_status.not_in(BLOCKING_REFUNDS),
    )
    keys_stmt = (
        select(Order.shop_id, Order.receiver_hash)
        .where(*open_orders)
        .group_by(Order.shop_id, Order.receiver_hash)
        .having(func.count() > 1)
        .order_by(func.min(Order.id))
        .limit(limit * 4)
    )
    if order_ids is not None:
        ids = sorted(set(order_ids))
        if not ids:
            return []
        hashes = select(Order.receiver_hash).where(Order.org_id == org_id, Order.id.in_(ids))
        keys_stmt = keys_stmt.where(Order.receiver_hash.in_(hashes))
    keys = session.execute(keys_stmt).all()
    groups: list[list[Order]] = []
    for shop_id, receiver in keys:
        orders = list(
            session.scalars(
                select(Order)
                .where(*open_orders, Order.shop_id == shop_id, Order.receiver_hash == receiver)
                .order_by(Order.id)
            )
        )
        packages = repacking.live_packages(session, [o.id for o in orders], locked=locked)
        eligible = [o for o in orders if _may_merge(session, o, packages)]
        shared = {tuple(sorted(p.id for p in packages.get(o.id, []))) for o in eligible}
        if len(eligible) > 1 and not (len(shared) == 1 and len(next(iter(shared))) == 1):
            groups.append(eligible)
        if len(groups) >= limit:
            break
    return groups


def _may_merge(session: Session, order: Order, packages: dict[int, list[Package]]) -> bool:
    try:
        repacking.check_repackable(session, [order], packages, "merge")
    except (ValidationError, Conflict):
        return False
    return True


def _group_view(session: Session, orders: list[Order], shops: dict[int, str]) -> CandidateGroup:
    first = orders[0]
    packages = repacking.live_packages(session, [o.id for o in orders], locked=False)
    receiver = " ".join(
        t
        for t in (
            first.receiver_name_masked or masking.mask_name(first.receiver_name or ""),
            first.receiver_phone_masked,
            f"{first.receiver_province}{first.receiver_city}{first.receiver_district}",
        )
        if t
    )
    return CandidateGroup(
        first.shop_id,
        shops.get(first.shop_id, ""),
        receiver,
        tuple(
            CandidateOrder(
                o.platform_order_no,
                o.id,
                o.hub_status,
                tuple(p.id for p in packages.get(o.id, [])),
            )
            for o in orders
        ),
    )


# ---------------------------------------------------------------- merge


def merge(app: App, actor: Actor, order_numbers: Sequence[str]) -> PackageView:
    """Put every line of these orders in one package (`order.edit`; see the docstring)."""
    with app.tx() as session:
        authz.require(session, actor, "order.edit")
        open_write_transaction(session)
        orders = orders_by_number(session, actor.org_id, order_numbers, locked=True)
        if len(orders) < 2:
            raise ValidationError("name at least two orders to merge", field="orders")
        if len(orders) > MAX_MERGE:
            raise ValidationError(f"at most {MAX_MERGE} orders in one package", field="orders")
        package = _merge(session, actor, orders)
        return repacking.view_of(session, [package])[0]


def merge_all_candidates(
    session: Session, org_id: int, *, order_ids: Iterable[int] | None = None
) -> list[PackageView]:
    """Merge every candidate group of the org (those touching `order_ids` when given), in
    the caller's transaction: the system action an audit rule runs ("rules" in the audit
    trail). A group that changed meanwhile (a waybill drawn, a hold) is left as it is."""
    actor = Actor.system(org_id, label=RULES_LABEL)
    open_write_transaction(session)
    merged: list[Package] = []
    for group in _candidate_groups(session, org_id, order_ids, MAX_GROUPS, locked=False):
        lock_orders(session, [o.id for o in group])
        try:
            with session.begin_nested():
                merged.append(_merge(session, actor, group[:MAX_MERGE]))
        except (ValidationError, Conflict):
            continue
    return repacking.view_of(session, merged)


def _merge(session: Session, actor: Actor, named: list[Order]) -> Package:
    first = named[0]
    packages = repacking.live_packages(session, [o.id for o in named])
    involved = {p.id: p for ps in packages.values() for p in ps}
    orders = {o.id: o for o in named}
    for order in repacking.orders_in(session, involved.values()):
        orders.setdefault(order.id, order)
    riders = [o for o in orders.values() if o.id not in {n.id for n in named}]
    if riders:
        lock_orders(session, [o.id for o in riders])
        packages = repacking.live_packages(session, list(orders))
        involved = {p.id: p for ps in packages.values() for p in ps}
    everyone = list(orders.values())
    problems: dict[str, str] = {}
    for order in everyone:
        number = order.platform_order_no
        if order.shop_id != first.shop_id:
            problems[number] = f"order {number} is of another shop than {first.platform_order_no}"
        elif order.receiver_hash is None:
            problems[number] = f"order {number} has no receiver to compare"
        elif order.receiver_hash != first.receiver_hash:
            problems[number] = (
                f"order {number} goes to another receiver than {first.platform_order_no}"
            )
        elif not order.lines:
            problems[number] = f"order {number} has no goods lines"
    if problems:
        raise repacking.refuse("merge", problems)
    repacking.check_repackable(session, everyone, packages, "merge")
    before = {o.id: sorted(p.id for p in packages.get(o.id, [])) for o in everyone}
    weights = [p.weight_g for p in involved.values()]
    if involved:
        target = involved[min(involved)]
    else:
        target = repacking.new_package(session, first, actor.user_id)
    for package in involved.values():
        if package.id != target.id:
            repacking.retire(session, package, f"merged into package {target.id}")
    lines = [line for order in everyone for line in repacking.whole_order(order)]
    repacking.set_lines(session, target, lines)
    target.shop_id = first.shop_id
    target.weight_g = sum(w for w in weights if w) if weights and all(weights) else None
    session.flush()
    numbers = [o.platform_order_no for o in everyone]
    for order in everyone:
        audit.record(
            session,
            "order.merge",
            actor=actor,
            target_type="order",
            target_id=str(order.id),
            before={"package_ids": before[order.id]},
            after={"package_id": target.id, "orders": numbers},
        )
    return target


# ---------------------------------------------------------------- split and unmerge


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
    if len(parts) > MAX_MERGE:
        raise ValidationError(f"at most {MAX_MERGE} parts", field="parts")
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
