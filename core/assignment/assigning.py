"""Giving orders their carrier account and template: by the rules, or by hand.

`assign_orders(session, org_id, order_ids)` is the system action run as orders arrive
(and by `orderhub assign-rules apply`): each unprinted order (待审/已审) not assigned by
hand gets the first matching enabled rule's choice, `assigned_by = "rule:<name>"`; an
order a rule assigned that no rule matches any more is cleared. Orders assigned by hand
(`"manual"`) are never changed by rules; `clear_assignment` hands them back to the rules.

`package_assignments` is what printing asks: the choice of each package's orders, or why
they disagree (orders merged into one package must agree on the carrier account).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.assignment.rules import Conditions, OrderFacts, Rule, first_match
from core.assignment.service import checked_account_id, checked_template
from core.db import open_write_transaction
from core.errors import Conflict, ValidationError
from core.models import (
    AssignmentRule,
    CarrierAccount,
    Order,
    OrderTag,
    Package,
    PackageLine,
    Shop,
    Tag,
)
from core.orders.lookup import orders_by_number
from core.orders.status import AUDITED, PENDING

MANUAL = "manual"
RULE_PREFIX = "rule:"
RULES_LABEL = "rules"
UNPRINTED = (PENDING, AUDITED)
CHUNK = 500


@dataclass(frozen=True)
class PackageAssignment:
    """The carrier account and template a package's orders were given ('' / None: none);
    `problem` says how they disagree ('' when they agree)."""

    carrier_account_id: int | None
    template: str
    problem: str = ""


# ---------------------------------------------------------------- by the rules


def assign_orders(session: Session, org_id: int, order_ids: Iterable[int]) -> int:
    """Apply the org's rules to these orders in the caller's transaction; the number of
    orders whose assignment changed (audited once, as "rules")."""
    ids = sorted({int(i) for i in order_ids})
    rules = _rules(session, org_id)
    if not rules:
        # The usual arrival: no rules, nothing to do. Assignments a removed or disabled
        # rule made stay until `orderhub assign-rules apply` (or a hand choice) changes them.
        return 0
    changed: list[tuple[Order, str]] = []
    for start in range(0, len(ids), CHUNK):
        orders = list(
            session.scalars(
                select(Order).where(
                    Order.org_id == org_id,
                    Order.id.in_(ids[start : start + CHUNK]),
                    Order.hub_status.in_(UNPRINTED),
                    Order.assigned_by != MANUAL,
                )
            )
        )
        facts = _facts(session, orders)
        for order in orders:
            rule = first_match(rules, facts[order.id])
            account = rule.carrier_account_id if rule else None
            template = rule.template if rule else ""
            by = f"{RULE_PREFIX}{rule.name}"[:80] if rule else ""
            current = (
                order.assigned_carrier_account_id,
                order.assigned_template,
                order.assigned_by,
            )
            if current == (account, template, by):
                continue
            before = _assignment(*current)
            order.assigned_carrier_account_id = account
            order.assigned_template = template
            order.assigned_by = by
            changed.append((order, before))
    if changed:
        session.flush()
        audit.record_each(
            session,
            "order.assign_rules",
            [
                (
                    "order",
                    order.id,
                    order.platform_order_no,
                    before,
                    _assignment(
                        order.assigned_carrier_account_id,
                        order.assigned_template,
                        order.assigned_by,
                    ),
                )
                for order, before in changed
            ],
            actor=Actor.system(org_id, label=RULES_LABEL),
        )
    return len(changed)


def _assignment(account_id: int | None, template: str, by: str) -> dict[str, object]:
    return {"carrier_account_id": account_id, "template": template, "by": by}


def apply_rules(app: App, actor: Actor) -> int:
    """Re-apply the rules to every unprinted order of the org (`order.edit`)."""
    with app.tx() as session:
        authz.require(session, actor, "order.edit")
        ids = list(
            session.scalars(
                select(Order.id).where(
                    Order.org_id == actor.org_id, Order.hub_status.in_(UNPRINTED)
                )
            )
        )
    total = 0
    for start in range(0, len(ids), 5000):
        try:
            with app.tx() as session:
                open_write_transaction(session)
                total += assign_orders(session, actor.org_id, ids[start : start + 5000])
        except StaleDataError:
            raise Conflict(
                "orders changed while the rules were applied; run `assign-rules apply` again"
            ) from None
    return total


def _rules(session: Session, org_id: int) -> list[Rule]:
    rows = session.scalars(
        select(AssignmentRule).where(
            AssignmentRule.org_id == org_id, AssignmentRule.enabled.is_(True)
        )
    )
    return [
        Rule(r.name, r.position, Conditions.of(r.conditions), r.carrier_account_id, r.template)
        for r in rows
    ]


def _facts(session: Session, orders: Sequence[Order]) -> dict[int, OrderFacts]:
    ids = [o.id for o in orders]
    if not ids:
        return {}
    platforms = dict(
        session.execute(
            select(Shop.id, Shop.platform).where(Shop.id.in_({o.shop_id for o in orders}))
        ).all()
    )
    tags: dict[int, set[str]] = defaultdict(set)
    for order_id, name in session.execute(
        select(OrderTag.order_id, Tag.name)
        .join(Tag, Tag.id == OrderTag.tag_id)
        .where(OrderTag.order_id.in_(ids))
    ):
        tags[order_id].add(name)
    weights: dict[int, list[int | None]] = defaultdict(list)
    for order_id, weight in session.execute(
        select(PackageLine.order_id, Package.weight_g)
        .join(Package, Package.id == PackageLine.package_id)
        .where(PackageLine.order_id.in_(ids), Package.status != "cancelled")
        .distinct()
    ):
        weights[order_id].append(weight)
    facts = {}
    for order in orders:
        known = weights.get(order.id, [])
        skus = {code for line in order.lines for code in (line.outer_id, line.platform_sku_id)}
        facts[order.id] = OrderFacts(
            province=order.receiver_province,
            shop_id=order.shop_id,
            platform=platforms.get(order.shop_id, ""),
            weight_g=known[0] if len(known) == 1 else None,
            skus=frozenset(s for s in skus if s),
            tags=frozenset(tags.get(order.id, set()) | set(order.tags or [])),
        )
    return facts


# ---------------------------------------------------------------- by hand


def set_assignment(
    app: App,
    actor: Actor,
    order_numbers: Sequence[str],
    carrier_account: str | None,
    template: str | None,
) -> int:
    """Assign these orders by hand (`order.edit`; rules leave them alone from now on)."""
    if not (carrier_account and carrier_account.strip()) and not (template and template.strip()):
        raise ValidationError("give a carrier account, a template or both", field="carrier_account")
    with app.tx() as session:
        authz.require(session, actor, "order.edit")
        account_id = checked_account_id(session, actor.org_id, carrier_account)
        name = checked_template(session, actor.org_id, template or "")
        orders = orders_by_number(session, actor.org_id, order_numbers)
        closed = [o.platform_order_no for o in orders if o.hub_status not in UNPRINTED]
        if closed:
            raise ValidationError(
                f"order {closed[0]} is printed or closed; its assignment no longer matters",
                field="orders",
            )
        return _write(session, actor, orders, account_id, name, MANUAL, "order.assign")


def clear_assignment(app: App, actor: Actor, order_numbers: Sequence[str]) -> int:
    """Drop a hand assignment: the rules choose for these orders again (`order.edit`)."""
    with app.tx() as session:
        authz.require(session, actor, "order.edit")
        orders = orders_by_number(session, actor.org_id, order_numbers)
        count = _write(session, actor, orders, None, "", "", "order.assign_clear")
        assign_orders(session, actor.org_id, [o.id for o in orders])
        return count


def _write(
    session: Session,
    actor: Actor,
    orders: Sequence[Order],
    account_id: int | None,
    template: str,
    by: str,
    action: str,
) -> int:
    names = _account_names(session, [account_id, *(o.assigned_carrier_account_id for o in orders)])
    try:
        for order in orders:
            before = _view(order, names)
            order.assigned_carrier_account_id = account_id
            order.assigned_template = template
            order.assigned_by = by
            session.flush()
            audit.record(
                session,
                action,
                actor=actor,
                target_type="order",
                target_id=str(order.id),
                before=before,
                after=_view(order, names),
            )
    except StaleDataError:
        raise Conflict("the order changed meanwhile; look at it again and retry") from None
    return len(orders)


def _account_names(session: Session, ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i is not None}
    if not wanted:
        return {}
    return dict(
        session.execute(
            select(CarrierAccount.id, CarrierAccount.name).where(CarrierAccount.id.in_(wanted))
        ).all()
    )


def _view(order: Order, names: dict[int, str]) -> dict[str, str]:
    account = order.assigned_carrier_account_id
    return {
        "carrier_account": names.get(account, "") if account else "",
        "template": order.assigned_template,
        "by": order.assigned_by,
    }


# ---------------------------------------------------------------- for printing


def package_assignments(
    session: Session, org_id: int, package_ids: Iterable[int]
) -> dict[int, PackageAssignment]:
    """package id → what its orders were assigned (absent: no order was assigned)."""
    ids = sorted(set(package_ids))
    seen: dict[int, list[tuple[str, int | None, str]]] = defaultdict(list)
    for start in range(0, len(ids), CHUNK):
        rows = session.execute(
            select(
                PackageLine.package_id,
                Order.platform_order_no,
                Order.assigned_carrier_account_id,
                Order.assigned_template,
            )
            .join(Order, Order.id == PackageLine.order_id)
            .where(PackageLine.package_id.in_(ids[start : start + CHUNK]), Order.org_id == org_id)
            .distinct()
        )
        for package_id, number, account, template in rows:
            seen[package_id].append((number, account, template))
    found: dict[int, PackageAssignment] = {}
    names = _account_names(session, [a for rows in seen.values() for _, a, _ in rows])
    for package_id, rows in seen.items():
        accounts = {a for _, a, _ in rows if a is not None}
        templates = {t for _, _, t in rows if t}
        if not accounts and not templates:
            continue
        problem = ""
        if len(accounts) > 1:
            listed = ", ".join(
                f"{n} → {names.get(a, a) if a else 'none'}" for n, a, _ in sorted(rows)
            )
            problem = (
                f"the orders of package {package_id} are assigned different carrier accounts "
                f"({listed}); assign them one (orderhub orders assign … --carrier) or print "
                "with --carrier"
            )
        found[package_id] = PackageAssignment(
            accounts.pop() if len(accounts) == 1 else None,
            templates.pop() if len(templates) == 1 else "",
            problem,
        )
    return found
