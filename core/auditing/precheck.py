"""The audit rules that need only the order itself, run where an arriving order is encoded.

A sync or an import encodes orders into rows in reader processes (`core.orders.rows`); the
encoder calls a `Precheck` on each order there, so that the rules over the order's own
facts — refund, flags, memos, address, phone, amount, quantity — cost the writer nothing.
Its `Verdict` travels with the row; the writer (`core.auditing.admission`) adds what needs
other orders (duplicates, merge candidates) and the wait after payment, and writes the
outcome with the insert. A `Precheck` carries the rule set's version: a verdict made under
another version than the writer reads is ignored and the order is checked the usual way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import NamedTuple

from sqlalchemy.orm import Session

from core.auditing import rules
from core.auditing.engine import kept_reason, may_approve
from core.auditing.settings import RuleSettings, load
from core.contracts.types import PlatformOrder
from core.orders import status as order_status

#: What the writer does with an order: judge it with the verdict, or leave it as stored.
CHECK = "check"  # pending and not held: the verdict stands, once cross-order rules agree
SKIP = "skip"  # not pending: the rules do not look at it (as `engine.check_orders`)
DEFER = "defer"  # held on arrival: checked after the write, by `engine.check_orders`


class Verdict(NamedTuple):
    """The single-order rules' outcome for one arriving order (small: it is pickled)."""

    version: int
    action: str
    reasons: tuple[str, ...]
    #: Approved on arrival if the cross-order rules find nothing and the wait has ended.
    approvable: bool
    #: Payment (else creation) time, from which the wait after payment runs.
    paid_at: datetime | None


@dataclass(frozen=True)
class Precheck:
    """The org's rule set at `version`, applied to orders as they are encoded."""

    settings: RuleSettings
    version: int
    #: The rules' context, built in each process (it holds the division table).
    context: rules.Context = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "context", rules.Context(self.settings))

    def __reduce__(self) -> tuple[type[Precheck], tuple[RuleSettings, int]]:
        return (Precheck, (self.settings, self.version))  # the context is rebuilt there

    def __call__(self, order: PlatformOrder, derived: order_status.Derived) -> Verdict:
        paid = order.paid_at or order.created_at
        if derived.hub_status != order_status.PENDING:
            return Verdict(self.version, SKIP, (), False, paid)
        if derived.hold:
            return Verdict(self.version, DEFER, (), False, paid)
        refund = order.refund_status.value
        failures = rules.evaluate(facts_of(order), self.context, rules.SINGLE_ORDER)
        kept = [r for r in derived.exception_reasons if kept_reason(r, refund)]
        reasons = list(dict.fromkeys(kept + [code for code, _ in failures]))
        approvable = may_approve(self.settings, reasons, derived.hub_status, False, refund)
        return Verdict(self.version, CHECK, tuple(reasons), approvable, paid)


def for_org(session: Session, org_id: int) -> Precheck:
    """The precheck of the org's rule set as it is now."""
    settings, version = load(session, org_id)
    return Precheck(settings, version)


def facts_of(order: PlatformOrder) -> rules.OrderFacts:
    """What the rules see of an order that is not stored yet (no local flag or remark)."""
    receiver = order.receiver
    encrypted = bool(receiver.encrypted)
    return rules.OrderFacts(
        id=0,
        shop_id=0,
        number=order.order_number,
        refund_status=order.refund_status.value,
        flag=order.remark_flag or "",
        buyer_memo=order.buyer_memo or "",
        seller_remark=order.seller_remark or "",
        local_remark="",
        province=receiver.province or "",
        city=receiver.city or "",
        district=receiver.district or "",
        address=None if encrypted else (receiver.address or ""),
        phone=None if encrypted else (receiver.phone or ""),
        platform_encrypted=encrypted,
        pay_amount_fen=order.paid_fen,
        quantity=sum(line.quantity for line in order.lines),
        paid_at=order.paid_at,
    )
