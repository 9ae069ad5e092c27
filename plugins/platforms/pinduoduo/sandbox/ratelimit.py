"""The platform's published rate limits (pinduoduo.md §8), enforced as the gateway would.

Sliding windows over real (monotonic) time — limits are about request rate, not about
the simulated clock. Over a per-shop limit the answer is 70031 调用过于频繁; over an
API-wide limit it is 52101 当前接口被限流. Refused calls do not count. The table is the
sandbox's own copy on purpose: the client's limiter is checked against it, not with it.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping

from plugins.platforms.pinduoduo.sandbox.errors import THROTTLE_MESSAGES, ApiError

Limits = tuple[tuple[int, float], ...]

PUBLISHED_LIMITS: Mapping[str, Mapping[str, Limits]] = {
    "pdd.order.number.list.increment.get": {"shop": ((3000, 60),)},
    "pdd.order.list.get": {"shop": ((10000, 60),), "total": ((17500, 10),)},
    "pdd.order.information.get": {"shop": ((30000, 60),), "total": ((2000, 1),)},
    "pdd.order.status.get": {"shop": ((3000, 60),)},
    "pdd.logistics.online.send": {"total": ((5000, 1),)},
    "pdd.logistics.companies.get": {"total": ((1200, 10),)},
    "pdd.waybill.get": {"total": ((50000, 1), (750000, 10))},
    "pdd.waybill.search": {"total": ((6000, 1),)},
    "pdd.cloudprint.stdtemplates.get": {"total": ((6000, 1),)},
    "pdd.open.decrypt.batch": {"total": ((10050, 10), (19500, 10))},
    "pdd.open.decrypt.mask.batch": {"total": ((15000, 10), (60000, 10))},
    # Not in §8 (no published figure in our notes): the sandbox assumes this per shop.
    "pdd.goods.quantity.update": {"shop": ((600, 60),)},
}


class RateLimiter:
    def __init__(
        self,
        overrides: Mapping[str, Mapping[str, Limits]] | None = None,
        *,
        enabled: bool = True,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        table = {api: dict(scopes) for api, scopes in PUBLISHED_LIMITS.items()}
        for api, scopes in (overrides or {}).items():
            table.setdefault(api, {}).update(
                {
                    scope: tuple((int(c), float(s)) for c, s in limits)
                    for scope, limits in scopes.items()
                }
            )
        self.table = table
        self.enabled = enabled
        self._now = now
        self._calls: dict[tuple[str, str, int], deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, api: str, owner_id: str | None) -> None:
        """Count this call, or raise the gateway's throttling error without counting it."""
        scopes = self.table.get(api)
        if not self.enabled or not scopes:
            return
        now = self._now()
        with self._lock:
            windows: list[deque[float]] = []
            for scope, limits in scopes.items():
                if scope == "shop" and owner_id is None:
                    continue
                who = owner_id if scope == "shop" else "*"
                for n, (count, seconds) in enumerate(limits):
                    calls = self._calls.setdefault((api, f"{scope}:{who}", n), deque())
                    while calls and calls[0] <= now - seconds:
                        calls.popleft()
                    if len(calls) >= count:
                        code = 70031 if scope == "shop" else 52101
                        limit = f"{api}: {count} calls per {seconds:g} s ({scope})"
                        raise ApiError(code, THROTTLE_MESSAGES[code], sub_msg=limit)
                    windows.append(calls)
            for calls in windows:
                calls.append(now)
