"""The client-side rate limiter: token buckets per (shop, API) and per API, fake clock."""

from __future__ import annotations

import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.errors import ConfigurationError, ExternalError
from plugins.platforms.pinduoduo.ratelimit import RateLimiter, limiter_for, shop_key
from plugins.platforms.pinduoduo.settings import DEFAULT_RATE_LIMITS, Limit, PinduoduoSettings
from plugins.platforms.pinduoduo.transport import GatewayTransport
from tests.pinduoduo.conftest import RecordingSleep, platform_settings
from tests.pinduoduo.fixtures import load
from tests.pinduoduo.scripted_gateway import ScriptedGateway

API = "pdd.order.number.list.increment.get"


class FakeClock:
    """A monotonic clock that only moves when someone sleeps (or the test says so)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def limiter(limits: dict, clock: FakeClock, max_wait: float = 1e9) -> RateLimiter:
    return RateLimiter(
        lambda api: limits.get(api, {}),
        max_wait=max_wait,
        monotonic=clock.monotonic,
        sleep=clock.sleep,
    )


def assert_within(sends: list[float], limit: Limit) -> None:
    """No stretch of `limit.seconds` holds more than `limit.count` sends."""
    sends = sorted(sends)
    j = 0
    for i, start in enumerate(sends):
        while j < len(sends) and sends[j] < start + limit.seconds - 1e-9:
            j += 1
        assert j - i <= limit.count, f"{j - i} calls within {limit.seconds}s from t={start}"


def test_burst_then_steady_rate() -> None:
    clock = FakeClock()
    rl = limiter({API: {"shop": (Limit(100, 10),)}}, clock)  # capacity 10, 9 per second
    waits = [rl.acquire(API, "shop-a") for _ in range(12)]
    assert waits[:10] == [0.0] * 10
    assert waits[10] == pytest.approx(1 / 9) and waits[11] == pytest.approx(1 / 9)


def test_shops_have_their_own_buckets_but_share_the_api_total() -> None:
    clock = FakeClock()
    limits = {API: {"shop": (Limit(10, 1),), "total": (Limit(30, 1),)}}
    rl = limiter(limits, clock)
    assert [rl.acquire(API, "a") for _ in range(1)] == [0.0]
    assert rl.acquire(API, "a") > 0  # shop a's bucket (capacity 1) is empty
    clock.now += 10
    for shop in "abc":  # total capacity 3: one each for three shops, no waiting
        assert rl.acquire(API, shop) == 0.0
    assert rl.acquire(API, "d") > 0  # fresh shop, but the API total is used up


def test_app_level_calls_skip_the_shop_scope() -> None:
    clock = FakeClock()
    rl = limiter({API: {"shop": (Limit(10, 60),)}}, clock)
    assert all(rl.acquire(API, None) == 0.0 for _ in range(100))
    assert rl.acquire("pdd.unlimited.api", "a") == 0.0 and rl.bucket_count() == 0


def test_too_long_a_wait_fails_retryably_and_takes_nothing() -> None:
    clock = FakeClock()
    rl = RateLimiter(  # concurrent callers: the clock does not move while they queue
        lambda api: {"shop": (Limit(10, 10),)},  # capacity 1, 0.9 per second
        max_wait=2.0,
        monotonic=clock.monotonic,
        sleep=lambda s: None,
    )
    assert rl.acquire(API, "a") == 0.0
    assert rl.acquire(API, "a") == pytest.approx(1 / 0.9)
    refusals = []
    for _ in range(2):  # the same wait twice: a refused call reserves nothing
        with pytest.raises(ExternalError) as info:
            rl.acquire(API, "a")
        refusals.append(info.value)
    assert all(e.retryable and "rate limit" in e.message for e in refusals)
    assert refusals[0].details["wait_seconds"] == refusals[1].details["wait_seconds"] == 2.222
    clock.now += 100  # later the bucket is full again
    assert rl.acquire(API, "a") == 0.0


@settings(max_examples=60, deadline=None)
@given(
    count=st.integers(1, 30),
    seconds=st.sampled_from([0.5, 1.0, 10.0, 60.0]),
    gaps=st.lists(
        st.sampled_from([0.0, 0.001]) | st.floats(0, 3, allow_nan=False), min_size=1, max_size=150
    ),
    shops=st.lists(st.sampled_from(["a", "b"]), min_size=150, max_size=150),
)
def test_no_window_ever_exceeds_the_published_limit(count, seconds, gaps, shops) -> None:
    clock = FakeClock()
    limit = Limit(count, seconds)
    total = Limit(count * 2, seconds)
    rl = limiter({API: {"shop": (limit,), "total": (total,)}}, clock)
    sends: dict[str, list[float]] = {"a": [], "b": []}
    for gap, shop in zip(gaps, shops, strict=False):
        clock.now += gap
        rl.acquire(API, shop)
        sends[shop].append(clock.now)
    assert_within(sends["a"], limit)
    assert_within(sends["b"], limit)
    assert_within(sends["a"] + sends["b"], total)


def test_concurrent_callers_queue_without_exceeding_the_limit() -> None:
    clock = FakeClock()  # frozen: every thread reserves at the same "now"
    waits: list[float] = []
    lock = threading.Lock()
    limit = Limit(20, 1)
    rl = RateLimiter(
        lambda api: {"shop": (limit,)},
        monotonic=clock.monotonic,
        sleep=lambda s: None,
    )

    def worker() -> None:
        for _ in range(25):
            wait = rl.acquire(API, "a")
            with lock:
                waits.append(clock.now + wait)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(waits) == 200
    assert_within(waits, limit)
    # Reservations are handed out back to back: 2 at once, then one every 1/18 s.
    assert max(waits) - clock.now == pytest.approx((200 - 2) / 18, rel=1e-6)


def test_idle_buckets_are_pruned(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = FakeClock()
    rl = limiter({API: {"shop": (Limit(3000, 60),)}}, clock)
    for n in range(999):
        rl.acquire(API, f"shop-{n}")
    assert rl.bucket_count() == 999
    clock.now += 3600
    rl.acquire(API, "one-more")  # the 1000th reservation prunes the full, idle buckets
    assert rl.bucket_count() == 1


def test_shop_keys_do_not_reveal_tokens() -> None:
    key = shop_key("secret-token")
    assert key and "secret" not in key and key == shop_key("secret-token")
    assert shop_key(None) is None and shop_key("") is None


def test_transport_asks_the_limiter_before_every_attempt(sleeps: RecordingSleep) -> None:
    class Recorder:
        def __init__(self) -> None:
            self.calls: list[tuple[str, str | None]] = []

        def acquire(self, api: str, shop: str | None) -> float:
            self.calls.append((api, shop))
            return 0.0

    gateway = ScriptedGateway()
    try:
        gateway.answer(None, load("error_rate_limited"))
        gateway.answer(None, load("order_status"))
        recorder = Recorder()
        settings = PinduoduoSettings.from_mapping(platform_settings(gateway))
        transport = GatewayTransport(settings, recorder, sleep=sleeps)
        transport.call("pdd.order.status.get", {"order_sns": "1"}, access_token="tok")
        transport.close()
    finally:
        gateway.close()
    assert recorder.calls == [("pdd.order.status.get", shop_key("tok"))] * 2


# ------------------------------------------------------------------ settings of the limits


def test_published_limits_are_the_defaults() -> None:
    config = PinduoduoSettings(client_id="c", client_secret="s")
    assert config.limits_for(API) == {"shop": (Limit(3000, 60),)}
    assert config.limits_for("pdd.order.information.get")["total"] == (Limit(2000, 1),)
    assert config.limits_for("pdd.waybill.get")["total"] == (Limit(50000, 1), Limit(750000, 10))


def test_overrides_replace_one_scope_and_keep_the_rest() -> None:
    config = PinduoduoSettings.from_mapping(
        {
            "client_id": "c",
            "client_secret": "s",
            "rate_limits": {
                "pdd.order.information.get": {"shop": "600/60s"},
                "pdd.waybill.get": {"total": [[100, 1], "1000/10"]},
                "pdd.custom.api": {"total": [5, 1]},
            },
        }
    )
    assert config.limits_for("pdd.order.information.get") == {
        "shop": (Limit(600, 60),),
        "total": (Limit(2000, 1),),
    }
    assert config.limits_for("pdd.waybill.get")["total"] == (Limit(100, 1), Limit(1000, 10))
    assert config.limits_for("pdd.custom.api") == {"total": (Limit(5, 1),)}
    assert DEFAULT_RATE_LIMITS["pdd.order.information.get"]["shop"] == (Limit(30000, 60),)


@pytest.mark.parametrize(
    "overrides",
    [
        {API: {"shop": "fast"}},
        {API: {"everyone": "1/1"}},
        {API: "1/1"},
        {API: {"shop": "0/1"}},
        {API: {"shop": [1, 0]}},
        ["not", "a", "table"],
    ],
)
def test_bad_overrides_are_configuration_errors(overrides: object) -> None:
    with pytest.raises(ConfigurationError, match=r"rate limit|rate_limits"):
        PinduoduoSettings.from_mapping(
            {"client_id": "c", "client_secret": "s", "rate_limits": overrides}
        )


def test_one_limiter_per_app_shared_across_instances() -> None:
    base = {"client_id": "c", "client_secret": "s"}
    first = limiter_for(PinduoduoSettings.from_mapping(base))
    assert limiter_for(PinduoduoSettings.from_mapping(base)) is first
    other = limiter_for(PinduoduoSettings.from_mapping({**base, "client_id": "d"}))
    assert other is not first
    off = limiter_for(PinduoduoSettings.from_mapping({**base, "rate_limit_enabled": "false"}))
    assert off.acquire(API, "a") == 0.0 and not isinstance(off, RateLimiter)


def test_reader_processes_of_one_pass_share_the_published_limits() -> None:
    """`share_rate_limits(1/n)`: each of n readers keeps 1/n of every limit (at least one
    call per period), so together they stay within what the platform publishes."""
    from plugins.platforms.pinduoduo.platform import PinduoduoPlatform

    settings = {
        "client_id": "c",
        "client_secret": "s",
        "gateway_url": "http://127.0.0.1:9/api/router",
        "rate_limits": {API: {"shop": "3000/60", "total": "25/1"}},
    }
    platform = PinduoduoPlatform(settings)
    whole = platform.transport.limiter
    platform.share_rate_limits(1 / 3)
    third = platform.transport.limiter
    assert third is not whole and isinstance(third, RateLimiter)
    config = PinduoduoSettings.from_mapping(settings)
    assert third is limiter_for(config, 1 / 3)  # shared by the instances of the process
    limits = third._limits_for(API)
    assert limits["shop"] == (Limit(1000, 60.0),) and limits["total"] == (Limit(8, 1.0),)
    tiny = limiter_for(config, 1 / 100)._limits_for(API)
    assert tiny["total"] == (Limit(1, 1.0),)  # never zero calls
    platform.share_rate_limits(1.0)  # a whole share changes nothing
    assert platform.transport.limiter is third
    platform.close()
