"""Orders that keep changing: background activity in simulated time, and moving data.

`Activity` is a Poisson process over sandbox time: between two requests (or across a
clock advance) it replays every event that fell due — new paid orders, and updates to
random existing orders (shipments, receipts, refunds starting and settling, seller
remarks; old orders included, which is what "late updates" means to a sync engine).
Event times come from one seeded stream, so the history does not depend on when requests
happen to arrive.

`move_orders` is the nastier test: while a client pages through a window, each page
request changes some of the shop's orders so their `updated_at` lands inside that very
window (reshuffling the pages under the reader) or at "now" (leaving the window).
"""

from __future__ import annotations

import math
import random
from typing import TYPE_CHECKING, Any

from plugins.platforms.pinduoduo.sandbox import orders as lc
from plugins.platforms.pinduoduo.sandbox.data_catalogue import SELLER_REMARKS
from plugins.platforms.pinduoduo.sandbox.generator import _CARRIER_CUM, _SHIPPING, Dice

if TYPE_CHECKING:
    from plugins.platforms.pinduoduo.sandbox.state import Sandbox

HOUR, DAY = 3600, 86400


class Activity:
    def __init__(self, seed: int, orders_per_hour: float, updates_per_hour: float, since: int):
        self.dice = Dice(random.Random(f"activity:{seed}"))
        self.orders_per_hour = orders_per_hour
        self.updates_per_hour = updates_per_hour
        self.next_at = float(since)
        self._advance()

    @property
    def rate(self) -> float:
        """Events per second."""
        return (self.orders_per_hour + self.updates_per_hour) / 3600.0

    def _advance(self) -> None:
        if self.rate > 0:
            self.next_at += -math.log(1.0 - self.dice.random()) / self.rate

    def catch_up(self, sandbox: Sandbox, now: int) -> int:
        """Apply every event due by `now`; how many there were."""
        done = 0
        while self.rate > 0 and self.next_at <= now:
            at = int(self.next_at)
            share_new = self.orders_per_hour / (self.orders_per_hour + self.updates_per_hour)
            if self.dice.random() < share_new:
                sandbox.create_order(self.dice, at=at)
            else:
                random_update(sandbox, self.dice, at)
            self._advance()
            done += 1
        return done

    def dump(self) -> dict[str, Any]:
        return {"rng": _jsonable(self.dice.rng.getstate()), "next_at": self.next_at}

    def restore(self, data: dict[str, Any]) -> None:
        self.dice.rng.setstate(_tupled(data["rng"]))
        self.next_at = float(data["next_at"])


def random_update(sandbox: Sandbox, dice: Dice, at: int) -> None:
    """One plausible next step for a random order (a remark when nothing else fits)."""
    store = sandbox.store
    if not store.sns:
        return
    roll = dice.random()
    # Groups of recent orders form first (else 拼团中 orders would linger for days).
    waiting = [sn for sn in store.sns[-50:] if store.orders[sn].data["confirm_status"] == 0]
    order = store.orders[waiting[0] if waiting and roll < 0.3 else dice.pick(store.sns)]
    d = order.data
    if d["confirm_status"] == 0:
        sandbox.mutate(order.sn, at, lambda o: lc.confirm(o, at))
    elif order.refund_status == lc.AFTER_SALE:
        outcome = dice.pick((lc.REFUNDING, lc.REFUNDED, lc.NO_REFUND))
        after = 6 if outcome == lc.NO_REFUND else None
        sandbox.mutate(order.sn, at, lambda o: lc.set_refund(o, outcome, after))
    elif order.refund_status == lc.REFUNDING:
        sandbox.mutate(order.sn, at, lambda o: lc.set_refund(o, lc.REFUNDED, None))
    elif order.order_status == lc.AWAITING_SHIPMENT and order.refund_status == lc.NO_REFUND:
        if roll < 0.6 and at - (order.confirm_ts or at) > HOUR:
            carrier = dice.weighted(_SHIPPING, _CARRIER_CUM)
            number = carrier.make_number(dice.rng)
            sandbox.mutate(order.sn, at, lambda o: lc.ship(o, carrier, number, at))
        elif roll < 0.75:
            sandbox.mutate(order.sn, at, lambda o: lc.set_refund(o, lc.AFTER_SALE, 2))
        else:
            _remark(sandbox, dice, order.sn, at)
    elif order.order_status == lc.SHIPPED and roll < 0.5:
        sandbox.mutate(order.sn, at, lambda o: lc.receive(o, at))
    elif (
        order.order_status != lc.AWAITING_SHIPMENT
        and order.refund_status == lc.NO_REFUND
        and roll < 0.65
    ):
        sandbox.mutate(order.sn, at, lambda o: lc.set_refund(o, lc.AFTER_SALE, 3))
    else:
        _remark(sandbox, dice, order.sn, at)


def _remark(sandbox: Sandbox, dice: Dice, sn: str, at: int) -> None:
    text, tag = dice.pick(SELLER_REMARKS), dice.between(1, 5)
    sandbox.mutate(sn, at, lambda o: lc.set_remark(o, text, tag))


def move_orders(
    sandbox: Sandbox, owner_id: str, start: int, end: int, count: int, mode: str, dice: Dice
) -> list[str]:
    """Change `count` random orders of the shop while a window [start, end] is being read.

    `into_window`: the new `updated_at` falls inside the window (the order moves up the
    newest-first pages, or arrives from an older window); `to_now`: it becomes now, past
    the window; `mixed`: either. Returns the order numbers changed.
    """
    now = sandbox.now()
    view = sandbox.store.window(owner_id, 0, min(end, now) if mode == "into_window" else now)
    if count <= 0 or not len(view):
        return []
    picks = (view.nth(int(dice.random() * len(view))) for _ in range(count * 3))
    moved: list[str] = []
    for sn in dict.fromkeys(picks):
        if len(moved) >= count:
            break
        order = sandbox.store.orders[sn]
        target = mode if mode != "mixed" else dice.pick(("into_window", "to_now"))
        if target == "into_window":
            low, high = max(start, order.updated_ts + 1), min(end, now)
            if low > high:
                continue
            at = dice.between(low, high)
        else:
            at = max(now, order.updated_ts + 1)
        text, tag = f"翻页期间改备注#{at}", dice.between(1, 5)
        sandbox.mutate(sn, at, lambda o, text=text, tag=tag: lc.set_remark(o, text, tag))
        moved.append(sn)
    return moved


def _jsonable(value: Any) -> Any:
    return [_jsonable(v) for v in value] if isinstance(value, tuple | list) else value


def _tupled(value: Any) -> Any:
    return tuple(_tupled(v) for v in value) if isinstance(value, list) else value
