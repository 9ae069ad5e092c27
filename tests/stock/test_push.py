"""Pushing available quantities to Pinduoduo through the sandbox gateway (the real client,
signing and rate limiter over HTTP): off by default; the right parameters for each
listing, a bundle's least part; only what changed; a failed push retried at the next
pass; the per-shop rate limit kept; permissions and other orgs."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from itertools import count

import pytest
from sqlalchemy import select

from core.config import Settings
from core.errors import Conflict, NotFound, PermissionDenied
from core.models import Alert, Order, OrderLine, PlatformListing
from core.startup import open_app
from core.stock import catalogue, mapping, operations, warehouses
from core.stock.mapping import Part
from core.stock.operations import Line
from core.stockpush import passes
from core.stockpush import settings as push_settings
from plugins.platforms.pinduoduo.sandbox import SandboxConfig, SandboxServer
from plugins.platforms.pinduoduo.sandbox.data_catalogue import CATALOGUE
from tests.conftest import OrgFixture
from tests.shop_rig import bind

API = "pdd.goods.quantity.update"
GOODS = {g.outer_goods_id: g for g in CATALOGUE}
CUP, TEE = GOODS["CUP"], GOODS["TEE"]
#: The test's tight limit, the same on both sides: the gateway refuses a 6th call in a
#: second (70031), so any burst the client let through would fail the test.
LIMIT = {API: {"shop": ((5, 1),)}}
SANDBOX = SandboxConfig(shops=1, orders=4, history_days=1.0, rate_limit_overrides=LIMIT)
_numbers = count(1)


@pytest.fixture(scope="module")
def server() -> Iterator[SandboxServer]:
    with SandboxServer(SANDBOX) as running:
        yield running


def open_push_app(settings: Settings, server: SandboxServer, **platform: object):  # type: ignore[no-untyped-def]
    options = {
        **server.client_settings(),
        "connect_timeout": 2,
        "read_timeout": 5,
        "max_attempts": 2,
        "backoff_base": 0.005,
        "backoff_max": 0.01,
        "rate_limits": {API: {"shop": "5/1"}},
        **platform,
    }
    return open_app(replace(settings, platforms={"pinduoduo": options}))


@pytest.fixture
def world(settings: Settings, server: SandboxServer):  # type: ignore[no-untyped-def]
    """A bound shop selling CUP-01 (matched by merchant code), CUP-02 (a bundle: 2 ×
    CUP-01 + 3 × LID) and TEE-01 (mapped to nothing); 7 CUP-01 and 8 LID in stock."""
    server.sandbox.reset()
    app = open_push_app(settings, server)
    org = OrgFixture(app, "acme", "boss")
    shop = bind(app, org.admin, server)
    warehouses.add_warehouse(app, org.admin, "主仓")
    for code in ("CUP-01", "LID"):
        catalogue.add_sku(app, org.admin, code)
    mapping.map_platform_sku(
        app, org.admin, "pinduoduo", str(CUP.skus[1].sku_id), [Part("CUP-01", 2), Part("LID", 3)]
    )
    operations.receive(app, org.admin, [Line("CUP-01", 7), Line("LID", 8)])
    sell(app, org.org_id, shop.id, [(CUP, 0), (CUP, 1), (TEE, 0)])
    yield app, org, shop.id, server.sandbox
    app.close()


def sell(app, org_id: int, shop_id: int, items, goods_id: str | None = None) -> None:  # type: ignore[no-untyped-def]
    """An order of the shop with a line per (goods, SKU index)."""
    with app.tx() as session:
        order = Order(
            org_id=org_id,
            shop_id=shop_id,
            platform_order_no=f"PUSH-{next(_numbers)}",
            receiver_name_masked="王**",
        )
        session.add(order)
        session.flush()
        for number, (goods, index) in enumerate(items, start=1):
            sku = goods.skus[index]
            session.add(
                OrderLine(
                    order_id=order.id,
                    org_id=org_id,
                    line_no=number,
                    platform_goods_id=goods_id or str(goods.goods_id),
                    platform_sku_id=str(sku.sku_id),
                    outer_id=sku.outer_id,
                    title=goods.name,
                )
            )


def sent(sandbox) -> dict[int, int]:  # type: ignore[no-untyped-def]
    """SKU id → the last quantity the platform was given."""
    return {update["sku_id"]: update["quantity"] for update in sandbox.quantity_updates}


def test_off_by_default(world) -> None:
    app, org, _, sandbox = world
    assert push_settings.show_push_settings(app, org.admin).enabled is False
    assert passes.StockPushPass(app)() == {}
    with pytest.raises(Conflict) as off:
        passes.push_now(app, org.admin)
    assert "push-settings --on" in off.value.message
    assert sandbox.quantity_updates == []


def test_pushes_each_listing_then_only_what_changed(world) -> None:
    app, org, shop_id, sandbox = world
    push_settings.update_push_settings(app, org.admin, enabled=True)
    report = passes.push_now(app, org.admin)
    assert (report.pushed, report.failed, report.unmapped, report.discovered) == (2, 0, 1, 3)
    cup, bundle = CUP.skus[0], CUP.skus[1]
    assert sandbox.quantity_updates == [
        {
            "owner_id": sandbox.shops[0].owner_id,
            "goods_id": CUP.goods_id,
            "sku_id": cup.sku_id,
            "outer_id": "CUP-01",
            "quantity": 7,
            "update_type": 1,
            "at": sandbox.quantity_updates[0]["at"],
        },
        {
            "owner_id": sandbox.shops[0].owner_id,
            "goods_id": CUP.goods_id,
            "sku_id": bundle.sku_id,
            "outer_id": "CUP-02",
            "quantity": 2,  # min(7 // 2, 8 // 3)
            "update_type": 1,
            "at": sandbox.quantity_updates[1]["at"],
        },
    ]
    again = passes.push_now(app, org.admin)
    assert (again.pushed, again.unchanged) == (0, 2)
    operations.receive(app, org.admin, [Line("LID", 1)])  # LID 9: the bundle can make 3
    third = passes.StockPushPass(app)()[org.org_id]
    assert (third.pushed, third.unchanged) == (1, 1)
    assert len(sandbox.quantity_updates) == 3 and sent(sandbox)[bundle.sku_id] == 3
    # A new SKU on a new order line is learnt and pushed at the next pass.
    catalogue.add_sku(app, org.admin, "TEE-02")
    operations.receive(app, org.admin, [Line("TEE-02", 4)])
    sell(app, org.org_id, shop_id, [(TEE, 1)])
    fourth = passes.push_now(app, org.admin)
    assert (fourth.pushed, fourth.discovered) == (1, 1)
    assert sent(sandbox)[TEE.skus[1].sku_id] == 4
    everything = passes.push_now(app, org.admin, everything=True)
    assert everything.pushed == 3


def test_a_failed_push_is_retried_at_the_next_pass(world) -> None:
    app, org, shop_id, sandbox = world
    push_settings.update_push_settings(app, org.admin, enabled=True)
    sell(app, org.org_id, shop_id, [(CUP, 2)], goods_id="424242")  # goods unknown there
    catalogue.add_sku(app, org.admin, "CUP-03")
    sandbox.set_faults(f"503=1.0@{API}")
    down = passes.push_now(app, org.admin)
    assert (down.pushed, down.failed) == (0, 1)  # the first 503 ends the shop's pass
    assert any("stopped after" in s for s in down.skipped)
    with app.tx() as session:
        listings = session.scalars(select(PlatformListing)).all()
        assert all(listing.pushed_quantity is None for listing in listings)
        [alert] = session.scalars(select(Alert).where(Alert.kind == "stock.push_failed")).all()
        assert alert.severity == "warning" and "503" in alert.message
    sandbox.set_faults("")
    back = passes.push_now(app, org.admin)
    assert (back.pushed, back.failed) == (2, 1)  # the unknown goods is refused, the rest go
    assert "424242" in back.errors[0] and "不存在" in back.errors[0]
    assert sent(sandbox) == {CUP.skus[0].sku_id: 7, CUP.skus[1].sku_id: 2}
    with app.tx() as session:
        refused = session.scalars(
            select(PlatformListing).where(PlatformListing.goods_id == "424242")
        ).one()
        assert (refused.failures, refused.pushed_quantity) == (1, None)  # not reached before
        assert "不存在" in refused.last_error
    # Still failing: tried again each pass, the others stay unchanged.
    assert passes.push_now(app, org.admin).failed == 1


def test_the_rate_limit_spreads_a_burst(world) -> None:
    """Twelve SKUs at 5 calls per second per shop: the client waits its turn, so the
    gateway (same limit, sliding window) never throttles and every push lands."""
    app, org, shop_id, sandbox = world
    push_settings.update_push_settings(app, org.admin, enabled=True)
    goods = [g for g in CATALOGUE if g.outer_goods_id not in ("CUP", "TEE")][:5]
    items = [(g, i) for g in goods for i in range(len(g.skus))][:10]
    for g, i in items:
        catalogue.add_sku(app, org.admin, g.skus[i].outer_id)
        operations.receive(app, org.admin, [Line(g.skus[i].outer_id, 3)])
    sell(app, org.org_id, shop_id, items)
    started = time.monotonic()
    report = passes.push_now(app, org.admin)
    elapsed = time.monotonic() - started
    assert (report.pushed, report.failed) == (12, 0), report.errors
    assert len(sandbox.quantity_updates) == 12
    assert elapsed >= 11 / (0.9 * 5) - 0.2  # a bucket of 1, refilled at 4.5 a second


def test_permissions_settings_and_other_orgs(world) -> None:
    app, org, shop_id, sandbox = world
    viewer = org.staff("viewer", "read_only")
    keeper = org.staff("keeper", "warehouse")
    with pytest.raises(PermissionDenied):
        push_settings.update_push_settings(app, keeper, enabled=True)  # settings.manage
    with pytest.raises(PermissionDenied):
        passes.push_now(app, viewer)
    with pytest.raises(NotFound):
        push_settings.update_push_settings(app, org.admin, shops=[shop_id + 100])
    with pytest.raises(NotFound):
        push_settings.update_push_settings(app, org.admin, warehouse="南仓")
    found = push_settings.update_push_settings(
        app, org.admin, enabled=True, shops=[shop_id], warehouse="主仓"
    )
    assert (found.enabled, found.shops, found.warehouse) == (True, (shop_id,), "主仓")
    assert push_settings.show_push_settings(app, viewer) == found
    other = OrgFixture(app, "globex", "hank")
    with pytest.raises(NotFound):
        passes.push_now(app, other.admin, shop_id=shop_id)
    with pytest.raises(NotFound):
        push_settings.update_push_settings(app, other.admin, shops=[shop_id])
    assert push_settings.show_push_settings(app, other.admin).enabled is False
    report = passes.push_now(app, keeper, shop_id=shop_id)
    assert report.pushed == 2 and sandbox.quantity_updates


def test_the_worker_pass_runs_at_most_every_minute(world) -> None:
    app, org, _, sandbox = world
    push_settings.update_push_settings(app, org.admin, enabled=True)
    now = [1000.0]
    worker_pass = passes.StockPushPass(app, monotonic=lambda: now[0])
    assert worker_pass()[org.org_id].pushed == 2
    operations.receive(app, org.admin, [Line("CUP-01", 1)])
    now[0] += passes.PASS_SECONDS - 1
    assert worker_pass() == {}  # not yet
    now[0] += 1
    assert worker_pass()[org.org_id].pushed == 1
    assert sent(sandbox)[CUP.skus[0].sku_id] == 8
