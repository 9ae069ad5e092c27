"""The real client against the sandbox gateway, over real HTTP on a loopback port.

The sandbox is the double of Pinduoduo's router (signatures, tokens, windows, paging,
ciphertext, shipment rules, faults); nothing here is mocked. It runs in-process under
uvicorn in a thread (`SandboxServer`), so tests can read its ground truth and change it.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from core import clock
from core.contracts import (
    EncryptedValue,
    OrderStatus,
    OrderWindow,
    RefundStatus,
    ShipmentConfirmation,
    TokenGrant,
)
from core.errors import AuthenticationFailed, Conflict, ExternalError, NotFound
from plugins.platforms.pinduoduo import mapping, small_answers
from plugins.platforms.pinduoduo.errors import TokenExpired
from plugins.platforms.pinduoduo.platform import PinduoduoPlatform
from plugins.platforms.pinduoduo.ratelimit import RateLimiter
from plugins.platforms.pinduoduo.sandbox.config import SandboxConfig
from plugins.platforms.pinduoduo.sandbox.data_logistics import CARRIERS_BY_CODE
from plugins.platforms.pinduoduo.sandbox.server import SandboxServer
from plugins.platforms.pinduoduo.sandbox.state import Sandbox
from plugins.platforms.pinduoduo.settings import PinduoduoSettings

REDIRECT = "https://hub.example.cn/oauth/pinduoduo/callback"


class LoopbackSandbox(SandboxServer):
    """The sandbox's own in-thread server, plus client settings tuned for tests."""

    def settings(self, **overrides: object) -> dict[str, object]:
        return {
            **self.client_settings(),
            "connect_timeout": 2,
            "read_timeout": 5,
            "max_attempts": 4,
            "backoff_base": 0.005,
            "backoff_max": 0.02,
            **overrides,
        }


@pytest.fixture(scope="module")
def loopback() -> Iterator[LoopbackSandbox]:
    with LoopbackSandbox(SandboxConfig(seed=11, shops=2, orders=300)) as server:
        yield server


@pytest.fixture(scope="module")
def sandbox(loopback: LoopbackSandbox) -> Sandbox:
    return loopback.sandbox


def make_platform(loopback: LoopbackSandbox, **overrides: object) -> PinduoduoPlatform:
    config = PinduoduoSettings.from_mapping(loopback.settings(**overrides))
    return PinduoduoPlatform(
        loopback.settings(**overrides), limiter=RateLimiter(config.limits_for, max_wait=5)
    )


@pytest.fixture
def pdd(loopback: LoopbackSandbox) -> Iterator[PinduoduoPlatform]:
    with make_platform(loopback) as platform:
        yield platform


def authorise(pdd: PinduoduoPlatform, owner_id: str) -> TokenGrant:
    """The browser step against the sandbox's consent page, then the code exchange."""
    url = pdd.authorize_url(REDIRECT, f"state-{owner_id}") + f"&owner_id={owner_id}"
    answer = httpx.get(url, follow_redirects=False)
    assert answer.status_code == 302, answer.text
    query = parse_qs(urlsplit(answer.headers["location"]).query)
    assert query["state"] == [f"state-{owner_id}"]
    return pdd.exchange_code(query["code"][0], REDIRECT)


@pytest.fixture(scope="module")
def shops(loopback: LoopbackSandbox) -> dict[str, str]:
    """owner_id → a live access token, one per sandbox shop."""
    with make_platform(loopback) as platform:
        return {
            s.owner_id: authorise(platform, s.owner_id).access_token for s in loopback.sandbox.shops
        }


def last_half_hour() -> OrderWindow:
    now = clock.now()
    return OrderWindow(now - timedelta(minutes=30), now)


def truth(sandbox: Sandbox, owner_id: str | None = None) -> list[dict]:
    return sandbox.ground_truth(owner_id)


def shippable(entry: dict) -> bool:
    order = entry["order"]
    tags = {t["name"] for t in order.get("order_tag_list") or [] if t.get("value") == 1}
    return (
        (order["order_status"], order["refund_status"], order["confirm_status"]) == (1, 1, 1)
        and order.get("risk_control_status", 0) == 0
        and "ship_hold" not in tags
    )


# ---------------------------------------------------------------------- OAuth


def test_oauth_code_exchange_refresh_and_revocation(
    pdd: PinduoduoPlatform, sandbox: Sandbox, frozen_clock
) -> None:
    shop = sandbox.shops[1]
    grant = authorise(pdd, shop.owner_id)
    assert grant.shop_id == shop.owner_id and grant.shop_name == shop.owner_name
    ttl = timedelta(seconds=sandbox.config.token_ttl)
    assert clock.now() + ttl - timedelta(seconds=5) <= grant.expires_at <= clock.now() + ttl
    assert grant.refresh_expires_at is not None and grant.refresh_expires_at > grant.expires_at
    fresh = pdd.refresh_token(grant.refresh_token)
    assert fresh.access_token != grant.access_token and fresh.shop_id == shop.owner_id
    with pytest.raises(AuthenticationFailed) as info:  # the refreshed-away token is dead
        pdd.order_detail(grant.access_token, "000000-000000000000000")
    assert not isinstance(info.value, TokenExpired)
    with pytest.raises(AuthenticationFailed, match="authorise the shop again"):
        pdd.refresh_token("not-a-refresh-token")
    with pytest.raises(AuthenticationFailed, match="authorise the shop again"):
        pdd.exchange_code("not-a-code", REDIRECT)


def test_expired_token_is_token_expired_and_refresh_recovers(
    loopback: LoopbackSandbox, pdd: PinduoduoPlatform, sandbox: Sandbox
) -> None:
    grant = authorise(pdd, sandbox.shops[0].owner_id)
    window = last_half_hour()
    pdd.fetch_orders(grant.access_token, window, 1)
    assert sandbox.expire_tokens(access_token=grant.access_token) == 1
    with pytest.raises(TokenExpired):
        pdd.fetch_orders(grant.access_token, window, 1)
    fresh = pdd.refresh_token(grant.refresh_token)
    assert pdd.fetch_orders(fresh.access_token, window, 1).page == 1


# ---------------------------------------------------------------------- orders


def test_every_seeded_order_maps(sandbox: Sandbox) -> None:
    entries = truth(sandbox)
    assert len(entries) >= 300
    statuses = set()
    for entry in entries:
        order = mapping.order_from_payload(entry["order"])
        statuses.add((order.status, order.refund_status))
        assert order.receiver.province and order.lines
        if entry["order"]["receiver_name"]:
            assert order.receiver.encrypted and order.receiver.name_masked
    assert len(statuses) >= 4  # the seed covers several states, refunds among them


def sweep(pdd: PinduoduoPlatform, token: str, window: OrderWindow) -> list:
    """The engine's paging: page 1 for the total, then the last page back to page 1."""
    first = pdd.fetch_orders(token, window, 1)
    orders = list(first.orders)
    assert first.total is not None
    for number in range(PinduoduoPlatform.page_count(first.total), 1, -1):
        page = pdd.fetch_orders(token, window, number)
        orders.extend(page.orders)
    return orders


def test_windows_return_exactly_the_orders_updated_in_them(
    pdd: PinduoduoPlatform, sandbox: Sandbox, shops: dict[str, str]
) -> None:
    owner_id = sandbox.shops[0].owner_id
    entries = truth(sandbox, owner_id)
    updated = sorted(mapping.order_from_payload(e["order"]).updated_at for e in entries)
    start = updated[len(updated) // 2].replace(microsecond=0)
    window = OrderWindow(start - timedelta(minutes=29), start + timedelta(minutes=1))
    expected = {
        e["order"]["order_sn"]
        for e in entries
        if window.start <= mapping.order_from_payload(e["order"]).updated_at <= window.end
    }
    got = {o.order_number for o in sweep(pdd, shops[owner_id], window)}
    assert got == expected and expected


def test_paging_a_busy_window_backwards_sees_every_order(
    pdd: PinduoduoPlatform, sandbox: Sandbox, shops: dict[str, str]
) -> None:
    owner_id = sandbox.shops[1].owner_id
    added = set(sandbox.add_orders(230, owner_id=owner_id))
    now = datetime.fromtimestamp(sandbox.now(), UTC)
    window = OrderWindow(now - timedelta(minutes=5), now + timedelta(seconds=1))
    first = pdd.fetch_orders(shops[owner_id], window, 1)
    assert first.total is not None and first.total >= 230 and first.has_next
    assert PinduoduoPlatform.page_count(first.total) == 3
    later = pdd.fetch_orders(shops[owner_id], window, 3)
    assert later.total is None and later.has_next is False
    got = {o.order_number for o in sweep(pdd, shops[owner_id], window)}
    assert added <= got


def test_order_detail_matches_the_platform_and_hides_other_shops(
    pdd: PinduoduoPlatform, sandbox: Sandbox, shops: dict[str, str]
) -> None:
    mine, theirs = (truth(sandbox, s.owner_id)[3] for s in sandbox.shops)
    token = shops[sandbox.shops[0].owner_id]
    order = pdd.order_detail(token, mine["order"]["order_sn"])
    assert order == mapping.order_from_payload(mine["order"])
    with pytest.raises(NotFound, match=theirs["order"]["order_sn"]):
        pdd.order_detail(token, theirs["order"]["order_sn"])


def test_order_statuses(pdd: PinduoduoPlatform, sandbox: Sandbox, shops: dict[str, str]) -> None:
    owner_id = sandbox.shops[0].owner_id
    entries = truth(sandbox, owner_id)[:150]
    other = truth(sandbox, sandbox.shops[1].owner_id)[0]["order"]["order_sn"]
    numbers = [e["order"]["order_sn"] for e in entries] + [other]
    infos = pdd.fetch_order_statuses(shops[owner_id], numbers)
    assert [i.order_number for i in infos] == numbers
    for info, entry in zip(infos, entries, strict=False):
        expected = small_answers.status_info_from_payload(entry["order"])
        assert (info.status, info.refund_status) == (expected.status, expected.refund_status)
    assert (infos[-1].status, infos[-1].refund_status) == (
        OrderStatus.UNKNOWN,
        RefundStatus.UNKNOWN,
    )


def test_server_time(pdd: PinduoduoPlatform, sandbox: Sandbox) -> None:
    platform_now = pdd.server_time()
    assert platform_now.tzinfo is not None
    assert abs(platform_now.timestamp() - sandbox.now()) <= 2


def test_decrypt_gives_the_receiver_in_clear(
    pdd: PinduoduoPlatform, sandbox: Sandbox, shops: dict[str, str]
) -> None:
    owner_id = sandbox.shops[0].owner_id
    entries = [e for e in truth(sandbox, owner_id) if e["order"]["receiver_name"]][:40]
    values = [
        EncryptedValue(e["order"]["order_sn"], e["order"][field])
        for e in entries
        for field in ("receiver_name", "receiver_phone", "receiver_address")
    ]
    assert len(values) > 100  # more than one batch
    answers = pdd.decrypt(shops[owner_id], values)
    assert len(answers) == len(values)
    expected = [e["receiver"][k] for e in entries for k in ("name", "phone", "address")]
    assert [a.plaintext for a in answers] == expected
    assert all(a.error == "" for a in answers)


# ---------------------------------------------------------------------- shipping


def test_logistics_companies(pdd: PinduoduoPlatform) -> None:
    companies = {c.code: c for c in pdd.logistics_companies("unused")}
    assert companies["YTO"].id == str(CARRIERS_BY_CODE["YTO"].id) and companies["YTO"].available
    assert companies["YTO"].name == "圆通快递"


def test_shipment_confirmation_is_idempotent_and_refuses_conflicts(
    pdd: PinduoduoPlatform, sandbox: Sandbox, shops: dict[str, str]
) -> None:
    owner_id = sandbox.shops[0].owner_id
    token = shops[owner_id]
    first, second = [e["order"]["order_sn"] for e in truth(sandbox, owner_id) if shippable(e)][:2]
    rng = random.Random(3)
    yto = CARRIERS_BY_CODE["YTO"]
    number = yto.make_number(rng)
    ship = ShipmentConfirmation(first, str(yto.id), number)
    pdd.confirm_shipment(token, ship)
    assert pdd.order_detail(token, first).status is OrderStatus.SHIPPED
    pdd.confirm_shipment(token, ship)  # the same confirmation again: fine
    with pytest.raises(Conflict, match=first):  # a different number needs a redelivery
        pdd.confirm_shipment(token, ShipmentConfirmation(first, str(yto.id), yto.make_number(rng)))
    corrected = yto.make_number(rng)
    pdd.confirm_shipment(token, ShipmentConfirmation(first, str(yto.id), corrected, True))
    assert pdd.order_detail(token, first).raw["tracking_number"] == corrected

    sandbox.refund(second, 2)
    with pytest.raises(Conflict, match="售后处理中"):
        pdd.confirm_shipment(token, ShipmentConfirmation(second, str(yto.id), number))
    with pytest.raises(ExternalError, match="不符合") as info:  # a malformed tracking number
        pdd.confirm_shipment(token, ShipmentConfirmation(first, str(yto.id), "123", True))
    assert not isinstance(info.value, Conflict) and info.value.retryable is False


# ---------------------------------------------------------------------- faults


def test_the_client_rides_out_injected_faults(
    loopback: LoopbackSandbox, sandbox: Sandbox, shops: dict[str, str]
) -> None:
    owner_id = sandbox.shops[0].owner_id
    window = last_half_hour()
    sandbox.set_faults(
        "500=0.1,502=0.05,503=0.05,52101=0.1,70031=0.05,52103=0.05,malformed=0.1,seed=21"
    )
    try:
        with make_platform(loopback, max_attempts=12) as pdd:
            for _ in range(25):
                assert pdd.fetch_orders(shops[owner_id], window, 1).page == 1
                assert pdd.server_time().tzinfo is not None
        counts = sandbox.faults.report()["counts"]
        assert sum(counts.values()) >= 10, counts
    finally:
        sandbox.set_faults("")


def test_timeouts_are_retried(loopback: LoopbackSandbox, sandbox: Sandbox) -> None:
    sandbox.set_faults("timeout=0.5,delay=1,seed=4")
    try:
        with make_platform(loopback, read_timeout=0.25, max_attempts=10) as pdd:
            for _ in range(3):
                assert pdd.server_time().tzinfo is not None
        assert sandbox.faults.report()["counts"].get("timeout", 0) >= 1
    finally:
        sandbox.set_faults("")


def test_a_wrong_secret_is_a_configuration_error(loopback: LoopbackSandbox) -> None:
    pdd = make_platform(loopback, client_secret="not-the-sandbox-secret")
    with pdd, pytest.raises(ExternalError, match="check client_secret") as info:
        pdd.server_time()
    assert info.value.retryable is False
