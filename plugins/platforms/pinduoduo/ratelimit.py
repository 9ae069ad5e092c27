"""Client-side rate limiting per shop and per API (pinduoduo.md §8).

Why client side: the gateway answers an exceeded limit with 52101/70031 and may throttle
the app harder when it keeps trying, so a sync that pages at full speed should slow itself
down *before* the gateway has to. Calls wait (sleep) for their turn instead of failing;
only a wait longer than `max_wait` fails, with a retryable `ExternalError`.

Each published limit "N calls per P seconds" becomes a token bucket with capacity
`max(1, N // 10)` refilled at `0.9 * N / P` tokens per second. In any stretch of P seconds
such a bucket hands out at most `capacity + 0.9 N <= N` tokens, so the published limit is
honoured however the gateway counts its windows, at the price of ~10 % of the throughput.

Reservations: a call takes one token from every bucket that applies to it (the shop's
bucket for the API and the API's total bucket) *at the moment it will be sent*, which is
the latest moment any of those buckets is ready. Buckets may therefore hold reservations
in the future; concurrent callers queue behind each other in reservation order. One lock
guards the bookkeeping and nobody sleeps while holding it, so the limiter is thread-safe.

Limits are per process. Several worker processes share the platform's budget, so an
operator running N workers should divide the limits by N in settings (`rate_limits`).
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from core.errors import ExternalError
from plugins.platforms.pinduoduo.settings import Limit, PinduoduoSettings

log = logging.getLogger("orderhub.pinduoduo.ratelimit")

#: Fraction of a published limit the steady rate may use; the rest is burst headroom.
RATE_SHARE = 0.9
PRUNE_EVERY = 1000


@dataclass
class TokenBucket:
    """A bucket whose `stamp` may lie in the future (reservations already handed out)."""

    capacity: float
    rate: float  # tokens per second
    tokens: float
    stamp: float

    @classmethod
    def for_limit(cls, limit: Limit, now: float) -> TokenBucket:
        capacity = float(max(1, limit.count // 10))
        return cls(capacity, RATE_SHARE * limit.count / limit.seconds, capacity, now)

    def _tokens_at(self, moment: float) -> float:
        return min(self.capacity, self.tokens + self.rate * max(0.0, moment - self.stamp))

    def ready_at(self, now: float) -> float:
        """Earliest moment (≥ now) at which this bucket can give one token."""
        start = max(now, self.stamp)
        tokens = self._tokens_at(start)
        return start if tokens >= 1.0 else start + (1.0 - tokens) / self.rate

    def take_at(self, moment: float) -> None:
        """Consume one token at `moment`, which the caller got from `ready_at`."""
        self.tokens = self._tokens_at(moment) - 1.0
        self.stamp = max(self.stamp, moment)

    def idle_since(self, now: float) -> bool:
        """Full again and no reservation pending: dropping it loses nothing."""
        return self.stamp <= now and self._tokens_at(now) >= self.capacity


def shop_key(access_token: str | None) -> str | None:
    """A stable, non-reversible key for the shop behind a token (never the token itself)."""
    if not access_token:
        return None
    return hashlib.sha256(access_token.encode("utf-8")).hexdigest()[:20]


class RateLimiter:
    """Token buckets per (API, shop) and per API, from `limits_for(api)`."""

    def __init__(
        self,
        limits_for: Callable[[str], Mapping[str, tuple[Limit, ...]]],
        *,
        max_wait: float = 60.0,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._limits_for = limits_for
        self.max_wait = max_wait
        self._monotonic = monotonic
        self._sleep = sleep
        self._lock = threading.Lock()
        self._buckets: dict[tuple[str, str, str, int], TokenBucket] = {}
        self._reservations = 0

    def acquire(self, api: str, shop: str | None) -> float:
        """Wait until a call of `api` for `shop` may be sent; return the seconds waited.

        `shop` is a key from `shop_key` (None for app-level calls, which have no shop
        bucket). Raises a retryable `ExternalError` when the wait would exceed `max_wait`.
        """
        with self._lock:
            now = self._monotonic()
            buckets = self._buckets_for(api, shop, now)
            if not buckets:
                return 0.0
            send_at = max(bucket.ready_at(now) for bucket in buckets)
            wait = send_at - now
            if wait > self.max_wait:
                raise ExternalError(
                    f"Pinduoduo {api}: the client-side rate limit would delay this call by "
                    f"{wait:.1f} s (more than {self.max_wait:g} s); try again later",
                    retryable=True,
                    api=api,
                    wait_seconds=round(wait, 3),
                )
            for bucket in buckets:
                bucket.take_at(send_at)
            self._reservations += 1
            if self._reservations % PRUNE_EVERY == 0:
                self._prune(now)
        if wait > 0:
            log.debug("rate limit: %s waits %.3f s", api, wait)
            self._sleep(wait)
        return wait

    def _buckets_for(self, api: str, shop: str | None, now: float) -> list[TokenBucket]:
        buckets = []
        for scope, limits in self._limits_for(api).items():
            if scope == "shop" and shop is None:
                continue
            owner = shop if scope == "shop" else ""
            for index, limit in enumerate(limits):
                key = (api, scope, owner or "", index)
                bucket = self._buckets.get(key)
                if bucket is None:
                    bucket = self._buckets[key] = TokenBucket.for_limit(limit, now)
                buckets.append(bucket)
        return buckets

    def _prune(self, now: float) -> None:
        idle = [key for key, bucket in self._buckets.items() if bucket.idle_since(now)]
        for key in idle:
            del self._buckets[key]

    def bucket_count(self) -> int:
        """How many buckets are tracked (for tests of pruning and for diagnostics)."""
        with self._lock:
            return len(self._buckets)


class _NoLimit:
    """What `limiter_for` returns when the operator turned limiting off."""

    def acquire(self, api: str, shop: str | None) -> float:
        return 0.0


_SHARED: dict[tuple[object, ...], RateLimiter] = {}
_SHARED_LOCK = threading.Lock()


def limiter_for(settings: PinduoduoSettings, share: float = 1.0) -> RateLimiter | _NoLimit:
    """The process-wide limiter of this app (gateway + client id + limits).

    Platform instances are short-lived (core builds one per task), but the budget belongs
    to the app, so the buckets must outlive them: this is the one piece of state the
    plugin deliberately shares across instances. `share` < 1: this process is one of
    several reading for one sync pass, and gets that share of every limit (at least one
    call per period).
    """
    if not settings.rate_limit_enabled:
        return _NoLimit()
    limits = tuple(
        sorted((api, tuple(sorted(scopes.items()))) for api, scopes in settings.rate_limits.items())
    )
    key = (settings.gateway_url, settings.client_id, limits, settings.rate_limit_max_wait, share)
    with _SHARED_LOCK:
        limiter = _SHARED.get(key)
        if limiter is None:
            limiter = _SHARED[key] = RateLimiter(
                _shared_limits(settings, share), max_wait=settings.rate_limit_max_wait
            )
        return limiter


def _shared_limits(
    settings: PinduoduoSettings, share: float
) -> Callable[[str], Mapping[str, tuple[Limit, ...]]]:
    if share >= 1:
        return settings.limits_for

    def limits_for(api: str) -> Mapping[str, tuple[Limit, ...]]:
        return {
            scope: tuple(Limit(max(1, int(limit.count * share)), limit.seconds) for limit in limits)
            for scope, limits in settings.limits_for(api).items()
        }

    return limits_for
