"""The running workers and the leases held right now, for `orderhub status`.

Read from one connection, never written: the registry (`workers`), the shops' sync leases,
the print jobs' leases and the ship-back outbox claims (rows `sending`, by owner). A lease
past its expiry is listed as `expired` — its owner died or stalled, and the next worker
to look takes the work over. Print-job leases carry the worker's print owner
(`host:pid:random`); `worker` names the registered worker it belongs to when known.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select

from core import clock
from core.models import PrintJob, ShipmentOutbox, Shop, WorkerProcess
from core.workers.registry import STALE_BEATS

WORKERS, SHOPS, JOBS, OUTBOX = (
    WorkerProcess.__table__,
    Shop.__table__,
    PrintJob.__table__,
    ShipmentOutbox.__table__,
)
#: At most this many leases of each kind are listed (the counts are always whole).
SHOWN = 100


@dataclass(frozen=True)
class WorkerInfo:
    id: str
    host: str
    pid: int
    version: str
    passes: list[str]
    printers: list[str]
    started_at: datetime
    last_seen_at: datetime
    running: bool  # seen within STALE_BEATS heartbeats


@dataclass(frozen=True)
class LeaseInfo:
    kind: str  # shop | print_job | outbox
    target: str  # "shop 3 旗舰店", "print job 42 (running, 10/200)", "7 outbox row(s)"
    org_id: int | None
    owner: str
    worker: str | None  # the registered worker holding it, when known
    expires_at: datetime
    expired: bool


@dataclass
class WorkersOverview:
    heartbeat_seconds: int
    workers: list[WorkerInfo] = field(default_factory=list)  # running ones first
    leases: list[LeaseInfo] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # leases held, by kind

    @property
    def running(self) -> list[WorkerInfo]:
        return [w for w in self.workers if w.running]

    def as_dict(self) -> dict[str, Any]:
        def plain(value: Any) -> Any:
            if isinstance(value, datetime):
                return clock.as_utc(value).isoformat()
            if isinstance(value, dict):
                return {k: plain(v) for k, v in value.items()}
            if isinstance(value, list):
                return [plain(v) for v in value]
            return value

        return plain(asdict(self))


def overview(
    conn: Connection, heartbeat_seconds: int, now: datetime | None = None
) -> WorkersOverview:
    """Every registered worker (running or gone) and every lease held (see the module)."""
    now = now or clock.now()
    fresh = now - timedelta(seconds=heartbeat_seconds * STALE_BEATS)
    workers = [
        WorkerInfo(
            id=row.id,
            host=row.host,
            pid=row.pid,
            version=row.version,
            passes=list(row.passes or []),
            printers=list(row.printers or []),
            started_at=clock.as_utc(row.started_at),
            last_seen_at=clock.as_utc(row.last_seen_at),
            running=clock.as_utc(row.last_seen_at) >= fresh,
        )
        for row in conn.execute(select(WORKERS).order_by(WORKERS.c.started_at, WORKERS.c.id))
    ]
    workers.sort(key=lambda w: not w.running)
    print_owners = {
        row.print_owner: row.id
        for row in conn.execute(select(WORKERS.c.id, WORKERS.c.print_owner))
        if row.print_owner
    }
    ids = {w.id for w in workers}
    result = WorkersOverview(heartbeat_seconds, workers)

    def lease(
        kind: str, target: str, org: int | None, owner: str, until: datetime, worker: str | None
    ) -> None:
        until = clock.as_utc(until)
        result.leases.append(LeaseInfo(kind, target, org, owner, worker, until, until < now))

    held = SHOPS.c.lease_owner.is_not(None)
    result.counts["shop"] = conn.scalar(select(func.count()).where(held)) or 0
    for row in conn.execute(
        select(
            SHOPS.c.id, SHOPS.c.org_id, SHOPS.c.name, SHOPS.c.lease_owner, SHOPS.c.lease_expires_at
        )
        .where(held, SHOPS.c.lease_expires_at.is_not(None))
        .order_by(SHOPS.c.lease_expires_at)
        .limit(SHOWN)
    ):
        owner = row.lease_owner
        lease(
            "shop",
            f"shop {row.id} {row.name}",
            row.org_id,
            owner,
            row.lease_expires_at,
            owner if owner in ids else None,
        )

    held = JOBS.c.lease_owner.is_not(None)
    result.counts["print_job"] = conn.scalar(select(func.count()).where(held)) or 0
    for row in conn.execute(
        select(
            JOBS.c.id,
            JOBS.c.org_id,
            JOBS.c.status,
            JOBS.c.done_items,
            JOBS.c.total_items,
            JOBS.c.lease_owner,
            JOBS.c.lease_expires_at,
        )
        .where(held, JOBS.c.lease_expires_at.is_not(None))
        .order_by(JOBS.c.lease_expires_at)
        .limit(SHOWN)
    ):
        target = f"print job {row.id} ({row.status}, {row.done_items}/{row.total_items})"
        owner = row.lease_owner
        lease("print_job", target, row.org_id, owner, row.lease_expires_at, print_owners.get(owner))

    claimed = (OUTBOX.c.state == "sending") & OUTBOX.c.claim_owner.is_not(None)
    rows = conn.execute(
        select(OUTBOX.c.claim_owner, func.count(), func.max(OUTBOX.c.claim_until))
        .where(claimed)
        .group_by(OUTBOX.c.claim_owner)
        .order_by(OUTBOX.c.claim_owner)
        .limit(SHOWN)
    ).all()
    result.counts["outbox"] = sum(n for _owner, n, _until in rows)
    for owner, n, until in rows:
        if until is not None:
            lease(
                "outbox", f"{n} outbox row(s)", None, owner, until, owner if owner in ids else None
            )
    return result
