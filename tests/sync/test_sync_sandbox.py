"""The sync engine end to end: the real client, the sandbox over HTTP, both databases."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from core import clock
from core.contracts.platform import OrderWindow
from core.hookspecs import hookimpl
from core.models import AuditEvent, Shop
from plugins.platforms.pinduoduo.sandbox import SandboxConfig, SandboxServer
from tests.sync.rig import FAST, Rig, make_rig, mismatches, stored_states


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    config = SandboxConfig(seed=11, shops=2, orders=400, history_days=1.0)
    with SandboxServer(config) as running:
        yield running


@pytest.fixture
def rig(settings, server) -> Iterator[Rig]:
    built = make_rig(settings, server, initial_days=2)
    yield built
    built.app.close()


def test_full_sync_stores_every_order_once_in_its_latest_state(rig: Rig) -> None:
    rig.settle()  # every seeded change is now older than MIN_LAG
    shop_ids = rig.bind_all()
    for shop_id in shop_ids:
        reports = rig.sync_until_done(shop_id)
        assert [r.status for r in reports] == ["ok"] * len(reports)
    for owner_id in rig.shop_ids:
        assert mismatches(rig, owner_id) == []
    assert rig.order_count() == len(rig.sandbox.ground_truth())

    again = rig.sync(shop_ids[0])  # nothing new: the overlap alone, nothing stored
    assert again.status == "ok" and again.new == again.updated == 0


def test_windows_and_cursor_are_logged(rig: Rig) -> None:
    rig.settle()
    shop_id = rig.bind(rig.sandbox.shops[0].owner_id)
    report = rig.sync(shop_id)
    runs = rig.runs(shop_id)
    assert [r.status for r in runs] == ["ok"] * len(report.windows) and runs
    assert all(r.window_end - r.window_start <= timedelta(minutes=30) for r in runs)
    assert all(a.window_end == b.window_start for a, b in itertools.pairwise(runs))
    assert sum(r.seen for r in runs) == report.seen and sum(r.new for r in runs) == report.new
    assert all(r.pages >= 1 and r.duration_ms is not None and r.worker for r in runs)
    shop = rig.shop(shop_id)
    assert clock.as_utc(shop.sync_cursor) == clock.as_utc(runs[-1].window_end)
    platform_now = clock.now() + timedelta(seconds=rig.sandbox.clock.offset)
    assert clock.as_utc(shop.sync_cursor) <= platform_now - timedelta(minutes=3)
    assert shop.lease_owner is None and shop.consecutive_failures == 0
    interval = timedelta(minutes=shop.sync_interval_minutes)
    after_finish = clock.as_utc(shop.next_sync_at) - clock.as_utc(runs[-1].finished_at)
    assert interval <= after_finish < interval + timedelta(seconds=5)  # last finish + interval


def test_late_updates_are_picked_up_by_the_next_pass(rig: Rig) -> None:
    rig.settle()
    owner_id = rig.sandbox.shops[0].owner_id
    shop_id = rig.bind(owner_id)
    rig.sync_until_done(shop_id)
    cursor = clock.as_utc(rig.shop(shop_id).sync_cursor)
    orders = list(rig.sandbox.store.shop_orders(owner_id))
    old, older = orders[0].sn, orders[1].sn
    # An old order changes now, and another becomes visible late: its update is stamped
    # two minutes before the cursor (the platform publishes some writes late).
    rig.sandbox.update(old, remark="补发一个杯盖", remark_tag=2)
    late = int((cursor - timedelta(minutes=2)).timestamp())
    rig.sandbox.mutate(older, late, lambda o: o.data.update(buyer_memo="晚到的留言"))
    rig.settle()
    report = rig.sync(shop_id)
    assert report.status == "ok" and report.updated == 2
    stored = stored_states(rig.app, shop_id)
    assert stored[old][3] == "补发一个杯盖" and stored[old][4] == "yellow"
    assert stored[older][5] == "晚到的留言"
    assert mismatches(rig, owner_id) == []


def test_backfill_rereads_a_range_without_moving_the_cursor_back(rig: Rig) -> None:
    rig.settle()
    owner_id = rig.sandbox.shops[0].owner_id
    shop_id = rig.bind(owner_id)
    rig.sync_until_done(shop_id)
    cursor = clock.as_utc(rig.shop(shop_id).sync_cursor)
    # A write published far too late for any overlap: only a backfill can find it.
    victim = next(iter(rig.sandbox.store.shop_orders(owner_id))).sn
    at = int((cursor - timedelta(hours=6)).timestamp())
    rig.sandbox.mutate(victim, at, lambda o: o.data.update(buyer_memo="六小时前的修改"))
    rig.settle()
    since, until = cursor - timedelta(hours=7), cursor - timedelta(hours=5)
    report = rig.sync(shop_id, since=since, until=until)
    assert report.kind == "backfill" and report.status == "ok"
    assert report.windows[0].window == OrderWindow(since, since + timedelta(minutes=30))
    assert len(report.windows) == 4 and report.updated >= 1
    assert stored_states(rig.app, shop_id)[victim][5] == "六小时前的修改"
    shop = rig.shop(shop_id)
    assert clock.as_utc(shop.sync_cursor) == cursor  # not moved back
    assert {r.kind for r in rig.runs(shop_id)[-4:]} == {"backfill"}
    with rig.app.tx() as session:
        assert session.scalars(
            select(AuditEvent.action).where(AuditEvent.action == "shop.backfill")
        ).all()

    # A backfill that reaches past the cursor joins it and moves it forward.
    rig.settle(3600)
    forward = rig.sync(
        shop_id, since=cursor - timedelta(minutes=10), until=cursor + timedelta(minutes=50)
    )
    assert forward.status == "ok"
    assert clock.as_utc(rig.shop(shop_id).sync_cursor) == cursor + timedelta(minutes=50)


def test_orders_moving_while_paging_are_not_missed(settings) -> None:
    """Windows of several pages; every page request updates some orders, which leave the
    window for "now". Paging from the last page back, no order that stayed in the window
    is skipped: right after the pass, every order older than the cursor is stored."""
    config = SandboxConfig(seed=5, shops=1, orders=2500, history_days=0.1)
    with SandboxServer(config) as server:
        rig = make_rig(settings, server, initial_days=1)
        try:
            rig.settle()
            owner_id = rig.sandbox.shops[0].owner_id
            shop_id = rig.bind(owner_id)
            rig.sandbox.set_moving(4, "to_now")
            report = rig.sync(shop_id)
            assert report.status == "ok"
            assert max(w.pages for w in report.windows) >= 5  # several pages per window
            cursor = clock.as_utc(rig.shop(shop_id).sync_cursor)
            assert mismatches(rig, owner_id, before=cursor) == []
            rig.sandbox.set_moving(0)
            rig.settle()
            assert rig.sync(shop_id).status == "ok"
            assert mismatches(rig, owner_id) == []
        finally:
            rig.app.close()


def test_token_expiring_mid_sync_is_refreshed_once_and_the_sync_goes_on(rig: Rig) -> None:
    rig.settle()
    owner_id = rig.sandbox.shops[0].owner_id
    shop_id = rig.bind(owner_id)
    first_token = rig.shop(shop_id).credentials["access_token"]
    rig.sandbox.set_faults("token_expiry=15")  # every token dies after 15 calls
    reports = rig.sync_until_done(shop_id)
    assert all(r.status == "ok" for r in reports)
    assert rig.sandbox.faults.counts["token_expiry"] >= 2
    assert rig.shop(shop_id).credentials["access_token"] != first_token
    with rig.app.tx() as session:
        refreshes = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "shop.token_refresh")
        ).all()
    assert len(refreshes) >= 2
    rig.sandbox.set_faults("")
    rig.settle()
    rig.sync(shop_id)
    assert mismatches(rig, owner_id) == []


def test_shop_row_is_left_unleased_after_every_kind_of_pass(rig: Rig) -> None:
    rig.settle()
    shop_id = rig.bind(rig.sandbox.shops[0].owner_id)
    rig.sync(shop_id, control=FAST)
    with rig.app.tx() as session:
        shop = session.get(Shop, shop_id)
        assert (shop.lease_owner, shop.lease_expires_at) == (None, None)


class SyncListener:
    """An in-process plugin that records `order_synced` events."""

    def __init__(self) -> None:
        self.events: list[tuple[int, str, bool]] = []

    @hookimpl
    def order_synced(self, order_id: int, order, created: bool) -> None:  # type: ignore[no-untyped-def]
        self.events.append((order_id, order.order_number, created))


def test_order_synced_events_follow_the_commit(rig: Rig) -> None:
    listener = SyncListener()
    rig.app.plugins.register(listener, "sync-listener")
    rig.settle()
    owner_id = rig.sandbox.shops[0].owner_id
    shop_id = rig.bind(owner_id)
    first = rig.sync(shop_id)
    assert len(listener.events) == first.new > 0
    assert all(created for _, _, created in listener.events)
    stored = {sn: True for sn in stored_states(rig.app, shop_id)}
    assert {sn for _, sn, _ in listener.events} == set(stored)
    sn = listener.events[0][1]
    rig.sandbox.update(sn, buyer_memo="请发顺丰")
    rig.settle()
    listener.events.clear()
    second = rig.sync(shop_id)
    assert second.updated == 1 and [(e[1], e[2]) for e in listener.events] == [(sn, False)]
