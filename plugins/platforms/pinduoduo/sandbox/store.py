"""Orders in memory, indexed so a window page costs O(log N + page), never O(N).

Per shop, two sorted lists of `(time, order_sn)` keys — by `updated_at` and by 成交 time —
answer window queries with bisect. A change moves one key (bisect + list insert/remove,
a memmove even at 100k orders). Every change bumps `version` (filtered-window caches key
on it) and marks the order dirty for the state file.

`updated_at` never goes backwards, and each change moves it forward by at least one
second: a client that guards on `updated_at` (as the hub must) then always takes the newer
state, as it would against the real platform at its one-second resolution.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Iterable, Iterator

from plugins.platforms.pinduoduo.sandbox.orders import SandboxOrder

Key = tuple[int, str]
_HIGH = "\U0010ffff"  # sorts after every order number


class UnknownOrder(KeyError):
    """No order with this number (in this shop)."""


class OrderStore:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.orders: dict[str, SandboxOrder] = {}
        self.sns: list[str] = []  # insertion order: random picks and stable iteration
        self._by_updated: dict[str, list[Key]] = {}
        self._by_confirm: dict[str, list[Key]] = {}
        self.version = 0
        self.dirty: set[str] = set()

    def __len__(self) -> int:
        return len(self.orders)

    def load(self, orders: Iterable[SandboxOrder]) -> None:
        """Bulk insert (seeding): append everything, sort each index once."""
        with self.lock:
            for order in orders:
                self.orders[order.sn] = order
                self.sns.append(order.sn)
                self._by_updated.setdefault(order.owner_id, []).append((order.updated_ts, order.sn))
                if order.confirm_ts is not None:
                    self._by_confirm.setdefault(order.owner_id, []).append(
                        (order.confirm_ts, order.sn)
                    )
            for index in (*self._by_updated.values(), *self._by_confirm.values()):
                index.sort()
            self.version += 1

    def add(self, order: SandboxOrder) -> None:
        with self.lock:
            if order.sn in self.orders:
                raise ValueError(f"order {order.sn} exists already")
            self.orders[order.sn] = order
            self.sns.append(order.sn)
            insort(self._by_updated.setdefault(order.owner_id, []), (order.updated_ts, order.sn))
            if order.confirm_ts is not None:
                insort(
                    self._by_confirm.setdefault(order.owner_id, []), (order.confirm_ts, order.sn)
                )
            self.dirty.add(order.sn)
            self.version += 1

    def replace(self, order: SandboxOrder) -> None:
        """Put a saved order back (state file), replacing the seeded one of that number."""
        with self.lock:
            old = self.orders.get(order.sn)
            if old is None:
                self.add(order)
                return
            self._unindex(old)
            self.orders[order.sn] = order
            self._index(order)
            self.dirty.add(order.sn)
            self.version += 1

    def get(self, sn: str, owner_id: str | None = None) -> SandboxOrder:
        order = self.orders.get(sn)
        if order is None or (owner_id is not None and order.owner_id != owner_id):
            raise UnknownOrder(sn)
        return order

    def mutate(self, sn: str, at: int, change: Callable[[SandboxOrder], None]) -> SandboxOrder:
        """Apply `change` at time `at`; `updated_at` becomes max(at, previous + 1 s)."""
        with self.lock:
            order = self.get(sn)
            self._unindex(order)
            try:
                change(order)
            finally:
                order.updated_ts = max(at, order.updated_ts + 1)
                order.changed()
                self._index(order)
                self.dirty.add(sn)
                self.version += 1
            return order

    def _unindex(self, order: SandboxOrder) -> None:
        _remove(self._by_updated[order.owner_id], (order.updated_ts, order.sn))
        if order.confirm_ts is not None:
            _remove(self._by_confirm[order.owner_id], (order.confirm_ts, order.sn))

    def _index(self, order: SandboxOrder) -> None:
        insort(self._by_updated.setdefault(order.owner_id, []), (order.updated_ts, order.sn))
        if order.confirm_ts is not None:
            insort(self._by_confirm.setdefault(order.owner_id, []), (order.confirm_ts, order.sn))

    def window(self, owner_id: str, start: int, end: int, *, by: str = "updated") -> WindowView:
        """Orders of a shop whose time is in [start, end] (both inclusive), newest first."""
        index = (self._by_updated if by == "updated" else self._by_confirm).get(owner_id, [])
        lo = bisect_left(index, (start, ""))
        hi = bisect_right(index, (end, _HIGH))
        return WindowView(index, lo, hi)

    def oldest_confirm(self, owner_id: str) -> float:
        """The earliest 成交 time in the shop (inf when none): is any order past 90 days?"""
        index = self._by_confirm.get(owner_id)
        return index[0][0] if index else float("inf")

    def shop_orders(self, owner_id: str | None = None) -> Iterator[SandboxOrder]:
        for sn in self.sns:
            order = self.orders[sn]
            if owner_id is None or order.owner_id == owner_id:
                yield order


class WindowView:
    """A slice of an index without copying it; item i is the i-th newest."""

    __slots__ = ("_hi", "_index", "_lo")

    def __init__(self, index: list[Key], lo: int, hi: int) -> None:
        self._index, self._lo, self._hi = index, lo, hi

    def __len__(self) -> int:
        return max(0, self._hi - self._lo)

    def newest_first(self, offset: int, limit: int) -> list[str]:
        top = self._hi - 1 - offset
        bottom = max(self._lo, top - limit + 1)
        return [self._index[i][1] for i in range(top, bottom - 1, -1)]

    def nth(self, i: int) -> str:
        """The order number of the i-th newest order in the view."""
        return self._index[self._hi - 1 - i][1]

    def keys(self) -> list[Key]:
        return self._index[self._lo : self._hi]


def _remove(index: list[Key], key: Key) -> None:
    i = bisect_left(index, key)
    if i == len(index) or index[i] != key:
        raise RuntimeError(f"index out of step for order {key[1]}")
    del index[i]
