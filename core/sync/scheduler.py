"""Passes over shops: the scheduled loop's step (`run_due`), manual sync and backfill.

A pass holds the shop's lease from start to end: it plans the windows against the
platform's clock, fetches and commits them one by one (each commit renews the lease and
moves the cursor), and then releases the shop with its next sync time (`runs`). Any
failure stops the pass at the failing window; the windows before it stay committed, the
cursor stays at the last committed window, and the next pass starts there. An order
the platform plugin cannot read does not fail a window: it is quarantined with it, and
retried by detail at the end of each later pass (`retry`).

`Control` carries a worker's stop request: passes check it between windows, so a
shutdown finishes the window in hand, releases the lease and leaves the shop due at once.
It also carries who watches: `on_window` gets each committed window, and `progress`
(`core.runtime.progress`) a task per pass, the plan's windows as its total.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from core import clock
from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.auditing import precheck
from core.contracts.platform import SalesPlatform
from core.errors import Conflict, NotFound, OrderhubError, PermissionDenied, ValidationError
from core.models import Shop
from core.runtime.checkpoints import background_checkpoints
from core.runtime.heap import frozen_heap
from core.runtime.progress import NO_PROGRESS, Progress, guarded
from core.shops.tokens import using_platform
from core.sync import lease as leases
from core.sync import runs
from core.sync.engine import PAGE_RETRY_DELAY, ShopFeed, WindowReport, store_window
from core.sync.parallel import ParallelWindowReader, reader_count
from core.sync.prefetch import WindowReader
from core.sync.reader_process import ReaderSetup
from core.sync.retry import retry_quarantined
from core.sync.windows import (
    MAX_WINDOWS_PER_PASS,
    Plan,
    WindowRules,
    plan_backfill,
    plan_pass,
)

log = logging.getLogger("orderhub.sync")

#: Either lets an actor sync a shop by hand: whoever imports orders or binds shops.
SYNC_PERMISSIONS = frozenset({"order.import", "shop.bind"})


@dataclass
class Control:
    """Stop requests and progress callbacks shared by a worker and its passes."""

    stop: threading.Event = field(default_factory=threading.Event)
    on_window: Callable[[WindowReport], object] | None = None
    #: Told of each pass: its windows as the total, one step per committed window.
    progress: Progress = NO_PROGRESS
    #: Seconds before the engine's own retry of a page (the client has retried already).
    retry_delay: float = PAGE_RETRY_DELAY

    def stopping(self) -> bool:
        return self.stop.is_set()

    def wait(self, seconds: float) -> None:
        """Sleep, but wake at once on a stop request."""
        self.stop.wait(seconds)


@dataclass
class PassReport:
    """One pass over one shop. `status`: ok, failed, stopped (shutdown) or lost (another
    worker took the lease over: nothing more was written)."""

    shop_id: int
    shop_name: str
    kind: str
    status: str = "ok"
    windows: list[WindowReport] = field(default_factory=list)
    error: str = ""
    failures: int = 0
    more: bool = False
    #: Quarantined orders read by detail at the end of the pass and stored.
    recovered: int = 0

    @property
    def seen(self) -> int:
        return sum(w.seen for w in self.windows)

    @property
    def new(self) -> int:
        return sum(w.new for w in self.windows)

    @property
    def updated(self) -> int:
        return sum(w.updated for w in self.windows)


def window_rules(app: App, platform: type[SalesPlatform] | SalesPlatform) -> WindowRules:
    """The platform's window limits with the installation's overlap and first reach."""
    sync = app.settings.sync
    return WindowRules(
        max_window=platform.MAX_WINDOW,
        min_lag=platform.MIN_LAG,
        overlap=timedelta(seconds=sync.overlap_seconds),
        initial=timedelta(days=sync.initial_days),
    )


def run_due(app: App, worker_id: str, control: Control | None = None) -> list[PassReport]:
    """Sync every shop that is due, one at a time, each under a lease; return the passes.

    Several workers (PostgreSQL) each take the next due shop nobody holds, so they share
    the shops without ever syncing one shop twice at once.
    """
    control = control or Control()
    reports: list[PassReport] = []
    while not control.stopping():
        lease = leases.claim_next_due(app, worker_id)
        if lease is None:
            break
        reports.append(run_pass(app, lease, kind="scheduled", control=control))
    return reports


def sync_shop(
    app: App,
    actor: Actor,
    shop_id: int,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    worker_id: str | None = None,
    control: Control | None = None,
) -> PassReport:
    """Sync one shop now (manual), or backfill `[since, until)`; the actor needs
    `order.import` or `shop.bind` in the shop's org. A backfill is audited.

    Raises `Conflict` when the shop is not active (unbound, or waiting to be authorised
    again) or a worker is syncing it at this moment.
    """
    backfill = since is not None or until is not None
    if backfill and (since is None or until is None):
        raise ValidationError("a backfill needs both since and until", field="until")
    with app.tx() as session:
        shop = _shop_for(session, actor, shop_id)
        if shop.status != "active":
            raise Conflict(
                f"shop {shop.id} ({shop.name}) is {shop.status.replace('_', ' ')}; "
                f"bind it again (`orderhub shop bind --platform {shop.platform}`) to sync it"
            )
        if backfill:
            audit.record(
                session,
                "shop.backfill",
                actor=actor,
                target_type="shop",
                target_id=shop_id,
                detail=f"{since.isoformat()} – {until.isoformat()}",  # type: ignore[union-attr]
            )
    lease = leases.claim_shop(app, shop_id, worker_id or leases.default_worker_id())
    kind = "backfill" if backfill else "manual"
    return run_pass(app, lease, kind=kind, since=since, until=until, control=control)


@dataclass(frozen=True)
class SyncRequest:
    """A "sync now" request: the shop is due at `due_at`, for the next free worker.
    `running_worker` names the worker syncing the shop at this moment, if one is: that
    pass is already fetching, and its end sets the shop's next sync time itself."""

    shop_id: int
    shop_name: str
    due_at: datetime
    running_worker: str | None


def request_sync(app: App, actor: Actor, shop_id: int) -> SyncRequest:
    """ "Sync now": make the shop due at once for the workers (`order.import` or
    `shop.bind`); nothing is fetched here, so a front end never waits on the platform.

    Refused (`Conflict`) when no worker would take it: the shop is not active (unbound,
    or waiting to be authorised again) or its sync is switched off.
    """
    now = clock.now()
    with app.tx() as session:
        shop = _shop_for(session, actor, shop_id)
        if shop.status != "active":
            raise Conflict(
                f"shop {shop.id} ({shop.name}) is {shop.status.replace('_', ' ')}; "
                f"bind it again (`orderhub shop bind --platform {shop.platform}`) to sync it"
            )
        if not shop.sync_enabled:
            raise Conflict(
                f"sync is switched off for shop {shop.id} ({shop.name}); switch it on first"
            )
        session.execute(
            update(Shop.__table__).where(Shop.__table__.c.id == shop_id).values(next_sync_at=now)
        )
        expires = clock.as_utc(shop.lease_expires_at) if shop.lease_expires_at else None
        running = shop.lease_owner if expires is not None and expires > now else None
        return SyncRequest(shop.id, shop.name, now, running)


def _shop_for(session: Session, actor: Actor, shop_id: int) -> Shop:
    """The shop, if the actor may sync it: another org's shop is simply not found."""
    if not authz.permissions_of(session, actor) & SYNC_PERMISSIONS:
        raise PermissionDenied(
            f"{actor.label} lacks permission order.import or shop.bind to sync a shop",
            permission="order.import",
        )
    shop = session.get(Shop, shop_id)
    if shop is None or shop.org_id != actor.org_id:
        raise NotFound(f"no shop with id {shop_id}")
    return shop


def run_pass(
    app: App,
    lease: leases.Lease,
    *,
    kind: str,
    since: datetime | None = None,
    until: datetime | None = None,
    control: Control | None = None,
) -> PassReport:
    """One pass over the leased shop; always ends with the lease released (or lost)."""

    control = control or Control()
    try:
        state = runs.load_state(app, lease.shop_id)
    except Exception:
        leases.release(app, lease)
        raise
    report = PassReport(state.id, state.name, kind)
    walk = _Walk(app, _LeaseKeeper(app, lease), state, report, control, backfill=since is not None)
    try:
        with using_platform(app, state.platform) as platform:
            feed = ShopFeed(
                app, state.id, platform, wait=control.wait, retry_delay=control.retry_delay
            )
            rules = window_rules(app, platform)
            platform_now = feed.platform_now()
            if walk.backfill:
                plan = plan_backfill(since, until, platform_now, rules)  # type: ignore[arg-type]
            else:
                # Scheduled passes take turns with other shops; a manual one goes all the way.
                limit = MAX_WINDOWS_PER_PASS if kind == "scheduled" else None
                plan = plan_pass(state.cursor, platform_now, rules, limit=limit)
            report.more = plan.more
            walk.run(feed, plan)
            if report.status == "ok" and not walk.backfill:
                walk.keeper.lease, report.recovered = retry_quarantined(
                    app, walk.keeper.lease, feed, org_id=state.org_id
                )
    except leases.LeaseLost as exc:
        log.warning("shop %s: %s; stopping this pass", state.id, exc)
        report.status = "lost"
        return report
    except Exception as exc:  # any failure, a plugin's bug included, is this shop's failure
        walk.failed(exc)
        return report
    if report.status == "stopped":
        runs.stop_pass(app, walk.keeper.lease, state)
    elif walk.backfill:
        leases.release(app, walk.keeper.lease)
    elif not runs.finish_pass(app, walk.keeper.lease, state, more=report.more):
        report.status = "lost"
    return report


class _Walk:
    """The windows of one pass: read ahead by a `WindowReader`, committed here in order."""

    def __init__(
        self,
        app: App,
        keeper: _LeaseKeeper,
        state: runs.ShopState,
        report: PassReport,
        control: Control,
        *,
        backfill: bool,
    ) -> None:
        self.app, self.keeper, self.state = app, keeper, state
        self.report, self.control, self.backfill = report, control, backfill
        self.current: WindowReport | None = None
        self.started = clock.now()

    def run(self, feed: ShopFeed, plan: Plan) -> None:
        progress = guarded(self.control.progress)
        progress.start(len(plan.windows), "windows", f"shop {self.state.id} {self.state.name}")
        try:
            reader = self._reader(feed, plan)
            bulk = isinstance(reader, ParallelWindowReader)
            with (
                background_checkpoints(self.app.engine) if bulk else nullcontext(),
                frozen_heap() if bulk else nullcontext(),
            ):
                self._store_all(reader, plan, progress)
        finally:
            progress.finish()

    def _store_all(
        self, reader: WindowReader | ParallelWindowReader, plan: Plan, progress: Progress
    ) -> None:
        cursor = self.state.cursor
        seen = new = updated = 0
        try:
            for item in reader:
                if self.control.stopping():
                    self.report.status = "stopped"
                    return
                self.current = WindowReport(
                    self.state.id, item.window, self.report.kind, started_at=item.started_at
                )
                if item.error is not None:
                    raise item.error
                assert item.fetched is not None
                self.keeper.lease, done = store_window(
                    self.app,
                    self.keeper.lease,
                    org_id=self.state.org_id,
                    cursor=cursor,
                    window=item.window,
                    fetched=item.fetched,
                    report=self.current,
                    backfill=self.backfill,
                )
                cursor = done.cursor
                self.report.windows.append(done)
                self.current = None
                if self.control.on_window is not None:
                    self.control.on_window(done)
                seen, new, updated = seen + done.seen, new + done.new, updated + done.updated
                progress.advance(1, seen=seen, new=new, updated=updated)
            if len(self.report.windows) < len(plan.windows):  # the reader stopped early
                self.report.status = "stopped"
        finally:
            reader.close()

    def _precheck(self) -> precheck.Precheck:
        """The org's audit rules as they are now, for the readers' encoders."""
        with self.app.tx() as session:
            return precheck.for_org(session, self.state.org_id)

    def _reader(self, feed: ShopFeed, plan: Plan) -> WindowReader | ParallelWindowReader:
        """Reader processes for a long pass, a thread for a short one (see core.sync.parallel)."""
        idle, every = self.keeper.beat, self.keeper.every.total_seconds() / 2
        processes = reader_count(self.app.settings.sync, len(plan.windows))
        if not processes:
            return WindowReader(
                feed, plan.windows, idle=idle, every=every, stopped=self.control.stopping
            )
        setup = ReaderSetup(
            settings=self.app.settings,
            shop_id=self.state.id,
            org_id=self.state.org_id,
            platform=self.state.platform,
            parent_pid=os.getpid(),
            rate_share=1 / processes,
            entry_point=self.app.plugins.entry_point_of("platform", self.state.platform)
            if self.app.plugins is not None
            else None,
            precheck=self._precheck(),
        )
        log.info(
            "shop %s: reading %d windows with %d reader processes",
            self.state.id,
            len(plan.windows),
            processes,
        )
        return ParallelWindowReader(
            feed,
            plan.windows,
            setup,
            processes=processes,
            keep=_listening(self.app),
            idle=idle,
            every=every,
            stopped=self.control.stopping,
        )

    def failed(self, exc: Exception) -> None:
        """Log the failure against the window in hand (or the pass, before any window)."""
        report, current = self.report, self.current
        report.status = "failed"
        report.error = runs.error_text(exc)
        if not isinstance(exc, OrderhubError):
            log.exception("shop %s: unexpected error during sync", self.state.id)
        failures = runs.record_failure(
            self.app,
            self.keeper.lease,
            self.state,
            kind=report.kind,
            error=report.error,
            window_start=current.window.start if current else None,
            window_end=current.window.end if current else None,
            started_at=current.started_at if current else self.started,
            counted=not self.backfill,
        )
        if failures is None:
            report.status = "lost"
        report.failures = failures or 0


def _listening(app: App) -> bool:
    """Whether a plugin listens to `order_synced` (readers then send the orders along)."""
    return app.plugins is not None and bool(app.plugins.pm.hook.order_synced.get_hookimpls())


class _LeaseKeeper:
    """Renews the lease between pages when a window takes longer than a third of it."""

    def __init__(self, app: App, lease: leases.Lease) -> None:
        self.app = app
        self.lease = lease
        self.every = timedelta(seconds=max(1, app.settings.sync.lease_seconds) / 3)

    def beat(self) -> None:
        if self.lease.expires_at - clock.now() < 2 * self.every:
            self.lease = leases.renew_now(self.app, self.lease)
