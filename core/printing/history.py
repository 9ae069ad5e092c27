"""Print history (底单) and job listings.

The history is the record of every document sent to a printer: one row per print item
that was sent (done, uncertain, or sending right now), with the job, printer, template
version, waybill, orders and who ran the batch. It answers the questions a merchant asks
after the fact — was this order's label printed, when, by whom, how many times, was it a
reprint and why — and is queried by order number, waybill number, user and time. It never
shows buyer data.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, aliased

from core.accounts import authz
from core.actor import Actor
from core.app import App
from core.errors import NotFound, ValidationError
from core.models import (
    Order,
    PackageLine,
    Printer,
    PrintJob,
    PrintJobItem,
    Template,
    TemplateVersion,
    User,
    Waybill,
)

LIMIT_MAX = 1000
SENT_STATES = ("done", "uncertain", "sending")


@dataclass(frozen=True)
class HistoryRow:
    item_id: int
    job_id: int
    position: int
    kind: str
    state: str
    at: datetime | None  # when it was sent
    waybill: str
    orders: tuple[str, ...]
    printer: str
    template: str  # name@version
    user: str
    reprint: bool
    reason: str
    attempts: int
    note: str


def print_history(
    app: App,
    actor: Actor,
    *,
    order_number: str | None = None,
    waybill_number: str | None = None,
    user: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    kind: str | None = None,
    before_id: int | None = None,
    limit: int = 100,
) -> list[HistoryRow]:
    """Sent documents, newest first (`order.view` or `print.run`); `before_id` pages on."""
    if not 1 <= limit <= LIMIT_MAX:
        raise ValidationError(f"limit must be 1 to {LIMIT_MAX}", field="limit")
    with app.tx() as session:
        held = authz.permissions_of(session, actor)
        if not held & {"order.view", "print.run"}:
            authz.require(session, actor, "order.view")
        item = PrintJobItem
        stmt = (
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
            .where(item.org_id == actor.org_id, item.state.in_(SENT_STATES))
        )
        if order_number:
            stmt = stmt.where(
                item.package_id.in_(
                    select(PackageLine.package_id)
                    .join(Order, Order.id == PackageLine.order_id)
                    .where(
                        Order.org_id == actor.org_id,
                        Order.platform_order_no == order_number.strip(),
                    )
                )
            )
        if waybill_number:
            stmt = stmt.where(Waybill.number == waybill_number.strip())
        if user:
            stmt = stmt.where(_by_user(session, actor, user.strip()))
        if since is not None:
            stmt = stmt.where(item.sent_at >= since)
        if until is not None:
            stmt = stmt.where(item.sent_at < until)
        if kind:
            stmt = stmt.where(item.kind == kind)
        if before_id is not None:
            stmt = stmt.where(item.id < before_id)
        rows = session.execute(stmt.order_by(item.id.desc()).limit(limit)).all()
        orders = _order_numbers(session, {r[0].package_id for r in rows if r[0].package_id})
        return [
            HistoryRow(
                item_id=i.id,
                job_id=i.job_id,
                position=i.position,
                kind=i.kind,
                state=i.state,
                at=i.done_at or i.sent_at,
                waybill=number or "",
                orders=orders.get(i.package_id, ()),
                printer=printer or "",
                template=f"{tname}@{tversion}" if tname else "",
                user=label,
                reprint=i.reprint or bool(i.reprint_reason),
                reason=i.reprint_reason,
                attempts=i.attempts,
                note=i.last_error,
            )
            for i, label, printer, number, tname, tversion in rows
        ]


def _by_user(session: Session, actor: Actor, user: str):  # type: ignore[no-untyped-def]
    """Jobs run by a user (by username), or by a CLI/system label such as `cli:alice`."""
    user_id = session.scalar(
        select(User.id).where(User.org_id == actor.org_id, User.username == user.lower())
    )
    if user_id is None:
        return PrintJob.actor_label == user
    return or_(PrintJob.created_by == user_id, PrintJob.actor_label == user)


def _order_numbers(session: Session, package_ids: set[int]) -> dict[int, tuple[str, ...]]:
    found: dict[int, list[str]] = defaultdict(list)
    ids = sorted(package_ids)
    for start in range(0, len(ids), 500):
        rows = session.execute(
            select(PackageLine.package_id, Order.platform_order_no)
            .join(Order, Order.id == PackageLine.order_id)
            .where(PackageLine.package_id.in_(ids[start : start + 500]))
            .distinct()
            .order_by(PackageLine.package_id, Order.platform_order_no)
        )
        for package_id, number in rows:
            found[package_id].append(number)
    return {k: tuple(v) for k, v in found.items()}


# ---------------------------------------------------------------- jobs


@dataclass(frozen=True)
class JobInfo:
    id: int
    kind: str
    status: str
    total: int
    done: int
    failed: int
    uncertain: int
    printers: tuple[str, ...]
    user: str
    created_at: datetime
    finished_at: datetime | None
    error: str
    running_on: str  # the runner holding the lease, if any


def list_jobs(
    app: App,
    actor: Actor,
    *,
    status: str | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[JobInfo]:
    """The org's print jobs, newest first; `before_id` pages on (the page before's last id)."""
    if not 1 <= limit <= LIMIT_MAX:
        raise ValidationError(f"limit must be 1 to {LIMIT_MAX}", field="limit")
    with app.tx() as session:
        _require_view(session, actor)
        stmt = select(PrintJob).where(PrintJob.org_id == actor.org_id)
        if status:
            stmt = stmt.where(PrintJob.status == status)
        if before_id is not None:
            stmt = stmt.where(PrintJob.id < before_id)
        return [
            _job_info(j) for j in session.scalars(stmt.order_by(PrintJob.id.desc()).limit(limit))
        ]


def get_job(app: App, actor: Actor, job_id: int) -> JobInfo:
    with app.tx() as session:
        _require_view(session, actor)
        job = session.get(PrintJob, job_id)
        if job is None or job.org_id != actor.org_id:
            raise NotFound(f"no print job {job_id}")
        return _job_info(job)


@dataclass(frozen=True)
class JobDetail:
    """A job's state with how many of its items are in each state (`states`)."""

    id: int
    kind: str
    status: str
    total: int
    done: int
    failed: int
    uncertain: int
    states: dict[str, int]
    printers: tuple[str, ...]
    template: str  # name@version
    reprint: bool
    user: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    error: str
    running_on: str


def job_detail(app: App, actor: Actor, job_id: int) -> JobDetail:
    """One job of the org with its items counted by state (`order.view` or `print.run`)."""
    with app.tx() as session:
        _require_view(session, actor)
        job = session.get(PrintJob, job_id)
        if job is None or job.org_id != actor.org_id:
            raise NotFound(f"no print job {job_id}")
        states = dict(
            session.execute(
                select(PrintJobItem.state, func.count())
                .where(PrintJobItem.job_id == job_id)
                .group_by(PrintJobItem.state)
                .order_by(PrintJobItem.state)
            ).all()
        )
        template = ""
        if job.template_version_id is not None:
            found = session.execute(
                select(Template.name, TemplateVersion.version)
                .join(TemplateVersion, TemplateVersion.template_id == Template.id)
                .where(TemplateVersion.id == job.template_version_id)
            ).first()
            template = f"{found[0]}@{found[1]}" if found else ""
        info = _job_info(job)
        return JobDetail(
            id=info.id,
            kind=info.kind,
            status=info.status,
            total=sum(states.values()),
            done=states.get("done", 0),
            failed=states.get("failed", 0),
            uncertain=states.get("uncertain", 0),
            states=states,
            printers=info.printers,
            template=template,
            reprint=bool((job.options or {}).get("reprint")),
            user=info.user,
            created_at=info.created_at,
            started_at=job.started_at,
            finished_at=info.finished_at,
            error=info.error,
            running_on=info.running_on,
        )


@dataclass(frozen=True)
class ItemInfo:
    position: int
    kind: str
    state: str
    orders: tuple[str, ...]
    waybill: str
    printer: str
    attempts: int
    reprint: bool
    error: str


def job_items(
    app: App,
    actor: Actor,
    job_id: int,
    *,
    states: tuple[str, ...] = (),
    after: int = 0,
    limit: int = 200,
) -> list[ItemInfo]:
    """Items of a job by position (those in `states` when given), a page at a time."""
    with app.tx() as session:
        _require_view(session, actor)
        job = session.get(PrintJob, job_id)
        if job is None or job.org_id != actor.org_id:
            raise NotFound(f"no print job {job_id}")
        printer = aliased(Printer)
        stmt = (
            select(PrintJobItem, Waybill.number, printer.name)
            .outerjoin(Waybill, Waybill.id == PrintJobItem.waybill_id)
            .outerjoin(printer, printer.id == PrintJobItem.printer_id)
            .where(PrintJobItem.job_id == job_id, PrintJobItem.position > after)
        )
        if states:
            stmt = stmt.where(PrintJobItem.state.in_(states))
        rows = session.execute(stmt.order_by(PrintJobItem.position).limit(limit)).all()
        orders = _order_numbers(session, {r[0].package_id for r in rows if r[0].package_id})
        return [
            ItemInfo(
                i.position,
                i.kind,
                i.state,
                orders.get(i.package_id, ()),
                number or "",
                name or "",
                i.attempts,
                i.reprint or bool(i.reprint_reason),
                i.last_error,
            )
            for i, number, name in rows
        ]


def _require_view(session: Session, actor: Actor) -> None:
    held = authz.permissions_of(session, actor)
    if not held & {"order.view", "print.run"}:
        authz.require(session, actor, "print.run")


def _job_info(job: PrintJob) -> JobInfo:
    return JobInfo(
        id=job.id,
        kind=job.kind,
        status=job.status,
        total=job.total_items,
        done=job.done_items,
        failed=job.failed_items,
        uncertain=job.uncertain_items,
        printers=tuple((job.options or {}).get("printers", ())),
        user=job.actor_label,
        created_at=job.created_at,
        finished_at=job.finished_at,
        error=job.error,
        running_on=job.lease_owner or "",
    )
