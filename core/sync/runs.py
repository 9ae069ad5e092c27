"""The end of a pass: the sync-run log, the failure count, the alert, the next sync time.

A *pass* (one shop, its windows oldest first) either finishes — the shop's failure count
goes back to 0 and its next sync is `interval` after the finish — or stops at the first
window that fails: a failed `SyncRun` row carries the error text, the count goes up by
one, and when it reaches `[sync] alert_after_failures` one `sync.failing` alert is raised
(not one per failure; the count must go back to 0 before the next streak alerts again,
and that recovery raises a `sync.recovered` note). Every write here is fenced by the
shop lease, like the window commit.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from core import clock
from core.alerts.raising import raise_alert
from core.app import App
from core.errors import OrderhubError
from core.models import Shop, SyncRun
from core.sync.lease import Lease

log = logging.getLogger("orderhub.sync")

SHOPS = Shop.__table__
INTERVAL_RANGE = (1, 60)
ERROR_MAX = 2000
FAILING = "sync.failing"
RECOVERED = "sync.recovered"


@dataclass(frozen=True)
class ShopState:
    """What a pass needs to know about its shop, read once after the lease is taken."""

    id: int
    org_id: int
    name: str
    platform: str
    cursor: datetime | None
    interval_minutes: int
    failures: int


def load_state(app: App, shop_id: int) -> ShopState:
    with app.tx() as session:
        shop = session.get(Shop, shop_id)
        if shop is None:
            raise OrderhubError(f"shop {shop_id} disappeared while it was being synced")
        return ShopState(
            id=shop.id,
            org_id=shop.org_id,
            name=shop.name,
            platform=shop.platform,
            cursor=clock.as_utc(shop.sync_cursor) if shop.sync_cursor else None,
            interval_minutes=interval_minutes(app, shop.sync_interval_minutes),
            failures=shop.consecutive_failures or 0,
        )


def interval_minutes(app: App, value: int | None) -> int:
    """The shop's interval if it is within 1–60 minutes, else the configured default."""
    low, high = INTERVAL_RANGE
    if isinstance(value, int) and low <= value <= high:
        return value
    return min(high, max(low, int(app.settings.sync.interval_minutes)))


def error_text(exc: BaseException) -> str:
    """A one-line error for the sync log: typed errors as their message, others with
    their type (a plugin bug should be recognisable as one)."""
    text = exc.message if isinstance(exc, OrderhubError) else f"{type(exc).__name__}: {exc}"
    return " ".join(text.split())[:ERROR_MAX]


def finish_pass(app: App, lease: Lease, state: ShopState, *, more: bool) -> bool:
    """Release the shop after a pass that did all its windows: failures back to 0, next
    sync `interval` from now (or at once when the plan was cut short). False when the
    lease had passed to another worker meanwhile."""
    now = clock.now()
    due = now if more else now + timedelta(minutes=state.interval_minutes)
    with app.tx() as session:
        done = session.execute(
            update(SHOPS)
            .where(SHOPS.c.id == lease.shop_id, SHOPS.c.lease_owner == lease.owner)
            .values(
                lease_owner=None,
                lease_expires_at=None,
                next_sync_at=due,
                consecutive_failures=0,
            )
        )
    if done.rowcount != 1:
        log.warning("shop %s: lease passed to another worker before the pass ended", state.id)
        return False
    if state.failures >= app.settings.sync.alert_after_failures:
        _alert(
            app,
            state,
            RECOVERED,
            "info",
            f"店铺同步已恢复 / sync of shop {state.id} ({state.name}) works again after "
            f"{state.failures} failed attempts",
        )
    return True


def stop_pass(app: App, lease: Lease, state: ShopState) -> bool:
    """Release the shop after a pass interrupted by a shutdown: due again at once, so
    another worker (or this one, restarted) carries on from the cursor."""
    with app.tx() as session:
        done = session.execute(
            update(SHOPS)
            .where(SHOPS.c.id == lease.shop_id, SHOPS.c.lease_owner == lease.owner)
            .values(lease_owner=None, lease_expires_at=None, next_sync_at=clock.now())
        )
    return done.rowcount == 1


def record_failure(
    app: App,
    lease: Lease,
    state: ShopState,
    *,
    kind: str,
    error: str,
    window_start: datetime | None,
    window_end: datetime | None,
    started_at: datetime,
    pages: int = 0,
    counted: bool = True,
) -> int | None:
    """Log a failed window (or a pass that failed before its first window), count the
    failure, release the shop until its next interval, and alert once at the threshold.
    A backfill's failure (`counted=False`) is logged and reported to whoever ran it, but
    leaves the shop's schedule and failure count alone.

    Returns the failure count, or None when the lease had passed to another worker (then
    nothing is written: that worker owns the shop's log now).
    """
    now = clock.now()
    at = window_start or state.cursor or now
    values: dict[str, object] = {"lease_owner": None, "lease_expires_at": None}
    if counted:
        values["next_sync_at"] = now + timedelta(minutes=state.interval_minutes)
        values["consecutive_failures"] = SHOPS.c.consecutive_failures + 1
    with app.tx() as session:
        done = session.execute(
            update(SHOPS)
            .where(SHOPS.c.id == lease.shop_id, SHOPS.c.lease_owner == lease.owner)
            .values(**values)
        )
        if done.rowcount != 1:
            log.warning("shop %s: lease lost; failure not recorded: %s", state.id, error)
            return None
        failures = session.scalar(
            select(SHOPS.c.consecutive_failures).where(SHOPS.c.id == lease.shop_id)
        )
        session.add(
            SyncRun(
                org_id=state.org_id,
                shop_id=state.id,
                kind=kind,
                window_start=at,
                window_end=window_end or at,
                pages=pages,
                status="failed",
                error=error[:ERROR_MAX],
                worker=lease.owner,
                started_at=started_at,
                finished_at=now,
                duration_ms=int((now - started_at).total_seconds() * 1000),
            )
        )
    log.warning(
        "shop %s (%s): sync failed (%d in a row): %s", state.id, state.name, failures, error
    )
    if counted and failures == app.settings.sync.alert_after_failures:
        _alert(
            app,
            state,
            FAILING,
            "critical",
            f"店铺同步连续失败 {failures} 次 / sync of shop {state.id} ({state.name}) failed "
            f"{failures} times in a row; orders may be missing until it works again. "
            f"Last error: {error}",
        )
    return int(failures)


def _alert(app: App, state: ShopState, kind: str, severity: str, message: str) -> None:

    try:
        raise_alert(app, state.org_id, kind, severity, message)
    except Exception:  # the sync's own bookkeeping is committed; an alert hook may fail
        log.exception("shop %s: could not raise the %s alert", state.id, kind)
