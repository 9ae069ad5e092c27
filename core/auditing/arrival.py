"""What happens to orders when they arrive or change: one entry point for sync, import,
a person's edit and the periodic pass, so that every path does the same three steps in
the caller's transaction, in this order:

1. assignment rules give each unprinted order its carrier account and template
   (`core.assignment.assigning.assign_orders`; a hand-made choice is kept);
2. with the rule set's `auto_merge` on, orders of one receiver in one shop are merged
   into one package (`core.orders.merging.merge_all_candidates`; a group that cannot be
   merged — a waybill drawn, a hold — is left as it is and stays `mergeable`);
3. the audit rules check the orders and approve those that pass
   (`core.auditing.engine.check_orders`).

Assignment comes first because rules may one day look at the carrier, and merging before
checking means merged orders are not reported as `mergeable`. New orders of a sync window
or an import batch mostly skip the check after the write: `core.auditing.admission`
writes the same verdict with their insert and sends only the rest here.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy.orm import Session

from core.assignment.assigning import assign_orders
from core.auditing.engine import CheckReport, check_orders
from core.auditing.settings import load
from core.orders.merging import merge_all_candidates


def orders_arrived(
    session: Session,
    org_id: int,
    order_ids: Iterable[int],
    *,
    now: datetime | None = None,
    recheck_audited: bool = False,
) -> CheckReport:
    """Assign, merge (when the rule set says so) and check these orders of `org_id`.
    `recheck_audited`: audited orders are checked again too (after an edit)."""
    ids = sorted(set(order_ids))
    if not ids:
        return CheckReport()
    assign_orders(session, org_id, ids)
    settings, _ = load(session, org_id)
    if settings.auto_merge:
        merge_all_candidates(session, org_id, order_ids=ids)
    return check_orders(
        session, org_id, ids, now=now, recheck_audited=recheck_audited, settings=settings
    )
