"""Rate limits per shop and per API (pinduoduo.md §8), as the gateway answers them."""

from __future__ import annotations

import pytest

from plugins.platforms.pinduoduo.sandbox.errors import ApiError
from plugins.platforms.pinduoduo.sandbox.ratelimit import PUBLISHED_LIMITS, RateLimiter
from tests.sandbox.conftest import Gateway


def test_the_published_limits_are_the_defaults() -> None:
    limits = RateLimiter().table
    assert limits["pdd.order.number.list.increment.get"] == {"shop": ((3000, 60),)}
    assert limits["pdd.waybill.get"] == {"total": ((50000, 1), (750000, 10))}
    assert set(PUBLISHED_LIMITS) >= {"pdd.order.status.get", "pdd.logistics.online.send"}


def test_a_shop_over_its_limit_gets_70031_and_other_shops_do_not(gw: Gateway) -> None:
    sandbox = gw.server.sandbox
    sandbox.reset(rate_limit_overrides={"pdd.order.status.get": {"shop": ((3, 60),)}})
    first, second = (sandbox.grant(s.owner_id)["access_token"] for s in sandbox.shops)
    for _ in range(3):
        gw.ok("pdd.order.status.get", first, order_sns="x")
    error = gw.error("pdd.order.status.get", first, order_sns="x")
    assert (error["error_code"], error["error_msg"]) == (70031, "调用过于频繁")
    gw.ok("pdd.order.status.get", second, order_sns="x")


def test_an_api_over_its_total_limit_gets_52101(gw: Gateway) -> None:
    sandbox = gw.server.sandbox
    sandbox.reset(rate_limit_overrides={"pdd.logistics.companies.get": {"total": ((2, 10),)}})
    gw.ok("pdd.logistics.companies.get")
    gw.ok("pdd.logistics.companies.get")
    error = gw.error("pdd.logistics.companies.get")
    assert (error["error_code"], error["error_msg"]) == (52101, "当前接口被限流")


def test_limits_can_be_switched_off_for_benchmarks(gw: Gateway) -> None:
    sandbox = gw.server.sandbox
    sandbox.reset(
        rate_limits=False,
        rate_limit_overrides={"pdd.logistics.companies.get": {"total": ((1, 60),)}},
    )
    for _ in range(5):
        gw.ok("pdd.logistics.companies.get")
    assert gw.control("PUT", "/rate-limits", json={"enabled": True}) == {"enabled": True}
    gw.ok("pdd.logistics.companies.get")
    assert gw.error("pdd.logistics.companies.get")["error_code"] == 52101


def test_the_window_slides() -> None:
    now = [100.0]
    limiter = RateLimiter({"pdd.time.get": {"total": ((2, 10),)}}, now=lambda: now[0])
    limiter.check("pdd.time.get", None)
    now[0] = 105
    limiter.check("pdd.time.get", None)
    now[0] = 109.9
    with pytest.raises(ApiError) as refused:
        limiter.check("pdd.time.get", None)
    assert refused.value.code == 52101
    now[0] = 110.1  # the first call left the window
    limiter.check("pdd.time.get", None)
