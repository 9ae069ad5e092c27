"""One window of one shop: fetch every page, then store it with the cursor, atomically.

`fetch_window` pages a window (from the last page back when the platform reports a
total, sweeping again when late writes grew it, at most `MAX_SWEEPS` times); `ShopFeed`
holds the shop's token and refreshes it when it expires; `store_window` writes the
orders, the quarantine of those the plugin could not read (`core.orders.quarantine`), the
cursor move and the `SyncRun` row in one transaction fenced by the shop lease (invariant
2), with the audit rules' verdict on new orders written with them and assignment,
auto-merge and the rules run on the rest (`core.auditing.admission`);
then raises an alert per newly quarantined order and emits `order_synced`. Why pages
are read backwards: docs/architecture.md, "Sync paging".
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import update

from core import clock
from core.alerts.raising import raise_alert
from core.app import App
from core.auditing.admission import Admission
from core.contracts.platform import OrderPage, OrderWindow, SalesPlatform
from core.contracts.types import PlatformOrder, UnreadableOrder
from core.errors import AuthenticationFailed, ExternalError
from core.models import Shop, SyncRun
from core.orders import quarantine
from core.orders import store as order_store
from core.orders.rows import PreparedOrder
from core.shops.tokens import access_token_for, refresh_tokens, stored_access_token
from core.sync import lease as leases
from core.sync.windows import cursor_after

log = logging.getLogger("orderhub.sync")

SHOPS = Shop.__table__
#: Sweeps of one window at most while late writes keep arriving in it.
MAX_SWEEPS = 3
#: Calls of one page at most for retryable failures. The plugin's client retries each
#: call itself (Pinduoduo: 4 attempts with back-off), so this is a second, slower line
#: for an outage longer than the client's patience — not a multiplier to grow.
PAGE_ATTEMPTS = 2
#: Seconds to wait before the engine's own retry of a page.
PAGE_RETRY_DELAY = 2.0
TOKEN_EXPIRED = "token_expired"
UNREADABLE_ALERT = "sync.order_unreadable"
#: Tokens one call may move on to (refreshed here or by another process) before a
#: rejection fails it: a pass with several reader processes can meet its token expired,
#: refreshed by a sibling (which revokes the old one) and expired again within one call.
TOKEN_TURNS = 4


@dataclass
class WindowReport:
    """What one window did: the figures a `SyncRun` row and `orderhub sync` show."""

    shop_id: int
    window: OrderWindow
    kind: str
    pages: int = 0
    sweeps: int = 0
    seen: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    quarantined: int = 0  # unreadable orders set aside (new or seen again)
    cleared: int = 0  # quarantined orders read and stored at last
    started_at: datetime = field(default_factory=clock.now)
    finished_at: datetime | None = None
    cursor: datetime | None = None
    run_id: int | None = None

    @property
    def duration_ms(self) -> int:
        end = self.finished_at or clock.now()
        return int((end - self.started_at).total_seconds() * 1000)


@dataclass
class FetchedWindow:
    """A window's orders as read: `orders` from a reader in this process, or `prepared`
    rows (`core.orders.rows`) from a reader process, with the orders themselves kept in
    them only when a plugin listens to `order_synced`. `unreadable`: the orders the
    plugin could not map, quarantined with the window."""

    orders: list[PlatformOrder]
    pages: int
    sweeps: int
    prepared: list[PreparedOrder] | None = None
    unreadable: list[UnreadableOrder] = field(default_factory=list)

    def platform_orders(self) -> list[PlatformOrder]:
        if self.prepared is None:
            return self.orders
        return [p.order for p in self.prepared if p.order is not None]


class ShopFeed:
    """The platform calls of one shop's pass: the shop's token, refreshed when the platform
    says it expired, and a bounded retry of retryable failures.

    Several feeds may hold one shop's token at once (the reader processes of a parallel
    pass), and a refresh by one revokes the token the others hold. So a rejected token is
    compared with the stored one first: when another feed has moved on, the call is tried
    again with the stored token; an expired token that is still the stored one is
    refreshed. Each token is refreshed at most once, and a call moves on to at most
    `TOKEN_TURNS` tokens: a platform that rejects every new token fails the pass.

    `wait(seconds)` sleeps `retry_delay` between retries (a worker passes its stop event's
    wait, so a shutdown does not sit out a back-off).
    """

    def __init__(
        self,
        app: App,
        shop_id: int,
        platform: SalesPlatform,
        *,
        wait: Callable[[float], object] = time.sleep,
        retry_delay: float = PAGE_RETRY_DELAY,
    ) -> None:

        self.app = app
        self.shop_id = shop_id
        self.platform = platform
        self._wait = wait
        self._retry_delay = retry_delay
        self._token = access_token_for(app, shop_id)

    def page(self, window: OrderWindow, number: int) -> OrderPage:
        return self._call(lambda token: self.platform.fetch_orders(token, window, number))

    def detail(self, order_number: str) -> PlatformOrder:
        return self._call(lambda token: self.platform.order_detail(token, order_number))

    def platform_now(self) -> datetime:
        """The platform's clock when it tells it, else ours (`MIN_LAG` covers the skew)."""
        if getattr(self.platform, "SUPPORTS_SERVER_TIME", False):
            return self._call(lambda _token: self.platform.server_time())
        return clock.now()

    def _call(self, call):  # type: ignore[no-untyped-def]
        turns = 0
        attempt = 1
        while True:
            used = self._token
            try:
                return call(used)
            except AuthenticationFailed as exc:
                turns += 1
                expired = getattr(exc, "code", "") == TOKEN_EXPIRED
                if turns > TOKEN_TURNS or not self._move_on(used, expired=expired):
                    raise
            except ExternalError as exc:
                if not exc.retryable or attempt >= PAGE_ATTEMPTS:
                    raise
                log.warning(
                    "shop %s: %s; trying again in %.1f s", self.shop_id, exc, self._retry_delay
                )
                attempt += 1
                self._wait(self._retry_delay)

    def _move_on(self, used: str, *, expired: bool) -> bool:
        """After the platform rejected `used`: take the token another feed stored since,
        or refresh an expired one; False when there is nothing new to try."""
        if expired:
            log.info("shop %s: access token expired; refreshing it", self.shop_id)
            shop = refresh_tokens(self.app, self.shop_id, stale_token=used)
            self._token = (shop.credentials or {})["access_token"]
        else:
            self._token = stored_access_token(self.app, self.shop_id)
        return self._token != used


def fetch_window(feed: ShopFeed, window: OrderWindow) -> FetchedWindow:
    """Every order of `window` (see the module docstring for the paging order)."""
    first = feed.page(window, 1)
    pages = 1
    if not first.has_next:
        return FetchedWindow(list(first.orders), pages, 1, unreadable=list(first.unreadable))
    if first.total is None:
        return _forwards(feed, window, first)
    size = len(first.orders)
    if size == 0:  # has_next with an empty page 1: trust the flag and page forwards
        return _forwards(feed, window, first)
    collected: list[PlatformOrder] = []
    unreadable: list[UnreadableOrder] = []
    total = first.total
    sweeps = 0
    while True:
        sweeps += 1
        last = max(1, -(-total // size))
        end_total: int | None = None
        for number in range(last, 0, -1):
            page = feed.page(window, number)
            pages += 1
            collected.extend(page.orders)
            unreadable.extend(page.unreadable)
            if number == 1:
                end_total = page.total
        if end_total is None or end_total <= total or sweeps >= MAX_SWEEPS:
            if end_total is not None and end_total > total:
                log.warning(
                    "shop %s: window %s kept growing (%d → %d orders) over %d sweeps; "
                    "the next pass's overlap reads it again",
                    feed.shop_id,
                    _label(window),
                    total,
                    end_total,
                    sweeps,
                )
            return FetchedWindow(collected, pages, sweeps, unreadable=unreadable)
        log.info(
            "shop %s: window %s grew from %d to %d orders while paging; sweeping it again",
            feed.shop_id,
            _label(window),
            total,
            end_total,
        )
        total = end_total


def _forwards(feed: ShopFeed, window: OrderWindow, first: OrderPage) -> FetchedWindow:
    collected, unreadable = list(first.orders), list(first.unreadable)
    page, pages = first, 1
    while page.has_next:
        page = feed.page(window, page.page + 1)
        pages += 1
        collected.extend(page.orders)
        unreadable.extend(page.unreadable)
    return FetchedWindow(collected, pages, 1, unreadable=unreadable)


def store_window(
    app: App,
    lease: leases.Lease,
    *,
    org_id: int,
    cursor: datetime | None,
    window: OrderWindow,
    fetched: FetchedWindow,
    report: WindowReport,
    backfill: bool,
) -> tuple[leases.Lease, WindowReport]:
    """Commit the window's orders, its unreadable orders' quarantine (and the clearing
    of quarantined orders it read), the new cursor and an ok `SyncRun` as one transaction;
    then one alert per newly quarantined order.

    Raises `LeaseLost` (nothing written) when another worker holds the shop now.
    """
    new_cursor = cursor_after(cursor, window, backfill=backfill)
    with app.tx() as session:
        lease = leases.renew(session, lease, app.settings.sync.lease_seconds)
        admission = Admission(session, org_id)  # 审单, with the window
        encoder = order_store.encoder_for(
            session,
            app.keyring,
            org_id=org_id,
            shop_id=lease.shop_id,
            source="sync",
            precheck=admission.precheck,
        )
        prepared = fetched.prepared
        if prepared is None:
            prepared = encoder.encode(fetched.orders)
        result = admission.store(encoder, prepared)
        held = quarantine.settle(
            session,
            org_id=org_id,
            shop_id=lease.shop_id,
            unreadable=fetched.unreadable,
            read_numbers=lambda: (p.number for p in prepared),
        )
        if new_cursor != cursor:
            session.execute(
                update(SHOPS)
                .where(SHOPS.c.id == lease.shop_id, SHOPS.c.lease_owner == lease.owner)
                .values(sync_cursor=new_cursor)
            )
        report.pages, report.sweeps = fetched.pages, fetched.sweeps
        report.seen, report.new = result.seen, result.new
        report.updated, report.unchanged = result.updated, result.unchanged
        report.quarantined, report.cleared = len(held.new) + held.again, len(held.cleared)
        report.finished_at = clock.now()
        report.cursor = new_cursor
        run = SyncRun(
            org_id=org_id,
            shop_id=lease.shop_id,
            kind=report.kind,
            window_start=window.start,
            window_end=window.end,
            pages=report.pages,
            seen=report.seen,
            new=report.new,
            updated=report.updated,
            status="ok",
            worker=lease.owner,
            started_at=report.started_at,
            finished_at=report.finished_at,
            duration_ms=report.duration_ms,
        )
        session.add(run)
        session.flush()
        report.run_id = run.id
    if held.cleared:
        log.info(
            "shop %s: %d quarantined orders read at last: %s",
            lease.shop_id,
            len(held.cleared),
            ", ".join(held.cleared),
        )
    alert_unreadable(app, org_id, lease.shop_id, held.new)
    if result.stored:
        emit_synced(app, org_id, lease.shop_id, fetched.platform_orders(), result)
    return lease, report


def alert_unreadable(app: App, org_id: int, shop_id: int, orders: list[UnreadableOrder]) -> None:
    """One `sync.order_unreadable` alert per newly quarantined order, after commit (an
    alert that fails is logged: the quarantine row is what keeps the order)."""
    for order in orders:
        message = (
            f"订单无法读取，已隔离 / order {order.order_number} of shop {shop_id} could not "
            f"be read and is quarantined; the shop's other orders sync on, and it is tried "
            f"again on each pass. {order.reason}"
        )
        log.warning("shop %s: %s", shop_id, message)
        try:
            raise_alert(app, org_id, UNREADABLE_ALERT, "warning", message)
        except Exception:
            log.exception("shop %s: could not raise the %s alert", shop_id, UNREADABLE_ALERT)


def emit_synced(
    app: App,
    org_id: int,
    shop_id: int,
    orders: list[PlatformOrder],
    result: order_store.UpsertResult,
) -> None:
    """`order_synced` for each stored (new or changed) order, after commit. Skipped
    outright when no plugin listens, so a sync of 100,000 orders builds no arguments."""
    if app.plugins is None or not app.plugins.pm.hook.order_synced.get_hookimpls():
        return
    newest: dict[str, PlatformOrder] = {}
    for order in orders:
        kept = newest.get(order.order_number)
        if kept is None or order.updated_at > kept.updated_at:
            newest[order.order_number] = order
    for number, order_id in result.stored.items():
        app.plugins.emit(
            "order_synced",
            org_id=org_id,
            shop_id=shop_id,
            order_id=order_id,
            order=newest[number],
            created=number in result.created,
        )


def _label(window: OrderWindow) -> str:
    return f"{window.start.isoformat()}–{window.end.isoformat()}"


__all__ = [
    "MAX_SWEEPS",
    "FetchedWindow",
    "ShopFeed",
    "WindowReport",
    "alert_unreadable",
    "emit_synced",
    "fetch_window",
    "store_window",
]
