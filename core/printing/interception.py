"""退款拦截 before labels go out: the platform's live refund status, checked ahead of the
printers.

A refund the buyer asks for between the last sync and the print would otherwise get a
label printed and, on a busy afternoon, a parcel packed. While a job runs, a
`RefundCheck` thread walks its queued items in position order, a step of 100 items at a
time, and asks each bound shop's platform for the live status of their orders (one
`fetch_order_statuses` per 100 orders: Pinduoduo's `pdd.order.status.get`). An order the
platform says is refunding, refunded or cancelled is stored so at once — its refund
status, on hold with the reason, its packages held (`core.holds.packages`) — and
one critical alert names them all at the end of the walk.

Printers never overtake the check: a printer thread renders while the check runs, but
calls `wait_through(position)` before it sends a chunk, and the step that marks items
`sending` (`core.printing.states`) refuses those whose package is on hold, naming the
reason. The first label waits for one status call at most, overlapped with its
rendering, not for the whole batch; later calls overlap with printing (100 labels take
0.5 s at 200 labels/s, a status call well under that).

The check is a safety net, not a gate: when a platform cannot be asked (an outage, no
status call), that shop's labels print and the job says so; the pack station and
ship-back check again before anything leaves.
"""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import select

from core.alerts.raising import raise_alert
from core.app import App
from core.contracts.platform import OrderStatusInfo
from core.contracts.types import OrderStatus
from core.holds.packages import hold_packages
from core.models import Order, PackageLine, PrintJobItem, Shop
from core.orders import status as order_status
from core.shops.calls import ShopCalls
from core.shops.tokens import platform_for

log = logging.getLogger("orderhub.printing")

HOLD_REASON = "退款拦截（打印前核对）/ refund found before printing"
#: Items per step of the walk: one status call per shop for a step of single-order packages.
STEP_ITEMS = 100
#: Platform answers that stop a label: a refund under way or done, or the order closed.
_STOPPING_REFUNDS = frozenset(order_status.BLOCKING_REFUNDS)


@dataclass
class Interception:
    """What the check found: orders held (number → why) and shops it could not ask (id →
    why)."""

    held: dict[str, str] = field(default_factory=dict)
    unchecked: dict[int, str] = field(default_factory=dict)

    def message(self) -> str:
        parts = []
        if self.held:
            shown = ", ".join(sorted(self.held)[:5]) + (" …" if len(self.held) > 5 else "")
            parts.append(f"退款拦截 {len(self.held)} 单，不打印 / {len(self.held)} held: {shown}")
        for shop_id, why in sorted(self.unchecked.items()):
            parts.append(f"shop {shop_id}: live refund check failed ({why}); printing anyway")
        return "; ".join(parts)


class RefundCheck:
    """The live refund check of one job run, a step ahead of its printers.

    `start()` begins the walk in a thread; `wait_through(position)` returns once every
    queued item up to `position` has been checked (or the walk ended or `stop` was set);
    `finish()` ends the walk and returns what it found.
    """

    def __init__(
        self,
        app: App,
        org_id: int,
        job_id: int,
        stop: threading.Event,
        on_found: Callable[[Interception], None] | None = None,
    ) -> None:
        self.app, self.org_id, self.job_id, self.stop = app, org_id, job_id, stop
        self.on_found = on_found  # called with the Interception when the walk found something
        self.found = Interception()
        self._checked_through = -1
        self._walk_over = False
        self._changed = threading.Condition()
        self._calls: dict[int, ShopCalls] = {}
        self._thread = threading.Thread(target=self._walk, name=f"refund-check-{job_id}")

    def start(self) -> RefundCheck:
        self._thread.daemon = True
        self._thread.start()
        return self

    def wait_through(self, position: int) -> None:
        with self._changed:
            while not (self._walk_over or self._checked_through >= position or self.stop.is_set()):
                self._changed.wait(timeout=0.5)

    def finish(self) -> Interception:
        self.stop_walk()
        self._thread.join()
        return self.found

    def stop_walk(self) -> None:
        with self._changed:
            self._walk_over = True
            self._changed.notify_all()

    # ------------------------------------------------------------------ the walk

    def _walk(self) -> None:
        try:
            bound = _bound_shops(self.app, self.org_id)
            after = -1
            while bound and not self.stop.is_set() and not self._walk_over:
                step = _next_step(self.app, self.org_id, self.job_id, after)
                if step is None:
                    break
                last, by_shop = step
                for (shop_id, platform_name), numbers in by_shop.items():
                    if shop_id in bound and shop_id not in self.found.unchecked:
                        self._check(shop_id, platform_name, numbers)
                after = last
                self._advance(last)
        except Exception as exc:  # a bug here must not stop the labels: say so, print on
            log.exception("job %s: the live refund check stopped", self.job_id)
            self.found.unchecked[0] = f"the check stopped: {type(exc).__name__}: {exc}"
        finally:
            self._close_platforms()
            self.stop_walk()
            self._announce()

    def _check(self, shop_id: int, platform_name: str, numbers: list[str]) -> None:
        try:
            calls = self._calls.get(shop_id)
            if calls is None:
                calls = self._calls[shop_id] = ShopCalls(
                    self.app, shop_id, platform_for(self.app, platform_name)
                )
            statuses = calls.statuses(numbers)
        except Exception as exc:  # the platform, not the batch: print and say so
            log.warning("shop %s: live refund check before printing failed: %s", shop_id, exc)
            first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            self.found.unchecked[shop_id] = first
            return
        stopped = {n: info for n, info in statuses.items() if _stops(info)}
        if stopped:
            self.found.held.update(_hold(self.app, self.org_id, shop_id, stopped))

    def _advance(self, position: int) -> None:
        with self._changed:
            self._checked_through = position
            self._changed.notify_all()

    def _close_platforms(self) -> None:
        for calls in self._calls.values():
            close = getattr(calls.platform, "close", None)
            if callable(close):
                close()

    def _announce(self) -> None:
        found = self.found
        if found.held:
            raise_alert(
                self.app,
                self.org_id,
                "print.refund_intercepted",
                "critical",
                f"打印前发现退款，已拦截 {len(found.held)} 单: {', '.join(sorted(found.held)[:10])}"
                f" / refunds found before printing job {self.job_id}: those labels were not "
                "printed",
            )
        if (found.held or found.unchecked) and self.on_found is not None:
            self.on_found(found)


def _stops(info: OrderStatusInfo) -> bool:
    return info.refund_status.value in _STOPPING_REFUNDS or info.status is OrderStatus.CANCELLED


def _bound_shops(app: App, org_id: int) -> set[int]:
    """The org's shops that can be asked: bound, with a token. A shop whose orders came
    from files has nobody to ask."""
    with app.tx() as session:
        return {
            shop.id
            for shop in session.scalars(
                select(Shop).where(Shop.org_id == org_id, Shop.platform != "")
            )
            if shop.status != "unbound" and (shop.credentials or {}).get("access_token")
        }


def _next_step(
    app: App, org_id: int, job_id: int, after: int
) -> tuple[int, dict[tuple[int, str], list[str]]] | None:
    """The next `STEP_ITEMS` queued items after position `after`: (last position,
    (shop, platform) → order numbers that may still print: not held, not closed)."""
    with app.tx() as session:
        positions = list(
            session.scalars(
                select(PrintJobItem.position)
                .where(
                    PrintJobItem.job_id == job_id,
                    PrintJobItem.state == "queued",
                    PrintJobItem.position > after,
                )
                .order_by(PrintJobItem.position)
                .limit(STEP_ITEMS)
            )
        )
        if not positions:
            return None
        rows = session.execute(
            select(Order.shop_id, Shop.platform, Order.platform_order_no)
            .join(PackageLine, PackageLine.order_id == Order.id)
            .join(PrintJobItem, PrintJobItem.package_id == PackageLine.package_id)
            .join(Shop, Shop.id == Order.shop_id)
            .where(
                PrintJobItem.job_id == job_id,
                PrintJobItem.state == "queued",
                PrintJobItem.position > after,
                PrintJobItem.position <= positions[-1],
                Order.org_id == org_id,
                Order.on_hold.is_(False),
                Order.hub_status.not_in(order_status.CLOSED),
                Shop.platform != "",
            )
            .distinct()
        ).all()
    by_shop: dict[tuple[int, str], list[str]] = defaultdict(list)
    for shop_id, platform, number in rows:
        by_shop[(shop_id, platform)].append(number)
    return positions[-1], {key: sorted(numbers) for key, numbers in by_shop.items()}


def _hold(
    app: App, org_id: int, shop_id: int, stopped: dict[str, OrderStatusInfo]
) -> dict[str, str]:
    """Store what the platform said and hold the orders and their packages."""
    held: dict[str, str] = {}
    with app.tx() as session:
        orders = session.scalars(
            select(Order)
            .where(
                Order.org_id == org_id,
                Order.shop_id == shop_id,
                Order.platform_order_no.in_(list(stopped)),
                Order.on_hold.is_(False),
            )
            .with_for_update()
        ).all()
        for order in orders:
            info = stopped[order.platform_order_no]
            order.refund_status = info.refund_status.value
            order.on_hold, order.hold_reason = True, HOLD_REASON
            held[order.platform_order_no] = (
                f"platform says {info.status.value}, refund {info.refund_status.value}"
            )
        session.flush()
        hold_packages(session, [o.id for o in orders], HOLD_REASON)
    return held
