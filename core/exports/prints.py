"""Print history (底单) as a table: every document sent to a printer.

The same rows as `core.printing.history.print_history` — items done, uncertain or being
sent — with the same permission (`order.view` or `print.run`), for the orders a desk
filter selects (an item is in when its package holds one of them) and a range on the
time it was sent. Like the history, it never shows buyer data, so there is nothing to
reveal or audit.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock
from core.accounts import authz
from core.actor import Actor
from core.app import App
from core.exports import scope
from core.exports.scope import Exported, Row
from core.models import (
    Order,
    PackageLine,
    Printer,
    PrintJob,
    PrintJobItem,
    Template,
    TemplateVersion,
    Waybill,
)
from core.printing.history import SENT_STATES

COLUMNS = (
    "打印时间",
    "类型",
    "状态",
    "运单号",
    "订单号",
    "打印机",
    "模板",
    "操作人",
    "重打",
    "重打原因",
    "尝试次数",
    "备注",
    "任务ID",
    "序号",
)
STATES = {"done": "已打印", "uncertain": "不确定", "sending": "发送中"}


def export_prints(
    app: App,
    actor: Actor,
    out: BinaryIO,
    fmt: str,
    *,
    query: str | None = "",
    since: str | date | None = None,
    until: str | date | None = None,
) -> Exported:
    """Sent documents of the orders matching `query`, sent within [since, until]."""
    req = scope.request(query, since, until, fmt)
    with app.tx() as session:
        if not authz.permissions_of(session, actor) & {"order.view", "print.run"}:
            authz.require(session, actor, "order.view")
    item = PrintJobItem
    base = select(item.id).where(
        item.org_id == actor.org_id,
        item.state.in_(SENT_STATES),
        *scope.in_range(item.sent_at, req),
    )
    if req.query.terms:
        orders = select(Order.id).where(*scope.order_clauses(req, actor, app))
        base = base.where(
            item.package_id.in_(
                select(PackageLine.package_id).where(PackageLine.order_id.in_(orders))
            )
        )

    def build(session: Session, ids: list[int]) -> list[Row]:
        return _rows(session, actor.org_id, ids)

    rows = scope.batches(app, base, item.id, build, descending=req.descending, most=req.query.limit)
    return scope.write(app, actor, out, req, "prints", COLUMNS, rows)


def _rows(session: Session, org_id: int, ids: list[int]) -> list[Row]:
    item = PrintJobItem
    found = {
        i.id: (i, label, printer, number, tname, tversion)
        for i, label, printer, number, tname, tversion in session.execute(
            select(
                item,
                PrintJob.actor_label,
                Printer.name,
                Waybill.number,
                Template.name,
                TemplateVersion.version,
            )
            .join(PrintJob, PrintJob.id == item.job_id)
            .outerjoin(Printer, Printer.id == item.printer_id)
            .outerjoin(Waybill, Waybill.id == item.waybill_id)
            .outerjoin(TemplateVersion, TemplateVersion.id == item.template_version_id)
            .outerjoin(Template, Template.id == TemplateVersion.template_id)
            .where(item.org_id == org_id, item.id.in_(ids))
        )
    }
    orders = _order_numbers(session, {r[0].package_id for r in found.values() if r[0].package_id})
    rows: list[Row] = []
    for item_id in ids:
        i, label, printer, number, tname, tversion = found[item_id]
        at = i.done_at or i.sent_at
        rows.append(
            [
                None if at is None else clock.as_utc(at),
                i.kind,
                STATES.get(i.state, i.state),
                number or "",
                ", ".join(orders.get(i.package_id, ())),
                printer or "",
                f"{tname}@{tversion}" if tname else "",
                label,
                "是" if i.reprint or i.reprint_reason else "",
                i.reprint_reason,
                i.attempts,
                i.last_error,
                i.job_id,
                i.position,
            ]
        )
    return rows


def _order_numbers(session: Session, package_ids: set[int]) -> dict[int, list[str]]:
    found: dict[int, list[str]] = defaultdict(list)
    if not package_ids:
        return found
    for package_id, number in session.execute(
        select(PackageLine.package_id, Order.platform_order_no)
        .join(Order, Order.id == PackageLine.order_id)
        .where(PackageLine.package_id.in_(list(package_ids)))
        .order_by(PackageLine.package_id, Order.id)
    ):
        if number not in found[package_id]:
            found[package_id].append(number)
    return found
