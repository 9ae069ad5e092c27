"""Arriving orders on the writer's side: the audit's verdict written with the insert.

A sync window or an import batch used to store its orders, read them back and check them
— a second pass over every row in the one writing process. Here the writer takes each new
order's `Verdict` (the single-order rules, run where the order was encoded:
`core.auditing.precheck`), asks the database the two questions that need other orders —
another shop's copy of the number (`duplicate_order`), an unshipped order of the same
receiver (`mergeable`) — for the whole batch at once, and writes reasons,
`rules_checked_at` and, for an order that passes and has waited, the approval into the
row it inserts, with one `order.approve` event each. A stored pending order that a new
arrival makes mergeable gets the reason too (its row locked, its version checked).

What is not the plain case goes the usual way after the write
(`core.auditing.arrival.orders_arrived`: assignment, auto-merge, `engine.check_orders`):
orders that existed already (updates), orders held on arrival, merge candidates when the
rule set merges them automatically, verdicts made under an older rule set, and orders
encoded without a precheck. The outcome is the same either way:
`tests/auditing/test_admission.py` compares the two paths order by order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock
from core.assignment.assigning import assign_orders
from core.auditing import arrival, batch, precheck, rules, writes
from core.auditing.engine import AUTO_LABEL, waited
from core.auditing.settings import load
from core.models import Order, Shop
from core.orders import status as order_status
from core.orders.rows import OrderEncoder, PreparedOrder
from core.orders.store import UpsertResult, write_prepared
from core.stock import reservations

ORDERS = Order.__table__


class Admission:
    """One batch of arriving orders of `org_id`, in the caller's transaction."""

    def __init__(self, session: Session, org_id: int, *, now: datetime | None = None) -> None:
        self.session, self.org_id = session, org_id
        self.now = now or clock.now()
        self.settings, self.version = load(session, org_id)
        #: Numbers of new orders judged here; of those, the approved.
        self._judged: set[str] = set()
        self._approved: list[str] = []
        #: Candidates left to the usual path (auto-merge), stored partners to judge again.
        self._deferred: set[str] = set()
        self._partners: set[int] = set()
        #: Stored pending orders a new arrival makes `mergeable`: (id, version, reasons).
        self._named: list[writes.Checked] = []
        self._batch: set[str] = set()  # numbers of the batch being stored

    @property
    def precheck(self) -> precheck.Precheck:
        """The precheck for encoders of this batch's orders."""
        return precheck.Precheck(self.settings, self.version)

    def store(self, encoder: OrderEncoder, prepared: Sequence[PreparedOrder]) -> UpsertResult:
        """Write the orders (`core.orders.store.write_prepared`), then the arrival steps."""
        self._batch = {item.number for item in prepared}
        result = write_prepared(self.session, encoder, prepared, before_insert=self._judge(encoder))
        self._finish(result)
        return result

    def _judge(self, encoder: OrderEncoder):  # type: ignore[no-untyped-def]
        def judge(fresh: list[PreparedOrder]) -> None:
            candidates, partners = [], []  # partners: what may share a receiver
            for item in fresh:
                verdict = item.verdict
                current = verdict is not None and verdict.version == self.version
                if current and verdict.action == precheck.SKIP:
                    self._judged.add(item.number)
                    continue
                if current and verdict.action == precheck.CHECK:
                    candidates.append(item)
                if not current or verdict.action != precheck.DEFER:
                    partners.append(item)
            if candidates:
                cross = self._cross(encoder, candidates, partners)
                chosen = [c for c in candidates if c.number not in self._deferred]
                self._write_verdicts(encoder, chosen, cross)

        return judge

    def _write_verdicts(
        self, encoder: OrderEncoder, candidates: list[PreparedOrder], cross: dict[str, list[str]]
    ) -> None:
        """Each candidate's reasons, check time and approval into its row (values that
        repeat encoded once a batch)."""
        wait = timedelta(minutes=self.settings.wait_minutes)
        stamp = encoder.encoded("rules_checked_at", self.now)
        flagged = encoder.encoded("in_exception", True)
        clear = encoder.encoded("in_exception", False)
        audited = encoder.encoded("hub_status", order_status.AUDITED)
        lists: dict[tuple[str, ...], Any] = {}
        for item in candidates:
            verdict = item.verdict
            reasons = verdict.reasons
            more = cross.get(item.number)
            if more:
                reasons = tuple(dict.fromkeys(reasons + tuple(more)))
            encoded = lists.get(reasons)
            if encoded is None:
                encoded = lists[reasons] = encoder.encoded("exception_reasons", list(reasons))
            values = {
                "exception_reasons": encoded,
                "in_exception": flagged if reasons else clear,
                "rules_checked_at": stamp,
            }
            if not more and verdict.approvable and waited(verdict.paid_at, wait, self.now):
                values.update(hub_status=audited, audited_at=stamp)
                self._approved.append(item.number)
            item.row = encoder.with_encoded(item.row, values)
            self._judged.add(item.number)

    def _cross(
        self,
        encoder: OrderEncoder,
        candidates: list[PreparedOrder],
        partners: list[PreparedOrder],
    ) -> dict[str, list[str]]:
        """Number → what the duplicate and merge rules say of each candidate, against
        stored orders and the batch's `partners` (as `engine.check_orders` would). Stored
        pending partners are judged again after the write (they may be mergeable now)."""
        out: dict[str, list[str]] = {}
        settings = self.settings
        if settings.duplicate_order:
            for number in self._copied_elsewhere(encoder.shop_id, [c.number for c in candidates]):
                out.setdefault(number, []).append(rules.DUPLICATE)
        if settings.mergeable or settings.auto_merge:
            hashes = {c.number: encoder.column(c.row, "receiver_hash") for c in candidates}
            counts = Counter(encoder.column(p.row, "receiver_hash") for p in partners)
            wanted = sorted({h for h in hashes.values() if h})
            stored = self._unshipped_receivers(encoder.shop_id, wanted)
            for number, receiver in hashes.items():
                if receiver and (counts[receiver] > 1 or receiver in stored):
                    if settings.auto_merge:  # merged first, after the write
                        self._deferred.add(number)
                    else:
                        out.setdefault(number, []).append(rules.MERGEABLE)
        return out

    def _copied_elsewhere(self, shop_id: int, numbers: list[str]) -> set[str]:
        """Numbers stored in another shop of the org (a duplicate, as `batch.duplicates`)."""
        session = self.session
        others = list(
            session.scalars(select(Shop.id).where(Shop.org_id == self.org_id, Shop.id != shop_id))
        )
        if not others:
            return set()
        statement = select(ORDERS.c.platform_order_no).where(
            batch.among(session, ORDERS.c.shop_id, others),
            batch.among(session, ORDERS.c.platform_order_no, numbers),
        )
        return set(session.scalars(statement))

    def _unshipped_receivers(self, shop_id: int, hashes: list[str]) -> set[str]:
        """Receiver hashes among `hashes` of the shop's stored unshipped, unheld orders.
        Pending ones among those orders not yet named `mergeable` are named now (with
        `auto_merge`, judged again after the write instead), locked as the usual check
        locks them."""
        if not hashes:
            return set()
        session = self.session
        statement = (
            select(
                ORDERS.c.id,
                ORDERS.c.platform_order_no,
                ORDERS.c.receiver_hash,
                ORDERS.c.hub_status,
                ORDERS.c.version,
                ORDERS.c.exception_reasons,
            )
            .where(
                ORDERS.c.org_id == self.org_id,
                ORDERS.c.shop_id == shop_id,
                batch.among(session, ORDERS.c.receiver_hash, hashes),
                ORDERS.c.hub_status.in_(batch.UNSHIPPED),
                ORDERS.c.on_hold.is_(False),
            )
            .with_for_update()
        )
        found = set()
        for order_id, number, receiver, status, version, reasons in session.execute(statement):
            found.add(receiver)
            reasons = list(reasons or [])
            if status != order_status.PENDING or rules.MERGEABLE in reasons:
                continue
            # An order this batch updates too is judged after its update (the version
            # read here would be stale by then).
            if self.settings.auto_merge or not self.settings.mergeable or number in self._batch:
                self._partners.add(order_id)
            else:
                self._named.append((order_id, version, [*reasons, rules.MERGEABLE]))
        return found

    def _finish(self, result: UpsertResult) -> None:
        """Events for the approvals, assignment for the judged; the rest the usual way."""
        judged = {
            number: order_id
            for number, order_id in result.stored.items()
            if number in self._judged and number in result.created
        }
        approved = [judged[n] for n in self._approved if n in judged]
        writes.record_approvals(self.session, self.org_id, approved, AUTO_LABEL, self.now)
        reservations.reconcile(self.session, self.org_id, approved, AUTO_LABEL)  # reserve
        writes.record_checks(self.session, self._named, self.now, approve=False)
        if judged:
            assign_orders(self.session, self.org_id, judged.values())
        rest = [i for n, i in result.stored.items() if n not in judged]
        arrival.orders_arrived(self.session, self.org_id, [*rest, *self._partners], now=self.now)
