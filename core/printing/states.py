"""Item state changes, each in one short, fenced transaction.

    queued ──▶ sending ──▶ done
       ▲          ├──────▶ uncertain   (bytes may have left: the operator decides)
       │          ├──────▶ failed      (nothing printed, and retrying will not help now)
       └──────────┘                    (nothing left the machine: tried again on resume)

`sending` is committed *before* a document goes to the printer and `done` *after*, so a
crash at any instant leaves every item either finished, untouched (`queued`), or in
`sending` — and `sending` after a crash is exactly "may have printed": `recover` turns
those into `uncertain`. To halve the commits, a runner finishes item k and starts item k+1
in the same transaction (`step`).

Every change is fenced by the job lease (`core.printing.lease.fence`), so a runner that
lost its job writes nothing. A label marked done marks its waybill and package printed,
and its orders `printed` (已打印). `step` runs once per label, so its statements are
built once (expanding bind parameters) and executed on a plain connection.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import Connection, bindparam, exists, func, or_, select, update

from core import clock
from core.models import Order, Package, PackageLine, PrintJob, PrintJobItem, Waybill
from core.models.packages import PRINTABLE_WAYBILL_STATUSES
from core.printing.lease import Executor, JobLease, fence

ITEMS = PrintJobItem.__table__
WAYBILLS = Waybill.__table__
PACKAGES = Package.__table__
ORDERS = Order.__table__
LINES = PackageLine.__table__
CRASH_NOTE = (
    "the runner stopped while sending this label (crash or kill): it may or may not have "
    "printed; choose reprint or skip"
)
OPEN_STATES = ("queued", "sending", "uncertain", "failed")


class _Statements:
    """The hot statements for a list of item ids, or (`single`) for exactly one — the
    common case, which then needs no expanding parameter at execution."""

    def __init__(self, single: bool) -> None:
        def chosen(column):  # type: ignore[no-untyped-def]
            if single:
                return column == bindparam("ids")
            return column.in_(bindparam("ids", expanding=True))

        self.done = (
            update(ITEMS)
            .where(chosen(ITEMS.c.id), ITEMS.c.state == "sending")
            .values(state="done", done_at=bindparam("at"))
            .returning(ITEMS.c.id, ITEMS.c.kind, ITEMS.c.waybill_id, ITEMS.c.package_id)
        )
        # The next three take waybill / package ids (primary-key lookups, no subquery
        # over the items), which the `done` update returned.
        self.waybills_printed = (
            update(WAYBILLS)
            .where(chosen(WAYBILLS.c.id), WAYBILLS.c.status == "allocated")
            .values(status="printed", printed_at=bindparam("at"))
        )
        # With its first print time and the province its label went to (the reports').
        first_province = (
            select(ORDERS.c.receiver_province)
            .join(LINES, LINES.c.order_id == ORDERS.c.id)
            .where(LINES.c.package_id == PACKAGES.c.id)
            .order_by(LINES.c.id)
            .limit(1)
            .scalar_subquery()
        )
        self.packages_printed = (
            update(PACKAGES)
            .where(chosen(PACKAGES.c.id), PACKAGES.c.status.in_(("new", "waybill_allocated")))
            .values(
                status="printed",
                printed_at=bindparam("at"),
                receiver_province=func.coalesce(first_province, ""),
            )
        )
        # Orders in two steps, each by index: "id IN (subquery)" lets PostgreSQL scan
        # every pending order when its statistics are fresh from a big import.
        self.package_orders = select(LINES.c.order_id).where(chosen(LINES.c.package_id))
        self.orders_printed = (
            update(ORDERS)
            .where(chosen(ORDERS.c.id), ORDERS.c.hub_status.in_(("pending", "audited")))
            .values(hub_status="printed", printed_at=bindparam("at"), version=ORDERS.c.version + 1)
        )
        self.voided = select(WAYBILLS.c.id, WAYBILLS.c.number, WAYBILLS.c.status).where(
            chosen(WAYBILLS.c.id), WAYBILLS.c.status.not_in(PRINTABLE_WAYBILL_STATUSES)
        )
        printable = exists().where(
            WAYBILLS.c.id == ITEMS.c.waybill_id, WAYBILLS.c.status.in_(PRINTABLE_WAYBILL_STATUSES)
        )
        # A hold that arrived after the label was rendered (a refund: the sync, the live
        # check a step ahead) still stops it here, in the transaction that marks it sent.
        held = exists().where(PACKAGES.c.id == ITEMS.c.package_id, PACKAGES.c.status == "on_hold")
        self.start = (
            update(ITEMS)
            .where(
                chosen(ITEMS.c.id),
                ITEMS.c.state == "queued",
                or_(ITEMS.c.waybill_id.is_(None), printable),
                ~held,
            )
            .values(
                state="sending",
                sent_at=bindparam("at"),
                last_error="",
                attempts=ITEMS.c.attempts + 1,
            )
            .returning(ITEMS.c.id)
        )
        self.unprintable = (
            select(ITEMS.c.id, WAYBILLS.c.number, WAYBILLS.c.status)
            .join(WAYBILLS, WAYBILLS.c.id == ITEMS.c.waybill_id)
            .where(chosen(ITEMS.c.id), WAYBILLS.c.status.not_in(PRINTABLE_WAYBILL_STATUSES))
        )
        self.held = (
            select(ITEMS.c.id, PACKAGES.c.id, PACKAGES.c.hold_reason)
            .join(PACKAGES, PACKAGES.c.id == ITEMS.c.package_id)
            .where(chosen(ITEMS.c.id), PACKAGES.c.status == "on_hold")
        )


_ONE, _MANY = _Statements(single=True), _Statements(single=False)


def _ids(ids: Sequence[int]) -> tuple[_Statements, int | list[int]]:
    return (_ONE, ids[0]) if len(ids) == 1 else (_MANY, list(ids))


_SET_REF = update(ITEMS).where(ITEMS.c.id == bindparam("item")).values(device_ref=bindparam("ref"))


def _moving(sources: tuple[str, ...], state: str):  # type: ignore[no-untyped-def]
    return (
        update(ITEMS)
        .where(ITEMS.c.id == bindparam("item"), ITEMS.c.state.in_(sources))
        .values(state=state, last_error=bindparam("error"))
    )


_FAIL = _moving(("queued", "sending"), "failed")
_REQUEUE = _moving(("sending",), "queued")
_UNCERTAIN = _moving(("sending",), "uncertain")
_NOTE = update(ITEMS).where(ITEMS.c.id == bindparam("item")).values(last_error=bindparam("error"))


@dataclass
class Step:
    """One transaction's worth of changes (item ids)."""

    done: Sequence[int] = ()
    start: Sequence[int] = ()
    failed: Mapping[int, str] = field(default_factory=dict)
    requeue: Mapping[int, str] = field(default_factory=dict)
    uncertain: Mapping[int, str] = field(default_factory=dict)
    refs: Mapping[int, str] = field(default_factory=dict)  # device refs of started items


@dataclass(frozen=True)
class StepResult:
    status: str  # the job's status after the step
    started: tuple[int, ...]  # ids moved to sending (the ones to send now)
    refused: dict[int, str]  # ids of `start` that failed their last check instead


def step(conn: Connection, lease: JobLease, change: Step) -> StepResult:
    """Apply `change` fenced by the lease. Items move to `sending` only while the job is
    `running` and their waybill is still printable; others of `start` fail, named."""
    now = clock.now()
    done = []
    if change.done:
        sql, ids = _ids(change.done)
        rows = conn.execute(sql.done, {"ids": ids, "at": now}).all()
        done = [r[0] for r in rows]
        labels = {r[2]: (r[0], r[3]) for r in rows if r[1] == "label" and r[2] is not None}
        if labels:
            _mark_printed(conn, labels, now)
    failed = _each(conn, _FAIL, change.failed)
    _each(conn, _REQUEUE, change.requeue)
    uncertain = _each(conn, _UNCERTAIN, change.uncertain)
    status = fence(
        conn, lease, done_items=len(done), failed_items=len(failed), uncertain_items=len(uncertain)
    )
    started: tuple[int, ...] = ()
    refused: dict[int, str] = {}
    if change.start and status == "running":
        wanted = list(change.start)
        sql, ids = _ids(wanted)
        started = tuple(r[0] for r in conn.execute(sql.start, {"ids": ids, "at": now}))
        if len(started) != len(wanted):
            left = [i for i in wanted if i not in started]
            sql, ids = _ids(left)
            refused = {
                i: f"package {p} is on_hold" + (f": {why}" if why else "")
                for i, p, why in conn.execute(sql.held, {"ids": ids})
            }
            refused.update(
                (i, f"waybill {n} is {s}; it cannot be printed")
                for i, n, s in conn.execute(sql.unprintable, {"ids": ids})
                if i not in refused
            )
            if refused:
                _each(conn, _FAIL, refused)
                fence(conn, lease, failed_items=len(refused))
        refs = [{"item": i, "ref": change.refs[i]} for i in started if i in change.refs]
        if refs:
            conn.execute(_SET_REF, refs)
    return StepResult(status, started, refused)


def _each(conn: Connection, statement, errors: Mapping[int, str]) -> list[int]:  # type: ignore[no-untyped-def]
    moved = []
    for item_id, error in errors.items():
        if conn.execute(statement, {"item": item_id, "error": error[:2000]}).rowcount:
            moved.append(item_id)
    return moved


def _mark_printed(conn: Connection, labels: dict[int, tuple[int, int]], now) -> None:  # type: ignore[no-untyped-def]
    """Waybills of finished labels (waybill id → item id, package id) → printed; their
    packages and orders → printed. A waybill cancelled while its label was on the way is
    noted on the item."""
    sql, waybill_ids = _ids(list(labels))
    moved = conn.execute(sql.waybills_printed, {"ids": waybill_ids, "at": now}).rowcount
    if moved < len(labels):  # reprints (already printed), or voided meanwhile
        for waybill_id, number, status in conn.execute(sql.voided, {"ids": waybill_ids}):
            error = f"printed, but waybill {number} is {status}: do not ship this label"
            conn.execute(_NOTE, {"item": labels[waybill_id][0], "error": error})
    sql, package_ids = _ids([p for _, p in labels.values()])
    conn.execute(sql.packages_printed, {"ids": package_ids, "at": now})
    orders = list(dict.fromkeys(conn.scalars(sql.package_orders, {"ids": package_ids})))
    if orders:
        sql, order_ids = _ids(orders)
        conn.execute(sql.orders_printed, {"ids": order_ids, "at": now})


def recover(conn: Executor, job_id: int) -> int:
    """Items a dead runner left in `sending` become `uncertain` (call with the lease held,
    or with the job's lease known to be free/dead). Returns how many."""
    return conn.execute(
        update(ITEMS)
        .where(ITEMS.c.job_id == job_id, ITEMS.c.state == "sending")
        .values(state="uncertain", last_error=CRASH_NOTE)
    ).rowcount


def requeue_failed(conn: Executor, job_id: int) -> int:
    """Failed items go back to `queued` for another try — except labels whose waybill
    another job has printed or queued meanwhile (those are cancelled, named)."""
    other = ITEMS.alias("other")
    taken = (
        select(other.c.id)
        .where(
            other.c.waybill_id == ITEMS.c.waybill_id,
            other.c.id != ITEMS.c.id,
            other.c.reprint.is_(False),
            other.c.state.not_in(("failed", "cancelled")),
        )
        .exists()
    )
    conn.execute(
        update(ITEMS)
        .where(ITEMS.c.job_id == job_id, ITEMS.c.state == "failed", ITEMS.c.waybill_id.is_not(None))
        .where(ITEMS.c.reprint.is_(False), taken)
        .values(state="cancelled", last_error="its waybill was printed by another job meanwhile")
    )
    return conn.execute(
        update(ITEMS)
        .where(ITEMS.c.job_id == job_id, ITEMS.c.state == "failed")
        .values(state="queued")
    ).rowcount


def recount(conn: Executor, job_id: int) -> dict[str, int]:
    """Set the job's counters from its items (they are kept by deltas meanwhile)."""
    counts = dict(
        conn.execute(
            select(ITEMS.c.state, func.count())
            .where(ITEMS.c.job_id == job_id)
            .group_by(ITEMS.c.state)
        ).all()
    )
    conn.execute(
        update(PrintJob.__table__)
        .where(PrintJob.__table__.c.id == job_id)
        .values(
            total_items=sum(counts.values()),
            done_items=counts.get("done", 0),
            failed_items=counts.get("failed", 0),
            uncertain_items=counts.get("uncertain", 0),
        )
    )
    return counts
