"""The engine's writes, at the driver: checked orders and the audit events of approvals.

A sync window or an import batch checks thousands of orders, and SQLAlchemy's own
`executemany` (a statement built, bound and processed per row) cost more than the rules.
Here each column's bind processor — the very function SQLAlchemy would apply — turns
values into driver values, constant ones once per batch (an auto-approval's before/after
and label are the same for every order), and the driver runs one `executemany`, as
`core.orders.store` does for orders.

Every update is guarded by the order's version and bumps it (the ORM's optimistic lock):
a row another session changed since it was read is not overwritten, and the batch is
refused with `Conflict`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from core.errors import Conflict
from core.models import AuditEvent, Order
from core.orders import status as order_status

ORDERS = Order.__table__
EVENTS = AuditEvent.__table__
#: (order id, version read, exception reasons) of one checked order.
Checked = tuple[int, int, list[str]]
_CHECK = ("exception_reasons", "in_exception", "rules_checked_at", "updated_at")
_APPROVE = ("audited_at",)
_EVENT = (
    "org_id",
    "actor_user_id",
    "actor_label",
    "action",
    "target_type",
    "target_id",
    "before",
    "after",
    "detail",
    "at",
)


def record_checks(
    session: Session, checked: Sequence[Checked], now: datetime, *, approve: bool
) -> None:
    """Write each order's reasons (and with `approve`, pending → audited by the system)."""
    if not checked:
        return
    connection = session.connection()
    dialect = connection.dialect
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    process = _processors(ORDERS, _CHECK + _APPROVE, dialect)
    stamp = process["rules_checked_at"](now)
    flagged, clear = process["in_exception"](True), process["in_exception"](False)
    reasons_of = process["exception_reasons"]
    sets = [f"{c} = {marker}" for c in _CHECK]
    if approve:
        sets += [
            f"audited_at = {marker}",
            f"hub_status = '{order_status.AUDITED}'",
            "audited_by = NULL",
            "reject_reason = ''",
        ]
    sql = (
        f"UPDATE orders SET {', '.join(sets)}, version = version + 1 "
        f"WHERE id = {marker} AND version = {marker}"
    )
    extra = (stamp,) if approve else ()
    rows = [
        (reasons_of(reasons), flagged if reasons else clear, stamp, stamp, *extra, oid, version)
        for oid, version, reasons in checked
    ]
    count = connection.exec_driver_sql(sql, rows).rowcount
    if count not in (-1, len(rows)):
        raise Conflict(
            f"{len(rows) - count} of {len(rows)} orders changed while their rules were "
            "checked; nothing was written — try again"
        )


def record_approvals(
    session: Session, org_id: int, order_ids: Sequence[int], actor_label: str, now: datetime
) -> None:
    """One `order.approve` event ("auto", by the system) per approved order."""
    if not order_ids:
        return
    connection = session.connection()
    dialect = connection.dialect
    marker = "?" if dialect.paramstyle == "qmark" else "%s"
    process = _processors(EVENTS, ("before", "after", "at"), dialect)
    before = process["before"]({"hub_status": order_status.PENDING})
    after = process["after"]({"hub_status": order_status.AUDITED})
    at = process["at"](now)
    sql = (
        f"INSERT INTO audit_events ({', '.join(_EVENT)}) "
        f"VALUES ({', '.join([marker] * len(_EVENT))})"
    )
    rows = [
        (org_id, None, actor_label, "order.approve", "order", str(oid), before, after, "auto", at)
        for oid in order_ids
    ]
    connection.exec_driver_sql(sql, rows)


def _processors(table: Any, names: Sequence[str], dialect: Any) -> dict[str, Any]:
    """Each column's bind processor for `dialect` (identity where the type has none)."""
    out = {}
    for name in names:
        processor = table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
        out[name] = processor or (lambda value: value)
    return out
