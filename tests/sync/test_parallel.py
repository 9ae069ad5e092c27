"""Reader processes (core.sync.parallel): the same orders, in the same order, on both
databases; failures handed over in order. That no reader outlives a SIGKILLed worker is
checked by the chaos test (tests/sync/test_chaos.py), which runs with reader processes."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import timedelta

import pytest

from core import clock
from core.config import SyncSettings
from core.sync.parallel import reader_count
from plugins.platforms.pinduoduo.sandbox import SandboxConfig, SandboxServer
from tests.sync.rig import Rig, make_rig, mismatches, stored_states
from tests.sync.test_sync_sandbox import SyncListener

INCREMENT = "pdd.order.number.list.increment.get"
PARALLEL = {"read_processes": 2, "parallel_min_windows": 2}


@pytest.fixture
def server() -> Iterator[SandboxServer]:
    config = SandboxConfig(seed=23, shops=2, orders=500, history_days=1.0)
    with SandboxServer(config) as running:
        yield running


@pytest.fixture
def rig(settings, server) -> Iterator[Rig]:
    built = make_rig(settings, server, initial_days=2, **PARALLEL)
    yield built
    built.app.close()


def test_reader_processes_store_every_order_once_with_windows_in_order(rig: Rig) -> None:
    listener = SyncListener()
    rig.app.plugins.register(listener, "sync-listener")
    rig.settle()
    shop_ids = rig.bind_all()
    for shop_id in shop_ids:
        reports = rig.sync_until_done(shop_id)
        assert [r.status for r in reports] == ["ok"] * len(reports)
        runs = rig.runs(shop_id)
        assert len(runs) > 2 and all(r.status == "ok" for r in runs)
        assert all(a.window_end == b.window_start for a, b in itertools.pairwise(runs))
        shop = rig.shop(shop_id)
        assert clock.as_utc(shop.sync_cursor) == clock.as_utc(runs[-1].window_end)
    for owner_id in rig.shop_ids:
        assert mismatches(rig, owner_id) == []
    assert rig.order_count() == len(rig.sandbox.ground_truth())
    # order_synced listeners get the orders read in the other processes, after commit
    created = {sn for _, sn, new in listener.events if new}
    assert len(listener.events) == rig.order_count() and len(created) == rig.order_count()

    owner_id = rig.sandbox.shops[0].owner_id
    sn = next(iter(stored_states(rig.app, rig.shop_ids[owner_id])))
    rig.sandbox.update(sn, remark="改地址了", remark_tag=1)
    rig.settle()
    platform_now = clock.now() + timedelta(seconds=rig.sandbox.clock.offset)
    again = rig.sync(
        rig.shop_ids[owner_id],
        since=platform_now - timedelta(days=3),
        until=platform_now - timedelta(minutes=4),
    )  # a backfill: many windows
    assert again.status == "ok" and again.updated == 1 and again.new == 0
    assert mismatches(rig, owner_id) == []


def test_a_window_failing_in_a_reader_ends_the_pass_after_the_windows_before_it(
    rig: Rig,
) -> None:
    rig.settle()
    shop_id = rig.bind(rig.sandbox.shops[0].owner_id)
    rig.sandbox.set_faults(f"500=1.0@{INCREMENT}")
    report = rig.sync(shop_id)
    assert report.status == "failed" and "HTTP 500" in report.error
    shop = rig.shop(shop_id)
    assert shop.sync_cursor is None and shop.lease_owner is None and rig.order_count() == 0
    rig.sandbox.set_faults("")
    assert [r.status for r in rig.sync_until_done(shop_id)][-1] == "ok"
    assert mismatches(rig, rig.sandbox.shops[0].owner_id) == []


def test_reader_count_follows_settings_and_pass_length() -> None:
    auto = SyncSettings()
    assert reader_count(auto, 1) == 0 and reader_count(auto, 7) == 0
    assert 1 <= reader_count(auto, 8) <= 4
    assert reader_count(SyncSettings(read_processes=0), 500) == 0
    assert reader_count(SyncSettings(read_processes=3, parallel_min_windows=2), 2) == 3
