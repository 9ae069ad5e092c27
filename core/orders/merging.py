"""合单: merge orders of one receiver into one package (splitting, unmerging and weights
are core.orders.splitting).

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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core import masking
from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.db import open_write_transaction
from core.errors import Conflict, ValidationError
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
    for order in repacking.orders_in(session, involved.values()):
        if order.id not in orders:  # a rider's package holds yet another order
            problems[order.platform_order_no] = (
                f"order {order.platform_order_no} shares a package with these orders; "
                f"unmerge it first: orderhub orders unmerge {order.platform_order_no}"
            )
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
    target.status = "new"  # no waybill is active (checked): a cancelled one left it behind
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
