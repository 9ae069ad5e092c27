"""Print-job leases: which runner process may send a job's items right now.

A lease is two columns of the job (`lease_owner`, `lease_expires_at`). Taking one is a
conditional UPDATE ("… WHERE the job is free, expired, or held by a dead process of this
host"), atomic on both backends; on PostgreSQL the job row is first picked with
`SELECT … FOR UPDATE SKIP LOCKED`, so two runners racing for one job (or workers picking
the next job) pass each other instead of queueing, and exactly one wins.

Every state change a runner makes is *fenced*: its UPDATE of the job carries
`WHERE lease_owner = me` (and renews the lease), and a runner whose lease was taken over
finds its write matched nothing, rolls back and stops (`LeaseLost`). Moving an item to
`sending` is fenced also on the job being `running`, so a pause or cancel requested by an
operator stops the runner before its next label while the label in flight still gets
recorded as done. A runner that was SIGKILLed holds its lease until it expires — unless
the lease names a process of this host that no longer exists, which a restarted runner
sees at once (so `orderhub print resume` right after a crash does not wait).
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, and_, bindparam, or_, select, update
from sqlalchemy.orm import Session

from core import clock
from core.app import App
from core.errors import Conflict, NotFound, OrderhubError
from core.models import PrintJob, PrintJobItem

JOBS = PrintJob.__table__
#: Where a statement runs: an ORM session or a plain connection (the hot path).
Executor = Session | Connection
#: Longer than any driver's write timeout (the print component waits up to 60 s for a
#: result): a runner renews its lease at every label, so only a dead or stalled one loses
#: it. A crashed runner on this host is taken over at once (see `holder_is_dead`).
LEASE_SECONDS = 180
#: A job in one of these may be (re)started by a runner.
RUNNABLE = ("queued", "running", "paused", "failed")


class LeaseLost(OrderhubError):
    """Another runner holds this job now (ours expired), or it was cancelled: stop."""

    code = "lease_lost"
    http_status = 409


@dataclass(frozen=True)
class JobLease:
    job_id: int
    org_id: int
    owner: str
    seconds: int = LEASE_SECONDS


def new_owner() -> str:
    """`host:pid:random` — unique per runner, and says which process holds a job."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def holder_is_dead(owner: str | None) -> bool:
    """True when `owner` names a process of this host that no longer runs. A pid reused
    by another process reads as alive: the lease then simply has to expire (safe side)."""
    if not owner:
        return False
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname()[:40] or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return False  # this process: alive by definition (an older runner of ours)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def _free(now: datetime, owner: str):  # type: ignore[no-untyped-def]
    return or_(
        JOBS.c.lease_owner.is_(None),
        JOBS.c.lease_expires_at.is_(None),
        JOBS.c.lease_expires_at < now,
        JOBS.c.lease_owner == owner,
    )


def claim(app: App, org_id: int, job_id: int, owner: str, seconds: int = LEASE_SECONDS) -> JobLease:
    """Lease job `job_id` for `owner`; `Conflict` names the live runner holding it."""
    now = clock.now()
    with app.tx() as session:
        pick = select(JOBS.c.id, JOBS.c.status, JOBS.c.lease_owner, JOBS.c.lease_expires_at).where(
            JOBS.c.id == job_id, JOBS.c.org_id == org_id
        )
        if _is_postgres(session):
            pick = pick.with_for_update(skip_locked=True)
        row = session.execute(pick).first()
        if row is None:
            exists = session.scalar(
                select(JOBS.c.id).where(JOBS.c.id == job_id, JOBS.c.org_id == org_id)
            )
            if exists is None:
                raise NotFound(f"no print job {job_id}")
            raise Conflict(f"print job {job_id} is being claimed by another runner right now")
        if row.status not in RUNNABLE:
            raise Conflict(f"print job {job_id} is {row.status}; there is nothing to resume")
        condition = _free(now, owner)
        if holder_is_dead(row.lease_owner):
            condition = or_(condition, JOBS.c.lease_owner == row.lease_owner)
        if _take(session, job_id, owner, now + timedelta(seconds=seconds), condition):
            return JobLease(job_id, org_id, owner, seconds)
    with app.tx() as session:  # lost: say who won (read again, the first read is stale)
        holder = session.execute(
            select(JOBS.c.status, JOBS.c.lease_owner, JOBS.c.lease_expires_at).where(
                JOBS.c.id == job_id
            )
        ).one()
    if holder.lease_owner is None or holder.lease_expires_at is None:
        raise Conflict(f"print job {job_id} was just run by another runner ({holder.status})")
    until = clock.local_text(clock.as_utc(holder.lease_expires_at))
    raise Conflict(
        f"print job {job_id} is being printed by runner {holder.lease_owner} (lease until "
        f"{until}); wait for it to finish or pause it"
    )


def claim_next(
    app: App,
    owner: str,
    seconds: int = LEASE_SECONDS,
    *,
    printers: Collection[int] | None = None,
) -> JobLease | None:
    """For workers: lease the oldest job waiting for a runner, or None. Waiting: `queued`
    and nobody holds it, or `running` under a lease that expired or names a dead process of
    this host (its runner died: the new run makes its in-flight labels uncertain).
    `printers`: only jobs whose unfinished items all go to these printers (None: any)."""
    if printers is not None and not printers:
        return None
    now = clock.now()
    waiting = or_(
        and_(JOBS.c.status == "queued", _free(now, owner)),
        and_(JOBS.c.status == "running", _free(now, owner)),
    )
    reachable = _on_printers(printers)
    with app.tx() as session:
        postgres = _is_postgres(session)
        query = (
            select(JOBS.c.id, JOBS.c.org_id)
            .where(waiting, *reachable)
            .order_by(JOBS.c.id)
            .limit(1 if postgres else 8)
        )
        if postgres:
            query = query.with_for_update(skip_locked=True, of=JOBS)
        candidates = [(job_id, org_id, waiting) for job_id, org_id in session.execute(query)]
        candidates += _dead_holders(session, now, reachable)
        for job_id, org_id, condition in candidates:
            if _take(session, job_id, owner, now + timedelta(seconds=seconds), condition):
                return JobLease(job_id, org_id, owner, seconds)
    return None


def _on_printers(printers: Collection[int] | None) -> list:  # type: ignore[type-arg]
    """SQL conditions: no unfinished item of the job goes to a printer outside `printers`."""
    if printers is None:
        return []
    items = PrintJobItem.__table__
    elsewhere = (
        select(items.c.id)
        .where(
            items.c.job_id == JOBS.c.id,
            items.c.state.in_(("queued", "sending", "failed")),
            items.c.printer_id.not_in(sorted(printers)),
        )
        .exists()
    )
    return [~elsewhere]


def _dead_holders(session: Session, now: datetime, reachable: list) -> list[tuple]:  # type: ignore[type-arg]
    """Running jobs whose live-looking lease names a process of this host that is gone
    (a worker or `orderhub print` killed here): taken over at once, not after expiry."""
    host = socket.gethostname()[:40]
    rows = session.execute(
        select(JOBS.c.id, JOBS.c.org_id, JOBS.c.lease_owner)
        .where(
            JOBS.c.status == "running",
            JOBS.c.lease_expires_at >= now,
            JOBS.c.lease_owner.like(f"{host}:%"),
            *reachable,
        )
        .order_by(JOBS.c.id)
        .limit(20)
    ).all()
    return [
        (job_id, org_id, and_(JOBS.c.status == "running", JOBS.c.lease_owner == holder))
        for job_id, org_id, holder in rows
        if holder_is_dead(holder)
    ]


_FENCE = (
    update(JOBS)
    .where(JOBS.c.id == bindparam("job"), JOBS.c.lease_owner == bindparam("owner"))
    .values(
        lease_expires_at=bindparam("until"),
        done_items=JOBS.c.done_items + bindparam("add_done"),
        failed_items=JOBS.c.failed_items + bindparam("add_failed"),
        uncertain_items=JOBS.c.uncertain_items + bindparam("add_uncertain"),
    )
    .returning(JOBS.c.status)
)


def fence(
    conn: Executor,
    lease: JobLease,
    *,
    done_items: int = 0,
    failed_items: int = 0,
    uncertain_items: int = 0,
) -> str:
    """Inside the caller's transaction: renew the lease, add to the job's counters and
    return the job's status (the caller sends nothing more unless it is `running`).
    `LeaseLost` (the caller rolls back) when the lease is no longer ours."""
    row = conn.execute(
        _FENCE,
        {
            "job": lease.job_id,
            "owner": lease.owner,
            "until": clock.now() + timedelta(seconds=lease.seconds),
            "add_done": done_items,
            "add_failed": failed_items,
            "add_uncertain": uncertain_items,
        },
    ).first()
    if row is None:
        raise LeaseLost(f"runner {lease.owner} lost its lease on print job {lease.job_id}")
    return row[0]


def release(session: Executor, lease: JobLease, **values: object) -> bool:
    """Give the job back, writing `values` (final status …) in the same fenced UPDATE."""
    result = session.execute(
        update(JOBS)
        .where(JOBS.c.id == lease.job_id, JOBS.c.lease_owner == lease.owner)
        .values(lease_owner=None, lease_expires_at=None, **values)
    )
    return result.rowcount == 1


def _take(session: Executor, job_id: int, owner: str, expires: datetime, condition) -> bool:  # type: ignore[no-untyped-def]
    result = session.execute(
        update(JOBS)
        .where(JOBS.c.id == job_id, JOBS.c.status.in_(RUNNABLE), condition)
        .values(lease_owner=owner, lease_expires_at=expires)
    )
    return result.rowcount == 1


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"
