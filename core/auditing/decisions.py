"""A person's 审单 decisions: approve, reject back (驳回) with a reason, re-check by rules.

All three need `order.audit` and see only the actor's org: an order number the org does
not have is `NotFound`, and nothing of the batch is applied. Orders are named by their
platform order number; a number two shops of the org share (a duplicate) must be named
`SHOP_ID:NUMBER`.

**Batches.** Only workflow orders may be decided: pending or audited, not printed,
shipped or closed. An order that may not be decided is *refused* with the reason, and
left untouched; every other order of the batch is applied, in one transaction — so the
report names, per order, what happened, and a failure (a conflict) applies none.

**Concurrency.** Decisions write through the ORM, whose version column (`Order.version`)
makes the second of two sessions deciding the same order fail with `Conflict` instead of
overwriting the first (no lost update); the whole batch then rolls back.

Approving clears the order's exception reasons (a person overrides the rules), except
while a refund runs or the order is on hold, which are refused. Rejecting sends the order
back to pending with `reject_reason` and the `rejected` reason, so it waits in the
exception queue until a person approves it. Each applied decision writes an audit event
(`order.approve` / `order.reject`, target the order); a re-check writes one `order.recheck`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from core import clock
from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.auditing import engine, rules
from core.errors import Conflict, NotFound, ValidationError
from core.models import Order
from core.orders import status as order_status
from core.stock import reservations

MAX_ORDERS = 10_000
MAX_REASON = 500


@dataclass(frozen=True)
class Decision:
    """What happened to one order: `outcome` is approved, rejected, checked or refused."""

    number: str
    order_id: int | None
    outcome: str
    hub_status: str = ""
    reasons: tuple[str, ...] = ()
    note: str = ""


@dataclass
class DecisionReport:
    decisions: list[Decision] = field(default_factory=list)

    @property
    def refused(self) -> list[Decision]:
        return [d for d in self.decisions if d.outcome == "refused"]

    @property
    def applied(self) -> list[Decision]:
        return [d for d in self.decisions if d.outcome != "refused"]


def approve(app: App, actor: Actor, order_numbers: Sequence[str]) -> DecisionReport:
    """Approve the named orders (pending → audited), clearing their exception reasons."""
    with app.tx() as session:
        return approve_in(session, actor, order_numbers)


def reject(app: App, actor: Actor, order_numbers: Sequence[str], reason: str) -> DecisionReport:
    """Send the named orders back to pending (驳回) with `reason`."""
    with app.tx() as session:
        return reject_in(session, actor, order_numbers, reason)


def recheck(
    app: App, actor: Actor, order_numbers: Sequence[str] = (), *, pending: bool = False
) -> DecisionReport:
    """Run the rules again now on the named orders (audited ones too), or with `pending`
    on every pending order of the org; approves those that pass when the rule set says so."""
    if bool(order_numbers) == pending:
        raise ValidationError(
            "name the orders to re-check, or ask for all pending orders (not both)",
            field="orders",
        )
    with app.tx() as session:
        authz.require(session, actor, "order.audit")
        if pending:
            found = dict(
                session.execute(
                    select(Order.id, Order.platform_order_no).where(
                        Order.org_id == actor.org_id, Order.hub_status == order_status.PENDING
                    )
                ).all()
            )
        else:
            found = {o.id: o.platform_order_no for o in _orders(session, actor, order_numbers)}
        checked = engine.check_orders(
            session, actor.org_id, found, recheck_audited=True, actor_label=actor.label
        )
        audit.record(
            session,
            "order.recheck",
            actor=actor,
            target_type="org",
            target_id=actor.org_id,
            after={"checked": checked.checked, "approved": len(checked.approved)},
            detail="all pending orders" if pending else f"{len(found)} orders",
        )
        return _checked_report(session, found, checked)


def approve_in(session: Session, actor: Actor, order_numbers: Sequence[str]) -> DecisionReport:
    """`approve` in the caller's transaction (flushed; the caller commits)."""
    authz.require(session, actor, "order.audit")
    report = DecisionReport()
    now = clock.now()
    for order in _orders(session, actor, order_numbers):
        refusal = _refusal(order) or _approval_refusal(order)
        if refusal:
            report.decisions.append(_refused(order, refusal))
            continue
        before = _state(order)
        order.hub_status = order_status.AUDITED
        order.audited_at = now
        order.audited_by = actor.user_id
        order.exception_reasons = []
        order.in_exception = False
        order.reject_reason = ""
        order.rules_checked_at = order.rules_checked_at or now
        _flush(session, order)
        audit.record(
            session,
            "order.approve",
            actor=actor,
            target_type="order",
            target_id=order.id,
            before=before,
            after=_state(order),
            detail="manual",
        )
        report.decisions.append(
            Decision(order.platform_order_no, order.id, "approved", order.hub_status)
        )
    _reconcile_stock(session, actor, report)
    return report


def reject_in(
    session: Session, actor: Actor, order_numbers: Sequence[str], reason: str
) -> DecisionReport:
    """`reject` in the caller's transaction (flushed; the caller commits)."""
    text = " ".join((reason or "").split())
    if not text:
        raise ValidationError("a reason is required to reject (驳回) an order", field="reason")
    if len(text) > MAX_REASON:
        raise ValidationError(
            f"the reason is {len(text)} characters; at most {MAX_REASON}", field="reason"
        )
    authz.require(session, actor, "order.audit")
    report = DecisionReport()
    for order in _orders(session, actor, order_numbers):
        refusal = _refusal(order)
        if refusal:
            report.decisions.append(_refused(order, refusal))
            continue
        before = _state(order)
        reasons = [r for r in (order.exception_reasons or []) if r != rules.REJECTED]
        order.hub_status = order_status.PENDING
        order.audited_at = None
        order.audited_by = None
        order.reject_reason = text
        order.exception_reasons = [*reasons, rules.REJECTED]
        order.in_exception = True
        _flush(session, order)
        audit.record(
            session,
            "order.reject",
            actor=actor,
            target_type="order",
            target_id=order.id,
            before=before,
            after=_state(order),
            detail=text,
        )
        report.decisions.append(
            Decision(
                order.platform_order_no,
                order.id,
                "rejected",
                order.hub_status,
                tuple(order.exception_reasons),
                text,
            )
        )
    _reconcile_stock(session, actor, report)
    return report


def _reconcile_stock(session: Session, actor: Actor, report: DecisionReport) -> None:
    """Reserve for the approved orders, release for the rejected (core.stock)."""
    ids = [d.order_id for d in report.applied if d.order_id is not None]
    reservations.reconcile(session, actor.org_id, ids, actor.label)


def _orders(session: Session, actor: Actor, order_numbers: Sequence[str]) -> list[Order]:
    """The actor's orders, in the order named; `NotFound` for a number the org lacks,
    `ValidationError` for one several shops share (name it SHOP_ID:NUMBER)."""
    names = [n.strip() for n in order_numbers if n.strip()]
    if not names:
        raise ValidationError("no order number given", field="orders")
    if len(names) > MAX_ORDERS:
        raise ValidationError(
            f"{len(names)} orders in one call; at most {MAX_ORDERS}", field="orders"
        )
    wanted = {_split(n)[1] for n in names}
    found: dict[str, list[Order]] = {}
    statement = select(Order).where(
        Order.org_id == actor.org_id, Order.platform_order_no.in_(wanted)
    )
    for order in session.scalars(statement):
        found.setdefault(order.platform_order_no, []).append(order)
    out: list[Order] = []
    seen: set[int] = set()
    for name in names:
        shop_id, number = _split(name)
        matches = [o for o in found.get(number, []) if shop_id is None or o.shop_id == shop_id]
        if not matches:
            raise NotFound(f"no order {name[:80]} in this org; nothing was changed")
        if len(matches) > 1:
            shops = ", ".join(str(o.shop_id) for o in matches)
            raise ValidationError(
                f"order number {number} is in shops {shops}: name it SHOP_ID:{number}",
                field="orders",
            )
        if matches[0].id not in seen:
            seen.add(matches[0].id)
            out.append(matches[0])
    return out


def _split(name: str) -> tuple[int | None, str]:
    shop, sep, number = name.partition(":")
    if sep and shop.isascii() and shop.isdigit() and len(shop) <= 10:
        return int(shop), number
    return None, name


def _refusal(order: Order) -> str:
    if order.hub_status not in engine.UNSHIPPED:
        return f"order {order.platform_order_no} is {order.hub_status}, not pending or audited"
    return ""


def _approval_refusal(order: Order) -> str:
    number = order.platform_order_no
    if order.hub_status == order_status.AUDITED:
        return f"order {number} is audited already"
    if order.on_hold:
        return f"order {number} is on hold ({order.hold_reason or 'no reason'}): release it first"
    if order.refund_status in order_status.BLOCKING_REFUNDS:
        return f"order {number} has a refund {order.refund_status.replace('_', ' ')}"
    return ""


def _refused(order: Order, why: str) -> Decision:
    return Decision(
        order.platform_order_no,
        order.id,
        "refused",
        order.hub_status,
        tuple(order.exception_reasons or ()),
        why,
    )


def _state(order: Order) -> dict[str, object]:
    return {
        "hub_status": order.hub_status,
        "exception_reasons": list(order.exception_reasons or []),
        "reject_reason": order.reject_reason,
    }


def _flush(session: Session, order: Order) -> None:
    number = order.platform_order_no  # read now: after a failed flush the row is gone
    try:
        session.flush()
    except StaleDataError as exc:
        raise Conflict(
            f"order {number} was changed by someone else meanwhile; "
            "nothing was applied — look at it again and retry"
        ) from exc


def _checked_report(
    session: Session, found: dict[int, str], checked: engine.CheckReport
) -> DecisionReport:
    report = DecisionReport()
    ids = list(found)
    statuses: dict[int, str] = {}
    for start in range(0, len(ids), engine.CHUNK):
        chunk = ids[start : start + engine.CHUNK]
        query = select(Order.id, Order.hub_status).where(Order.id.in_(chunk))
        statuses.update((order_id, hub) for order_id, hub in session.execute(query))
    for order_id, number in found.items():
        failures = checked.failures.get(order_id, [])
        outcome = "approved" if order_id in checked.approved else "checked"
        if order_id not in checked.numbers:
            outcome, note = "refused", f"order {number} is not pending or audited"
        else:
            note = "; ".join(message for _, message in failures)
        report.decisions.append(
            Decision(
                number,
                order_id,
                outcome,
                statuses.get(order_id, ""),
                tuple(code for code, _ in failures),
                note,
            )
        )
    return report
