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
and its orders `printed` (已打印).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core import clock
from core.models import Order, Package, PackageLine, PrintJob, PrintJobItem, Waybill
from core.models.packages import PRINTABLE_WAYBILL_STATUSES
from core.printing.lease import JobLease, fence

ITEMS = PrintJobItem.__table__
CRASH_NOTE = (
    "the runner stopped while sending this label (crash or kill): it may or may not have "
    "printed; choose reprint or skip"
)
OPEN_STATES = ("queued", "sending", "uncertain", "failed")


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


def step(session: Session, lease: JobLease, change: Step) -> StepResult:
    """Apply `change` fenced by the lease. Items move to `sending` only while the job is
    `running` and their waybill is still printable; others of `start` fail, named."""
    now = clock.now()
    done = _move(session, change.done, ("sending",), state="done", done_at=now)
    if done:
        _mark_printed(session, done)
    failed = _move_each(session, change.failed, ("queued", "sending"), "failed")
    _move_each(session, change.requeue, ("sending",), "queued")
    uncertain = _move_each(session, change.uncertain, ("sending",), "uncertain")
    status = fence(
        session, lease, done_items=len(done), failed_items=len(failed),
        uncertain_items=len(uncertain),
    )  # fmt: skip
    started: tuple[int, ...] = ()
    refused: dict[int, str] = {}
    if change.start and status == "running":
        refused = _unprintable(session, change.start)
        if refused:
            _move_each(session, refused, ("queued",), "failed")
            fence(session, lease, failed_items=len(refused))
        wanted = [i for i in change.start if i not in refused]
        started = tuple(
            _move(session, wanted, ("queued",), state="sending", sent_at=now, last_error="",
                  attempts=ITEMS.c.attempts + 1)
        )  # fmt: skip
        for item_id in started:
            if item_id in change.refs:
                session.execute(
                    update(ITEMS)
                    .where(ITEMS.c.id == item_id)
                    .values(device_ref=change.refs[item_id])
                )
    return StepResult(status, started, refused)


def recover(session: Session, job_id: int) -> int:
    """Items a dead runner left in `sending` become `uncertain` (call with the lease held,
    or with the job's lease known to be free/dead). Returns how many."""
    moved = session.execute(
        update(ITEMS)
        .where(ITEMS.c.job_id == job_id, ITEMS.c.state == "sending")
        .values(state="uncertain", last_error=CRASH_NOTE)
    ).rowcount
    return moved


def requeue_failed(session: Session, job_id: int) -> int:
    """Failed items go back to `queued` for another try — except labels whose waybill
    another job has printed or queued meanwhile (those are cancelled, named)."""
    other = PrintJobItem.__table__.alias("other")
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
    session.execute(
        update(ITEMS)
        .where(ITEMS.c.job_id == job_id, ITEMS.c.state == "failed", ITEMS.c.waybill_id.is_not(None))
        .where(ITEMS.c.reprint.is_(False), taken)
        .values(state="cancelled", last_error="its waybill was printed by another job meanwhile")
    )
    return session.execute(
        update(ITEMS)
        .where(ITEMS.c.job_id == job_id, ITEMS.c.state == "failed")
        .values(state="queued")
    ).rowcount


def recount(session: Session, job_id: int) -> dict[str, int]:
    """Set the job's counters from its items (they are kept by deltas meanwhile)."""
    counts = dict(
        session.execute(
            select(ITEMS.c.state, func.count())
            .where(ITEMS.c.job_id == job_id)
            .group_by(ITEMS.c.state)
        ).all()
    )
    session.execute(
        update(PrintJob)
        .where(PrintJob.id == job_id)
        .values(
            total_items=sum(counts.values()),
            done_items=counts.get("done", 0),
            failed_items=counts.get("failed", 0),
            uncertain_items=counts.get("uncertain", 0),
        )
        .execution_options(synchronize_session=False)
    )
    return counts


# ---------------------------------------------------------------- helpers


def _move(session: Session, ids: Sequence[int], sources: tuple[str, ...], **values) -> list[int]:  # type: ignore[no-untyped-def]
    if not ids:
        return []
    rows = session.execute(
        update(ITEMS)
        .where(ITEMS.c.id.in_(list(ids)), ITEMS.c.state.in_(sources))
        .values(**values)
        .returning(ITEMS.c.id)
    ).all()
    return [r[0] for r in rows]


def _move_each(
    session: Session, errors: Mapping[int, str], sources: tuple[str, ...], state: str
) -> list[int]:
    moved = []
    for item_id, error in errors.items():
        moved += _move(session, [item_id], sources, state=state, last_error=error[:2000])
    return moved


def _unprintable(session: Session, ids: Sequence[int]) -> dict[int, str]:
    """Label items whose waybill is no longer printable (cancelled since the page was read)."""
    rows = session.execute(
        select(ITEMS.c.id, Waybill.number, Waybill.status)
        .join(Waybill, Waybill.id == ITEMS.c.waybill_id)
        .where(ITEMS.c.id.in_(list(ids)), Waybill.status.not_in(PRINTABLE_WAYBILL_STATUSES))
    ).all()
    return {i: f"waybill {n} is {s}; it cannot be printed" for i, n, s in rows}


def _mark_printed(session: Session, item_ids: list[int]) -> None:
    """Waybills of finished labels → printed; their packages and orders → printed."""
    rows = session.execute(
        select(ITEMS.c.waybill_id, ITEMS.c.package_id).where(
            ITEMS.c.id.in_(item_ids), ITEMS.c.kind == "label", ITEMS.c.waybill_id.is_not(None)
        )
    ).all()
    if not rows:
        return
    now = clock.now()
    waybill_ids = [w for w, _ in rows]
    package_ids = [p for _, p in rows]
    session.execute(
        update(Waybill)
        .where(Waybill.id.in_(waybill_ids), Waybill.status == "allocated")
        .values(status="printed", printed_at=now)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        update(Package)
        .where(Package.id.in_(package_ids), Package.status.in_(("new", "waybill_allocated")))
        .values(status="printed")
        .execution_options(synchronize_session=False)
    )
    voided = session.execute(
        select(ITEMS.c.id, Waybill.number, Waybill.status)
        .join(Waybill, Waybill.id == ITEMS.c.waybill_id)
        .where(ITEMS.c.id.in_(item_ids), Waybill.status.not_in(PRINTABLE_WAYBILL_STATUSES))
    ).all()
    for item_id, number, status in voided:  # cancelled while its label was being sent
        session.execute(
            update(ITEMS)
            .where(ITEMS.c.id == item_id)
            .values(last_error=f"printed, but waybill {number} is {status}: do not ship it")
        )
    session.execute(
        update(Order)
        .where(
            Order.id.in_(
                select(PackageLine.order_id).where(PackageLine.package_id.in_(package_ids))
            ),
            Order.hub_status.in_(("pending", "audited")),
        )
        .values(hub_status="printed")
        .execution_options(synchronize_session=False)
    )


def open_items(session: Session, job_id: int) -> dict[str, int]:
    """Counts of unfinished items by state."""
    return dict(
        session.execute(
            select(ITEMS.c.state, func.count())
            .where(ITEMS.c.job_id == job_id, ITEMS.c.state.in_(OPEN_STATES))
            .group_by(ITEMS.c.state)
        ).all()
    )
