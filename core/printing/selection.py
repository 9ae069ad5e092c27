"""Choosing the orders of a print batch with the desk's filter language.

`orderhub print --filter "status:audited shop:旗舰店 province:广东省 paid:2026-11-01..2026-11-02"`
— the language of `core.desk.query` (every key of the order list works here too). Scripts
written for the older `key=value` form keep working: `status=audited limit=500
paid_from=2026-11-01 paid_to=2026-11-02 printed=yes`.

What printing adds to a filter:

- without a `status:` or `hub:` term, orders 待审 and 已审 (hub status pending or audited)
  are selected, plus 已打印 when `printed` is `yes` or `any`;
- `printed:no` is the default (orders whose label is not printed yet);
- orders on hold, or with a refund under way or done, are never selected (job creation
  would refuse them anyway; leaving them out keeps `limit:N` meaning N printable orders);
- `limit` defaults to 1000, at most 10000.

The result is ordered by payment time, then id (`sort:` changes it; orders without the
sort value come last), so a batch prints oldest first.
"""

from __future__ import annotations

from sqlalchemy import false, select
from sqlalchemy.orm import Session

from core import clock, crypto
from core.actor import Actor
from core.contracts.types import RefundStatus
from core.desk import predicates
from core.desk.query import KEYS as QUERY_KEYS
from core.desk.query import LEGACY_KEYS, Term, Value, parse
from core.desk.search import SORT_COLUMNS
from core.models import Order

KEYS = (*QUERY_KEYS, *LEGACY_KEYS)
DEFAULT_LIMIT = 1000
MAX_LIMIT = 10_000


def select_order_ids(session: Session, actor: Actor, text: str) -> list[int]:
    """Order ids of the actor's org matching filter `text` (see the module docstring)."""
    query = parse(text)
    if "printed" not in query.key_names():
        query = query.with_terms(Term("printed", (Value("no"),)))
    if not query.key_names() & {"status", "hub"}:
        printed = next(t for t in query.terms if t.key == "printed")
        may_be_printed = not printed.negated and {v.text for v in printed.values} != {"no"}
        statuses = ("pending", "audited", "printed") if may_be_printed else ("pending", "audited")
        query = query.with_terms(Term("hub", tuple(Value(s) for s in statuses)))
    scope = predicates.Scope(actor.org_id, crypto.current_keyring(), clock.now())
    sort = query.sort or "paid"
    column = SORT_COLUMNS[sort.lstrip("-")]
    order = column.desc() if sort.startswith("-") else column
    id_order = Order.id.desc() if sort.startswith("-") and column is Order.id else Order.id
    stmt = (
        select(Order.id)
        .where(
            *predicates.where(query, scope),
            Order.on_hold == false(),
            Order.refund_status == RefundStatus.NONE.value,
        )
        .order_by(column.is_(None), order, id_order)
        .limit(query.limit or DEFAULT_LIMIT)
    )
    return list(session.scalars(stmt))
