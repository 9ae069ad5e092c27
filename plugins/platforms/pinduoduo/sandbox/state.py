"""`Sandbox`: all the state of one sandbox gateway, and the operations on it.

The gateway handlers, the `/_sandbox` control endpoints and in-process tests all go
through these methods; each takes `lock`, so the HTTP thread and a test thread can use
one sandbox safely. Orders change only through `mutate`, which keeps the indexes and
`updated_at` right.
"""

from __future__ import annotations

import gc
import itertools
import json
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from plugins.platforms.pinduoduo.sandbox import orders as lc
from plugins.platforms.pinduoduo.sandbox.auth import AuthRegistry
from plugins.platforms.pinduoduo.sandbox.ciphers import Cipher
from plugins.platforms.pinduoduo.sandbox.clock import SandboxClock, beijing_text
from plugins.platforms.pinduoduo.sandbox.config import MOVING_MODES, SandboxConfig
from plugins.platforms.pinduoduo.sandbox.data_logistics import CARRIERS_BY_CODE, CARRIERS_BY_ID
from plugins.platforms.pinduoduo.sandbox.faults import FaultInjector, FaultSpec
from plugins.platforms.pinduoduo.sandbox.generator import Dice, OrderFactory, Shop, make_shops
from plugins.platforms.pinduoduo.sandbox.orders import SandboxOrder
from plugins.platforms.pinduoduo.sandbox.ratelimit import RateLimiter
from plugins.platforms.pinduoduo.sandbox.store import OrderStore
from plugins.platforms.pinduoduo.sandbox.timeline import Activity, move_orders
from plugins.platforms.pinduoduo.sandbox.waybill import WaybillBook

#: The goods price `garble` plants: three decimals, which the client refuses.
GARBLED_PRICE = 12.345
UPDATABLE = ("remark", "remark_tag", "buyer_memo", "risk_control_status", "ship_hold")


class Sandbox:
    def __init__(self, config: SandboxConfig, *, clock: SandboxClock | None = None) -> None:
        self.lock = threading.RLock()
        self.clock = clock or SandboxClock()
        self.stopping = threading.Event()  # set on shutdown: held-back answers stop waiting
        self.changes = 0  # bumped by every request; the state saver watches it
        self._serial = itertools.count(1)
        self._populate(config)

    def _populate(self, config: SandboxConfig) -> None:
        self.config = config
        self.faults = FaultInjector(config.faults)
        self.limiter = RateLimiter(config.rate_limit_overrides, enabled=config.rate_limits)
        self.mutate_per_page, self.mutate_mode = config.mutate_per_page, config.mutate_mode
        self.start_ts = config.start_time if config.start_time is not None else self.clock.now()
        self.cipher = Cipher(str(config.seed))
        self.shops: tuple[Shop, ...] = make_shops(config.seed, config.shops)
        self.shops_by_id = {s.owner_id: s for s in self.shops}
        self.factory = OrderFactory(config.seed, self.shops, self.cipher)
        with _gc_paused():
            seeded = self.factory.seed_orders(config.orders, self.start_ts, config.history_days)
            self.store = OrderStore()
            self.store.load(seeded)
        self.auth = AuthRegistry(config.token_ttl, config.refresh_token_ttl, config.code_ttl)
        self.waybills = WaybillBook(config.seed, config.waybill_quantity)
        self.waybills.open_accounts(self.shops)
        self.activity = Activity(
            config.seed, config.new_orders_per_hour, config.updates_per_hour, self.start_ts
        )
        self._moving_dice = Dice(random.Random(f"moving:{config.seed}"))
        self._control_dice = Dice(random.Random(f"control:{config.seed}"))
        #: Orders planted unreadable by `garble`: their real goods lines.
        self.garbled: dict[str, list[dict[str, Any]]] = {}
        #: `pdd.logistics.online.send` per order: calls that reached the handler, and how
        #: each ended — applied (the order's shipment changed), repeat (the same shipment
        #: again, answered as done), refused (an error answer).
        self.send_counts: dict[str, Counter[str]] = {}
        #: `pdd.goods.quantity.update` calls applied, in order (api_goods), and the stock
        #: they left per (shop, goods, SKU).
        self.quantity_updates: list[dict[str, Any]] = []
        self.goods_stock: dict[tuple[str, int, int], int] = {}

    def count_send(self, sn: str, outcome: str) -> None:
        """Record one `online.send` call for order `sn` that ended as `outcome`."""
        with self.lock:
            counts = self.send_counts.setdefault(sn, Counter())
            counts["calls"] += 1
            counts[outcome] += 1

    def shipments(self) -> dict[str, dict[str, int]]:
        """`online.send` counts by order number (see `send_counts`)."""
        with self.lock:
            return {sn: dict(c) for sn, c in self.send_counts.items()}

    # -- time and bookkeeping -----------------------------------------------------------

    def now(self) -> int:
        return self.clock.now()

    def tick(self, now: int | None = None) -> None:
        """Let simulated time catch up: apply the background activity due by `now`."""
        with self.lock:
            self.activity.catch_up(self, self.now() if now is None else now)
            self.changes += 1

    def advance(self, seconds: int) -> int:
        """Fast-forward sandbox time (activity, token and code expiry follow)."""
        with self.lock:
            now = self.clock.advance(seconds)
            self.tick()
            return now

    def request_id(self) -> str:
        return f"{int(time.time() * 1000)}{next(self._serial) % 10000:04d}"

    def shop(self, owner_id: str | None) -> Shop:
        if owner_id is None:
            return self.shops[0]
        try:
            return self.shops_by_id[str(owner_id)]
        except KeyError:
            known = ", ".join(self.shops_by_id)
            raise KeyError(f"no sandbox shop {owner_id!r}; shops: {known}") from None

    # -- orders -------------------------------------------------------------------------

    def mutate(self, sn: str, at: int, change: Callable[[SandboxOrder], None]) -> SandboxOrder:
        with self.lock:
            return self.store.mutate(sn, at, change)

    def create_order(self, dice: Dice, *, at: int, owner_id: str | None = None) -> SandboxOrder:
        """A new order, paid at `at` (activity and the control endpoint use this)."""
        with self.lock:
            shop = self.shop(owner_id) if owner_id else self.factory.pick_shop(dice)
            order = self.factory.build(dice, shop.owner_id, at, at)
            self.store.add(order)
            return order

    def add_orders(self, count: int = 1, owner_id: str | None = None) -> list[str]:
        with self.lock:
            now = self.now()
            return [
                self.create_order(self._control_dice, at=now, owner_id=owner_id).sn
                for _ in range(count)
            ]

    def ship(
        self, sn: str, logistics_id: int | None = None, tracking_number: str | None = None
    ) -> SandboxOrder:
        with self.lock:
            carrier = CARRIERS_BY_ID[logistics_id] if logistics_id else CARRIERS_BY_CODE["ZTO"]
            number = tracking_number or carrier.make_number(self._control_dice.rng)
            now = self.now()
            return self.mutate(sn, now, lambda o: lc.ship(o, carrier, number, now))

    def receive(self, sn: str) -> SandboxOrder:
        now = self.now()
        return self.mutate(sn, now, lambda o: lc.receive(o, now))

    def refund(
        self, sn: str, refund_status: int, after_sales_status: int | None = None
    ) -> SandboxOrder:
        return self.mutate(
            sn, self.now(), lambda o: lc.set_refund(o, refund_status, after_sales_status)
        )

    def update(self, sn: str, **fields: Any) -> SandboxOrder:
        """Merchant-side edits: remark/remark_tag, buyer_memo, risk_control_status, ship_hold."""
        unknown = set(fields) - set(UPDATABLE)
        if unknown:
            raise ValueError(f"cannot update {', '.join(sorted(unknown))}; allowed: {UPDATABLE}")

        def change(order: SandboxOrder) -> None:
            if "remark" in fields or "remark_tag" in fields:
                lc.set_remark(
                    order,
                    fields.get("remark", order.data["remark"]),
                    fields.get("remark_tag", order.data["remark_tag"]),
                )
            if "buyer_memo" in fields:
                order.data["buyer_memo"] = str(fields["buyer_memo"])
            if "risk_control_status" in fields:
                order.data["risk_control_status"] = int(fields["risk_control_status"])
            if "ship_hold" in fields:
                lc.set_tag(order, "ship_hold", 1 if fields["ship_hold"] else 0)

        return self.mutate(sn, self.now(), change)

    def garble(self, sn: str, on: bool = True, *, touch: bool = True) -> SandboxOrder:
        """Plant (or, `on=False`, remove) an order the client cannot read: its first goods
        line's `goods_price` becomes 12.345, three decimals, which the real gateway has
        never been seen to send and the client refuses. `touch` moves `updated_at` as a
        platform change does (the next window serves the order again); without it the wire
        changes in place, like a mapping fixed on the client's side (only a detail call
        sees it). A test double's knob: nothing like it exists on Pinduoduo."""

        def change(order: SandboxOrder) -> None:
            items = order.data["item_list"]
            if on:
                self.garbled.setdefault(sn, items)
                first = {**items[0], "goods_price": GARBLED_PRICE}
                order.data["item_list"] = [first, *items[1:]]  # replaced: seeds share lists
            elif sn in self.garbled:
                order.data["item_list"] = self.garbled.pop(sn)

        if touch:
            return self.mutate(sn, self.now(), change)
        with self.lock:
            order = self.store.get(sn)
            change(order)
            order.changed()
            self.changes += 1
            return order

    def move_during_paging(self, owner_id: str, start: int, end: int) -> list[str]:
        with self.lock:
            if not self.mutate_per_page:
                return []
            return move_orders(
                self,
                owner_id,
                start,
                end,
                self.mutate_per_page,
                self.mutate_mode,
                self._moving_dice,
            )

    def set_moving(self, per_page: int, mode: str = "into_window") -> None:
        if per_page < 0 or mode not in MOVING_MODES:
            raise ValueError(f"per_page must be ≥ 0 and mode one of {MOVING_MODES}")
        with self.lock:
            self.mutate_per_page, self.mutate_mode = per_page, mode

    def ground_truth(self, owner_id: str | None = None) -> list[dict[str, Any]]:
        """Every order's latest state (wire object + shop + receiver in clear)."""
        with self.lock:
            self.tick()
            return [o.ground_truth(self.cipher) for o in self.store.shop_orders(owner_id)]

    def ground_truth_json(self, owner_id: str | None = None, summary: bool = False) -> bytes:
        """The same as JSON bytes, built from the pre-rendered orders (fast at 100k)."""
        with self.lock:
            self.tick()
            parts = []
            for o in self.store.shop_orders(owner_id):
                if summary:
                    parts.append(json.dumps(_summary(o), ensure_ascii=False).encode())
                else:
                    receiver = {
                        "name": o.pii[0],
                        "phone": o.pii[1],
                        "address": o.pii[2],
                        "full_address": o.full_address(),
                    }
                    parts.append(
                        b'{"owner_id":"'
                        + o.owner_id.encode()
                        + b'","order":'
                        + o.render(self.cipher)
                        + b',"receiver":'
                        + json.dumps(receiver, ensure_ascii=False).encode()
                        + b"}"
                    )
            head = f'{{"now":"{beijing_text(self.now())}","count":{len(parts)},"orders":['
            return head.encode() + b",".join(parts) + b"]}"

    def prerender(self) -> None:
        """Render every order's JSON now rather than on first request (benchmarks)."""
        with self.lock, _gc_paused():
            for order in self.store.orders.values():
                order.render(self.cipher)

    # -- tokens and faults --------------------------------------------------------------

    def issue_code(self, owner_id: str | None = None) -> str:
        return self.auth.issue_code(self.shop(owner_id).owner_id, self.now())

    def grant(self, owner_id: str | None = None) -> dict[str, Any]:
        """Authorize a shop without the browser step: the token answer, as the API gives it."""
        with self.lock:
            now = self.now()
            token = self.auth.exchange(self.issue_code(owner_id), now)
            return self.auth.grant_body(token, self.shop(token.owner_id).owner_name, now)

    def expire_tokens(self, access_token: str | None = None, owner_id: str | None = None) -> int:
        return self.auth.expire(access_token=access_token, owner_id=owner_id, now=self.now())

    def set_faults(self, spec: FaultSpec | str) -> None:
        self.faults.configure(FaultSpec.parse(spec) if isinstance(spec, str) else spec)

    def reset(self, config: SandboxConfig | None = None, **changes: Any) -> None:
        """Start over from `config` (default: the current one) with `changes`: regenerate
        the orders; tokens, waybills, faults and the clock offset go too."""
        with self.lock:
            self.clock = SandboxClock()
            self._populate(replace(config or self.config, **changes))
            self.changes += 1

    def summary(self) -> dict[str, Any]:
        with self.lock:
            return {
                "now": beijing_text(self.now()),
                "now_ts": self.now(),
                "clock_offset": self.clock.offset,
                "seed": self.config.seed,
                "client_id": self.config.client_id,
                "orders": len(self.store),
                "shops": [{"owner_id": s.owner_id, "owner_name": s.owner_name} for s in self.shops],
                "rate_limits": self.limiter.enabled,
                "moving": {"per_page": self.mutate_per_page, "mode": self.mutate_mode},
                "activity": {
                    "new_orders_per_hour": self.activity.orders_per_hour,
                    "updates_per_hour": self.activity.updates_per_hour,
                },
                "faults": self.faults.report(),
            }


def _summary(order: SandboxOrder) -> dict[str, Any]:
    d = order.data
    return {
        "owner_id": order.owner_id,
        "order_sn": order.sn,
        "updated_at": beijing_text(order.updated_ts),
        "order_status": d["order_status"],
        "refund_status": d["refund_status"],
        "after_sales_status": d["after_sales_status"],
        "confirm_status": d["confirm_status"],
        "remark": d["remark"],
        "remark_tag": d["remark_tag"],
        "tracking_number": d["tracking_number"],
        "pay_amount": d["pay_amount"],
    }


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Bulk building of 100k small dicts triggers collections that scan the growing heap
    again and again; nothing here creates garbage cycles, so pause the collector."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
