"""Shop leases: which worker may sync a shop right now.

A lease is two columns on the shop (`lease_owner`, `lease_expires_at`). Taking one is a
conditional UPDATE ("… WHERE the lease is free, expired or already mine"), which is atomic
on both backends: under PostgreSQL's READ COMMITTED a second UPDATE of the same row waits
for the first and re-checks the condition, so exactly one of two racing workers wins. On
PostgreSQL the candidates are picked with `SELECT … FOR UPDATE SKIP LOCKED`, so workers on
several machines pass each other instead of queueing on the same row. On SQLite the
database allows one writer at a time anyway; one worker process is the supported mode
there (several would be correct, but would just take turns).

Every write a sync makes to its shop (the window commit, a failure, the end of a pass) is
*fenced*: it carries `WHERE lease_owner = me`, and a worker whose lease expired and was
taken over finds that its write matched no row, rolls back and stops (`LeaseLost`). So a
stalled worker can never commit a window over the worker that replaced it.

Expiry is compared with `core.clock.now()`: workers on several machines need clocks kept
in step (NTP); `lease_seconds` (default 120 s) is far larger than any sane skew.
"""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from core import clock
from core.app import App
from core.errors import Conflict, NotFound, OrderhubError
from core.models import Shop

SHOPS = Shop.__table__


class LeaseLost(OrderhubError):
    """Another worker holds this shop now (our lease expired); stop without writing."""

    code = "lease_lost"
    http_status = 409


def default_worker_id() -> str:
    """`host:pid` — unique per running process, readable in `sync_runs.worker`."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass(frozen=True)
class Lease:
    shop_id: int
    owner: str
    expires_at: datetime


def lease_length(app: App) -> timedelta:
    return timedelta(seconds=max(1, app.settings.sync.lease_seconds))


def free(now: datetime):  # type: ignore[no-untyped-def]
    """SQL condition: nobody holds the shop, or the holder's lease expired."""
    return or_(
        SHOPS.c.lease_owner.is_(None),
        SHOPS.c.lease_expires_at.is_(None),
        SHOPS.c.lease_expires_at < now,
    )


def free_or_mine(owner: str, now: datetime):  # type: ignore[no-untyped-def]
    """SQL condition: the shop is free (see `free`) or already leased to `owner`."""
    return or_(free(now), SHOPS.c.lease_owner == owner)


def due_condition(now: datetime):  # type: ignore[no-untyped-def]
    """SQL condition: an active shop with sync on whose next sync time has come."""
    return and_(
        SHOPS.c.sync_enabled.is_(True),
        SHOPS.c.status == "active",
        or_(SHOPS.c.next_sync_at.is_(None), SHOPS.c.next_sync_at <= now),
    )


def claim_next_due(app: App, owner: str) -> Lease | None:
    """Lease the most overdue shop that no live worker holds, or None when none is due.

    A shop `owner` itself holds is not offered again: a worker holds at most the shop it
    is syncing, and leftovers of an earlier life are dropped by `release_all` at start.
    """
    now = clock.now()
    expires = now + lease_length(app)
    with app.tx() as session:
        postgres = _is_postgres(session)
        query = (
            select(SHOPS.c.id)
            .where(due_condition(now), free(now))
            .order_by(SHOPS.c.next_sync_at.is_not(None), SHOPS.c.next_sync_at, SHOPS.c.id)
            # PostgreSQL: the first unlocked row is the one to take; SQLite: a few
            # candidates, in case another process took the first meanwhile.
            .limit(1 if postgres else 8)
        )
        if postgres:
            query = query.with_for_update(skip_locked=True, of=SHOPS)
        for shop_id in session.scalars(query).all():
            if _take(session, shop_id, owner, expires, free(now), due_condition(now)):
                return Lease(shop_id, owner, expires)
    return None


def claim_shop(app: App, shop_id: int, owner: str) -> Lease:
    """Lease one shop now, due or not (manual sync and backfill); `Conflict` names the
    worker holding it when another live worker is syncing it."""
    now = clock.now()
    expires = now + lease_length(app)
    with app.tx() as session:
        if _take(session, shop_id, owner, expires, free_or_mine(owner, now)):
            return Lease(shop_id, owner, expires)
        holder = session.execute(
            select(SHOPS.c.lease_owner, SHOPS.c.lease_expires_at).where(SHOPS.c.id == shop_id)
        ).first()
    if holder is None:
        raise NotFound(f"no shop with id {shop_id}")
    until = clock.local_text(clock.as_utc(holder.lease_expires_at))
    raise Conflict(
        f"shop {shop_id} is being synced by worker {holder.lease_owner} (lease until {until}); "
        "try again when it has finished"
    )


def renew(session: Session, lease: Lease, seconds: int) -> Lease:
    """Extend `lease` by `seconds` from now inside the caller's transaction; `LeaseLost`
    if it is no longer ours. The window commit calls this, so the check and the window's
    writes are one atomic act."""
    expires = clock.now() + timedelta(seconds=max(1, seconds))
    result = session.execute(
        update(SHOPS)
        .where(SHOPS.c.id == lease.shop_id, SHOPS.c.lease_owner == lease.owner)
        .values(lease_expires_at=expires)
    )
    if result.rowcount != 1:
        raise LeaseLost(f"worker {lease.owner} lost its lease on shop {lease.shop_id}")
    return Lease(lease.shop_id, lease.owner, expires)


def renew_now(app: App, lease: Lease) -> Lease:
    """Extend `lease` in a transaction of its own (before a window, between long pages)."""
    with app.tx() as session:
        return renew(session, lease, app.settings.sync.lease_seconds)


def release(app: App, lease: Lease, **values: object) -> bool:
    """Give the shop back, writing `values` (next sync time, failure count) in the same
    fenced UPDATE. False when the lease had already passed to another worker."""
    with app.tx() as session:
        result = session.execute(
            update(SHOPS)
            .where(SHOPS.c.id == lease.shop_id, SHOPS.c.lease_owner == lease.owner)
            .values(lease_owner=None, lease_expires_at=None, **values)
        )
        return result.rowcount == 1


def release_all(app: App, owner: str) -> int:
    """Drop every lease `owner` holds (a worker stopping, or starting again after a crash
    under the same id); the shops keep their schedule."""
    with app.tx() as session:
        result = session.execute(
            update(SHOPS)
            .where(SHOPS.c.lease_owner == owner)
            .values(lease_owner=None, lease_expires_at=None)
        )
        return result.rowcount


def _take(session: Session, shop_id: int, owner: str, expires: datetime, *conditions) -> bool:  # type: ignore[no-untyped-def]
    """The conditional UPDATE that takes a lease: True when this call won it."""
    result = session.execute(
        update(SHOPS)
        .where(SHOPS.c.id == shop_id, *conditions)
        .values(lease_owner=owner, lease_expires_at=expires)
    )
    return result.rowcount == 1


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"
