"""Draining the outbox: claim due rows, look at the orders' live status, send, record.

One pass (`drain`) repeats until no row is due (or a limit or a stop request):

1. claim a batch (`outbox.claim_due`, a lease of `[shipback] lease_seconds`) — the
   claiming transaction ends before any platform call;
2. per shop, one `fetch_order_statuses` per 100 orders (Pinduoduo `pdd.order.status.get`):
   refunded, after-sale or closed orders are held, unknown ones need a person;
3. `confirm_shipment` for each other row, `[shipback] send_concurrency` calls in flight
   (a worker's time is the platform's round trip, not its CPU), each started while the
   claim has at least half its length left (rows not reached are given back);
4. outcomes are recorded every few rows, fenced by the claim (`outbox.record`), and the
   alerts for holds and needs-a-person failures raised once per recorded batch.

Exactly once (invariant 6): the platform call is not idempotent on the wire, so the
design relies on the platform recognising a repeat. A worker killed after the platform
applied a confirmation but before recording it leaves the row claimed; the claim runs
out, another worker takes the row, the live status says "shipped", and the repeated
`confirm_shipment` meets the order already shipped with this number — the plugin returns
normally (its contract) and the row is recorded done as `already_shipped`. So a row is
*applied* once, and a repeat call is only ever a recognised no-op. See
docs/architecture.md, "Ship-back".
"""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from core import clock
from core.accounts import authz
from core.actor import Actor
from core.app import App
from core.config import ShipbackSettings
from core.contracts.platform import SalesPlatform, ShipmentConfirmation
from core.contracts.types import OrderStatus
from core.errors import Conflict
from core.models import ShipmentOutbox, Shop
from core.runtime.progress import Progress, guarded
from core.shipback import alerts, classify, outbox
from core.shipback.outbox import Claimed, Outcome
from core.shops.calls import ShopCalls
from core.shops.tokens import platform_for
from core.sync.lease import default_worker_id

log = logging.getLogger("orderhub.shipback")

#: Outcomes are written at least every this many sends (a crash repeats at most these).
RECORD_EVERY = 20


@dataclass
class DrainReport:
    """What a pass did: rows by new state, and the done ones by outcome."""

    claimed: int = 0
    sent: int = 0
    already_shipped: int = 0
    held: int = 0
    needs_person: int = 0
    retrying: int = 0
    released: int = 0
    lost: int = 0  # outcomes not written: the claim had been taken over
    errors: list[str] = field(default_factory=list)

    @property
    def done(self) -> int:
        return self.sent + self.already_shipped

    def add(self, written: Sequence[Outcome], tried: int) -> None:
        self.lost += tried - len(written)
        for item in written:
            if item.state == "done":
                self.sent += item.outcome == "sent"
                self.already_shipped += item.outcome == "already_shipped"
            elif item.state == "held":
                self.held += 1
            elif item.state == "needs_person":
                self.needs_person += 1
            else:
                self.retrying += 1
                if len(self.errors) < 5 and item.error not in self.errors:
                    self.errors.append(item.error)


def drain(
    app: App,
    owner: str | None = None,
    *,
    max_rows: int | None = None,
    org_id: int | None = None,
    stop: Callable[[], bool] = lambda: False,
    on_progress: Callable[[DrainReport], Any] | None = None,
) -> DrainReport:
    """Send every due row (at most `max_rows`; only one org's with `org_id`) and return
    what happened. `owner` names the claims (default `host:pid`); `stop` is asked
    between rows. A system operation (the worker's pass); `drain_now` is a person's."""
    owner = owner or default_worker_id()
    settings = app.settings.shipback
    lease = timedelta(seconds=settings.lease_seconds)
    report = DrainReport()
    platforms = _Platforms(app)
    started = clock.now()  # rows put back during this pass wait for the next one
    try:
        while not stop() and (max_rows is None or report.claimed < max_rows):
            size = settings.batch_size
            if max_rows is not None:
                size = min(size, max_rows - report.claimed)
            rows = outbox.claim_due(app, owner, size, lease, org_id=org_id, due_by=started)
            if not rows:
                break
            report.claimed += len(rows)
            # Send only while at least half the claim is left: a call in flight when the
            # claim runs out could meet another worker's repeat of it.
            deadline = time.monotonic() + settings.lease_seconds / 2
            pending: list[Outcome] = []
            for item in _work(app, platforms, rows, deadline, stop):
                if item is None:
                    continue
                pending.append(item)
                if len(pending) >= RECORD_EVERY:
                    _record(app, pending, report)
                    pending = []
            _record(app, pending, report)
            leftover = _unfinished(app, rows)
            report.released += outbox.release(app, leftover)
            if on_progress is not None:
                on_progress(report)
    finally:
        platforms.close()
    return report


def drain_now(
    app: App, actor: Actor, *, max_rows: int | None = None, progress: Progress | None = None
) -> DrainReport:
    """`orderhub ship drain`: the actor's org's due rows, now (`ship.confirm`); `progress`
    hears the rows settled after each claimed batch."""
    with app.tx() as session:
        authz.require(session, actor, "ship.confirm")
    shown = guarded(progress)
    due = outbox.count_due(app, actor.org_id)
    shown.start(due if max_rows is None else min(due, max_rows), "orders", "ship-back")

    seen = 0

    def settled(report: DrainReport) -> None:
        nonlocal seen
        shown.advance(
            report.claimed - seen,
            sent=report.done,
            held=report.held,
            needs_person=report.needs_person,
            retrying=report.retrying,
        )
        seen = report.claimed

    report = drain(app, max_rows=max_rows, org_id=actor.org_id, on_progress=settled)
    shown.finish()
    return report


def _record(app: App, outcomes: list[Outcome], report: DrainReport) -> None:
    if not outcomes:
        return
    written = outbox.record(app, outcomes)
    report.add(written, len(outcomes))
    alerts.after_outcomes(app, written)


def _unfinished(app: App, rows: Sequence[Claimed]) -> list[Claimed]:
    """Rows of this claim still `sending` after the batch (not reached before the
    deadline or a stop)."""
    with app.tx() as session:
        ids = set(
            session.scalars(
                select(ShipmentOutbox.id).where(
                    ShipmentOutbox.id.in_([r.id for r in rows]),
                    ShipmentOutbox.claim_token == rows[0].token,
                    ShipmentOutbox.state == "sending",
                )
            )
        )
    return [r for r in rows if r.id in ids]


def _work(
    app: App,
    platforms: _Platforms,
    rows: Sequence[Claimed],
    deadline: float,
    stop: Callable[[], bool],
) -> Iterator[Outcome | None]:
    """Outcomes of a claimed batch, shop by shop, as they happen."""
    settings = app.settings.shipback
    pool = platforms.pool
    by_shop: dict[int, list[Claimed]] = defaultdict(list)
    for row in rows:
        by_shop[row.shop_id].append(row)
    for shop_id, shop_rows in by_shop.items():
        try:
            feed = _ShopCalls(app, shop_id, platforms.for_shop(shop_id))
            statuses = feed.statuses([r.order_number for r in shop_rows])
        except Exception as exc:
            for row in shop_rows:
                yield classify.failure(row, exc, settings)
            continue
        to_send: list[tuple[Claimed, bool]] = []
        for row in shop_rows:
            info = statuses.get(row.order_number)
            decided = classify.before_sending(row, info)
            if decided is not None:
                yield decided
                continue
            already = info is not None and info.status in (
                OrderStatus.SHIPPED,
                OrderStatus.DELIVERED,
            )
            to_send.append((row, already))
        yield from _send_all(pool, feed, to_send, deadline, stop, settings)


def _send_all(
    pool: ThreadPoolExecutor,
    feed: _ShopCalls,
    to_send: list[tuple[Claimed, bool]],
    deadline: float,
    stop: Callable[[], bool],
    settings: ShipbackSettings,
) -> Iterator[Outcome | None]:
    """`confirm_shipment` for each row, `send_concurrency` calls in flight at a time,
    outcomes as they complete; a row not started before the deadline or a stop is
    yielded as None (left `sending`, given back by the caller)."""
    in_flight: set[Future[Outcome]] = set()
    waiting = list(reversed(to_send))
    while waiting or in_flight:
        while waiting and len(in_flight) < settings.send_concurrency:
            row, already = waiting.pop()
            if stop() or time.monotonic() > deadline:
                yield None
                continue
            in_flight.add(pool.submit(_send, feed, row, already, settings))
        if in_flight:
            finished, in_flight = wait(in_flight, return_when=FIRST_COMPLETED)
            for future in finished:
                yield future.result()


def _send(feed: _ShopCalls, row: Claimed, already: bool, settings: ShipbackSettings) -> Outcome:
    shipment = ShipmentConfirmation(
        order_number=row.order_number,
        logistics_company_id=row.logistics_company_id,
        tracking_number=row.tracking_number,
    )
    try:
        feed.confirm(shipment)
    except Conflict as exc:
        try:
            fresh = feed.statuses([row.order_number]).get(row.order_number)
        except Exception:
            fresh = None
        return classify.after_conflict(row, exc, fresh)
    except Exception as exc:
        return classify.failure(row, exc, settings)
    return classify.sent(row, already_shipped=already)


class _Platforms:
    """Platform plugin instances by name for one pass (closed at its end), the shops'
    platform names, and the threads that send (`[shipback] send_concurrency`)."""

    def __init__(self, app: App) -> None:
        self.app = app
        self._plugins: dict[str, SalesPlatform] = {}
        self._shops: dict[int, str] = {}
        workers = app.settings.shipback.send_concurrency
        self.pool = ThreadPoolExecutor(workers, thread_name_prefix="shipback-send")

    def for_shop(self, shop_id: int) -> SalesPlatform:
        name = self._shops.get(shop_id)
        if name is None:
            with self.app.tx() as session:
                name = session.scalar(select(Shop.platform).where(Shop.id == shop_id)) or ""
            self._shops[shop_id] = name
        if name not in self._plugins:
            self._plugins[name] = platform_for(self.app, name)
        return self._plugins[name]

    def close(self) -> None:
        self.pool.shutdown(wait=True)
        for plugin in self._plugins.values():
            close = getattr(plugin, "close", None)
            if callable(close):
                close()
        self._plugins.clear()


class _ShopCalls(ShopCalls):
    """A shop's calls, and the confirmation ship-back sends."""

    def confirm(self, shipment: ShipmentConfirmation) -> None:
        self.call(lambda token: self.platform.confirm_shipment(token, shipment))
