"""A token bucket per key (bearer token, or client address when there is none), in memory.

Per process: with `--workers N` each process holds its own buckets, so the effective limit
is up to N times the setting; that is documented rather than shared through the database,
which a rate limit must not load.
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict

MAX_KEYS = 100_000  # least recently used buckets beyond this are dropped


class RateLimiter:
    def __init__(self, per_minute: int, burst: int, clock=time.monotonic) -> None:
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self._clock = clock
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, key: str) -> int:
        """0 when the request may go on, else the whole seconds to wait (`Retry-After`)."""
        now = self._clock()
        with self._lock:
            tokens, then = self._buckets.pop(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - then) * self.rate)
            wait = 0
            if tokens >= 1:
                tokens -= 1
            else:
                wait = max(1, math.ceil((1 - tokens) / self.rate))
            self._buckets[key] = (tokens, now)
            if len(self._buckets) > MAX_KEYS:
                self._buckets.popitem(last=False)
            return wait
