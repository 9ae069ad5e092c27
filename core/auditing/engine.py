"""Running the audit rules over orders as they arrive, and approving those that pass.

`check_orders` runs in the caller's transaction: the sync engine's window, an import's
batch, an edit. It loads what the rules need in a few set-based queries per chunk of
orders (the orders, their quantities, other orders with the same number, unshipped
orders of the same receiver and the packages they share), evaluates `rules.RULES`, and
writes each order's reasons, `in_exception` and `rules_checked_at` with one guarded
`executemany` (`core.auditing.writes`). An order that passes every rule, is not on hold
and was paid at least `wait_minutes` ago is approved (pending → audited, `audited_by`
None: the system) when the rule set says so, with an `order.approve` audit event
("auto") each.

Only pending orders are checked, unless `recheck_audited` (a person's re-check): an
audited order that fails now gets its reasons but stays audited — a person approved it,
a person decides (驳回) to send it back. Reasons the rules do not own (`rejected`, a
refund the order store derived) are kept. The rows are locked (`FOR UPDATE` on
PostgreSQL; SQLite's transaction holds the write lock) and every write checks and bumps
`Order.version`, so a person's concurrent approve or reject meets a conflict instead of
a lost update. `run_due` is the periodic pass: it approves orders whose wait has ended
and checks pending orders no arrival path has checked yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    and_,
    or_,
    select,
)
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from core import clock
from core.accounts import authz
from core.actor import Actor
from core.app import App
from core.auditing import batch, rules, writes
from core.auditing.settings import RuleSettings, load
from core.db import open_write_transaction
from core.models import Order, OrderLine, Org
from core.orders import status as order_status
from core.stock import reservations

ORDERS = Order.__table__
LINES = OrderLine.__table__
#: Orders per round of queries (bound parameters stay far below every backend's limit).
CHUNK = 2000
#: Codes the rules own and rewrite on each check (plus every `flag_<colour>`).
RULE_CODES = frozenset(rules.RULE_CODES)
UNSHIPPED = batch.UNSHIPPED
AUTO_LABEL = "auto-audit"
#: How reasons the rules keep but did not raise this time read in a report.
_KEPT_TEXT = {
    rules.REJECTED: "已驳回 / rejected by a person",
    rules.REFUND: "售后/退款中 / refund in progress",
}


@dataclass
class CheckReport:
    """What one check did: orders checked, approved, and the failures of the others."""

    checked: int = 0
    approved: list[int] = field(default_factory=list)
    failures: dict[int, list[rules.Failure]] = field(default_factory=dict)
    numbers: dict[int, str] = field(default_factory=dict)

    def add(self, other: CheckReport) -> None:
        self.checked += other.checked
        self.approved += other.approved
        self.failures.update(other.failures)
        self.numbers.update(other.numbers)


def check_orders(
    session: Session,
    org_id: int,
    order_ids: Iterable[int],
    *,
    now: datetime | None = None,
    recheck_audited: bool = False,
    actor_label: str = AUTO_LABEL,
    settings: RuleSettings | None = None,
) -> CheckReport:
    """Check the org's orders among `order_ids` (see the module docstring); in the caller's
    transaction. Orders of other orgs, and orders outside the workflow, are left alone.
    `settings`: the org's rule set when the caller has just read it."""
    now = now or clock.now()
    ids = sorted(set(order_ids))
    report = CheckReport()
    if not ids:
        return report
    open_write_transaction(session)
    if settings is None:
        settings, _ = load(session, org_id)
    statuses = UNSHIPPED if recheck_audited else (order_status.PENDING,)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        report.add(_check_chunk(session, org_id, chunk, settings, statuses, now, actor_label))
    return report


def run_due(app: App, *, now: datetime | None = None, org_id: int | None = None) -> CheckReport:
    """The periodic pass (worker tick, `orderhub audit-rules run`): in every org (or one),
    pending orders that passed their rules and whose wait has ended, and pending orders
    never checked. One transaction per chunk."""
    now = now or clock.now()
    report = CheckReport()
    with app.tx() as session:
        orgs = [org_id] if org_id is not None else list(session.scalars(select(Org.id)))
    for org in orgs:
        with app.tx() as session:
            settings, _ = load(session, org)
            cutoff = now - timedelta(minutes=settings.wait_minutes)
            waited = and_(
                ORDERS.c.in_exception.is_(False),
                ORDERS.c.on_hold.is_(False),
                or_(ORDERS.c.paid_at.is_(None), ORDERS.c.paid_at <= cutoff),
            )
            unchecked = ORDERS.c.rules_checked_at.is_(None)
            # Without auto-approval nothing waits to be approved: only the unchecked are due.
            due = or_(unchecked, waited) if settings.auto_approve else unchecked
            ids = list(
                session.scalars(
                    select(ORDERS.c.id).where(
                        ORDERS.c.org_id == org, ORDERS.c.hub_status == order_status.PENDING, due
                    )
                )
            )
        for start in range(0, len(ids), CHUNK):
            with app.tx() as session:
                report.add(check_orders(session, org, ids[start : start + CHUNK], now=now))
    return report


def run_pass(app: App, actor: Actor) -> CheckReport:
    """`run_due` for the actor's org, asked for by a person (`orderhub audit-rules run`):
    needs `order.audit`; each approval is audited as usual."""
    with app.tx() as session:
        authz.require(session, actor, "order.audit")
    return run_due(app, org_id=actor.org_id)


def _check_chunk(
    session: Session,
    org_id: int,
    ids: Sequence[int],
    settings: RuleSettings,
    statuses: tuple[str, ...],
    now: datetime,
    actor_label: str,
) -> CheckReport:
    rows = _load(session, org_id, ids, statuses)
    ctx = rules.Context(settings)
    if settings.duplicate_order and rows:
        ctx.duplicates = batch.duplicates(session, org_id, rows)
    if settings.mergeable and rows:
        ctx.mergeable, partners = batch.mergeable(session, org_id, rows)
        extra = [i for i in partners if i not in rows]
        if extra:  # a pending partner of a new arrival is no longer mergeable-free either
            more = _load(session, org_id, extra, (order_status.PENDING,))
            rows.update(more)
            ctx.mergeable, _ = batch.mergeable(session, org_id, rows)
            if settings.duplicate_order:
                ctx.duplicates.update(batch.duplicates(session, org_id, more))
    if settings.unmapped_sku and rows:
        ctx.unmapped = batch.unmapped(session, org_id, list(rows))
    quantities = batch.quantities(session, list(rows))
    report = CheckReport(checked=len(rows))
    wait = timedelta(minutes=settings.wait_minutes)
    checked: list[writes.Checked] = []
    approvals: list[writes.Checked] = []
    for order_id, row in rows.items():
        facts = _facts(row, quantities.get(order_id, 0))
        failures = rules.evaluate(facts, ctx)
        kept = [r for r in (row.exception_reasons or []) if kept_reason(r, row.refund_status)]
        reasons = list(dict.fromkeys(kept + [code for code, _ in failures]))
        report.numbers[order_id] = row.platform_order_no
        approve = may_approve(
            settings, reasons, row.hub_status, row.on_hold, row.refund_status
        ) and waited(row.paid_at or row.created_at_platform, wait, now)
        if failures or kept:
            raised = {code for code, _ in failures}
            kept_failures = [(r, _KEPT_TEXT.get(r, r)) for r in kept if r not in raised]
            report.failures[order_id] = failures + kept_failures
        entry = (order_id, row.version, reasons)
        if approve:
            approvals.append(entry)
            report.approved.append(order_id)
        else:
            checked.append(entry)
    writes.record_checks(session, checked, now, approve=False)
    writes.record_checks(session, approvals, now, approve=True)
    writes.record_approvals(session, org_id, report.approved, actor_label, now)
    _expire(session, rows)
    reservations.reconcile(session, org_id, report.approved, actor_label)
    return report


def _expire(session: Session, ids: Iterable[int]) -> None:
    """Orders of the caller's session that these writes changed read afresh next time
    (their version moved on: a stale copy would meet a conflict on its next flush)."""
    for order_id in ids:
        loaded = session.identity_map.get(identity_key(Order, order_id))
        if loaded is not None:
            session.expire(loaded)


def may_approve(
    settings: RuleSettings, reasons: list[str], hub_status: str, on_hold: bool, refund: str
) -> bool:
    """Whether an order with these `reasons` (after its check) is approved automatically,
    once its wait after payment has ended (`waited`)."""
    return (
        settings.auto_approve
        and not reasons
        and hub_status == order_status.PENDING
        and not on_hold
        and refund not in order_status.BLOCKING_REFUNDS
    )


def waited(paid: datetime | None, wait: timedelta, now: datetime) -> bool:
    """Whether an order paid (or, unpaid, placed) at `paid` has waited `wait` by `now`."""
    return paid is None or clock.as_utc(paid) + wait <= now


def kept_reason(reason: str, refund_status: str) -> bool:
    """A reason that survives a check: not the rules' own, or a refund the store derived
    while the refund still runs (kept even when the refund rule is switched off)."""
    if reason == rules.REFUND:
        return refund_status in order_status.BLOCKING_REFUNDS
    return reason not in RULE_CODES and not reason.startswith(rules.FLAG_PREFIX)


_COLUMNS = (
    ORDERS.c.id,
    ORDERS.c.org_id,
    ORDERS.c.shop_id,
    ORDERS.c.platform_order_no,
    ORDERS.c.hub_status,
    ORDERS.c.on_hold,
    ORDERS.c.refund_status,
    ORDERS.c.flag_color,
    ORDERS.c.local_flag,
    ORDERS.c.buyer_memo,
    ORDERS.c.seller_remark,
    ORDERS.c.local_remark,
    ORDERS.c.receiver_province,
    ORDERS.c.receiver_city,
    ORDERS.c.receiver_district,
    ORDERS.c.receiver_address,
    ORDERS.c.receiver_phone,
    ORDERS.c.receiver_is_platform_encrypted,
    ORDERS.c.receiver_hash,
    ORDERS.c.pay_amount_fen,
    ORDERS.c.paid_at,
    ORDERS.c.created_at_platform,
    ORDERS.c.exception_reasons,
    ORDERS.c.version,
)


def _load(
    session: Session, org_id: int, ids: Sequence[int], statuses: tuple[str, ...]
) -> dict[int, Any]:
    """The org's orders among `ids` in `statuses`, locked. Selected by id alone and
    filtered here: SQLite, without statistics, would otherwise walk the (org, status,
    paid) index over every pending order of the org instead of the primary key. A row
    read after waiting for a lock is its newest version, so the filter stays right."""
    statement = select(*_COLUMNS).where(batch.among(session, ORDERS.c.id, ids)).with_for_update()
    return {
        row.id: row
        for row in session.execute(statement)
        if row.org_id == org_id and row.hub_status in statuses
    }


def _facts(row: Any, quantity: int) -> rules.OrderFacts:
    encrypted = bool(row.receiver_is_platform_encrypted)
    return rules.OrderFacts(
        id=row.id,
        shop_id=row.shop_id,
        number=row.platform_order_no,
        refund_status=row.refund_status,
        flag=row.local_flag or row.flag_color or "",
        buyer_memo=row.buyer_memo or "",
        seller_remark=row.seller_remark or "",
        local_remark=row.local_remark or "",
        province=row.receiver_province or "",
        city=row.receiver_city or "",
        district=row.receiver_district or "",
        address=None if encrypted else (row.receiver_address or ""),
        phone=None if encrypted else (row.receiver_phone or ""),
        platform_encrypted=encrypted,
        pay_amount_fen=row.pay_amount_fen,
        quantity=quantity,
        paid_at=row.paid_at,
    )
