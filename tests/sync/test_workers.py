"""`orderhub worker` processes: two sharing shops on PostgreSQL, a graceful stop, and
the in-process loop."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core import clock
from core.config import Settings
from core.models import Order, Shop, SyncRun
from core.sync.scheduler import Control, request_sync
from core.sync.worker import Worker
from plugins.platforms.pinduoduo.sandbox import SandboxConfig, SandboxServer
from tests.sync.processes import WorkerProcess, write_config
from tests.sync.rig import CLIENT_KNOBS, Rig, make_rig, mismatches, quiet

SYNC = {"initial_days": 2, "lease_seconds": 30}


def config_file(tmp_path: Path, settings: Settings, server: SandboxServer) -> Path:
    return write_config(
        tmp_path / "orderhub.toml",
        {
            "data_dir": str(settings.data_dir),
            "database_url": settings.database_url,
            "secret_key": settings.secret_key,
            "log_level": "INFO",
            "plugins": {"only": ["orderhub"]},
            "sync": SYNC,
            "platforms": {
                "pinduoduo": {**server.client_settings(), **CLIENT_KNOBS, "read_timeout": 1.0}
            },
        },
    )


def runs_overlap(rig: Rig) -> list[str]:
    """Sync runs of one shop by *different* workers whose [started, finished] intervals
    overlap. (One worker's own runs may overlap: it reads the next window while it
    stores the current one.)"""
    with rig.app.tx() as session:
        runs = session.scalars(select(SyncRun).order_by(SyncRun.started_at)).all()
    return overlapping(runs)


def overlapping(runs) -> list[str]:  # type: ignore[no-untyped-def]
    busy_until: dict[tuple[int, str], tuple[object, int]] = {}  # (shop, worker) → (end, run)
    problems = []
    for run in sorted(runs, key=lambda r: r.started_at):
        for (shop_id, worker), (end, other) in busy_until.items():
            if shop_id == run.shop_id and worker != run.worker and end > run.started_at:
                problems.append(
                    f"shop {shop_id}: run {other} ({worker}) and {run.id} ({run.worker})"
                )
        key = (run.shop_id, run.worker)
        if key not in busy_until or busy_until[key][0] < run.finished_at:
            busy_until[key] = (run.finished_at, run.id)
    return problems


@pytest.fixture
def busy_sandbox() -> Iterator[SandboxServer]:
    config = SandboxConfig(
        seed=21,
        shops=5,
        orders=3000,
        history_days=1.0,
        updates_per_hour=600,
        new_orders_per_hour=200,
        mutate_per_page=1,
        mutate_mode="to_now",
        faults="mixed=0.05,delay=2.5,seed=21",
    )
    with SandboxServer(config) as server:
        yield server


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_two_workers_on_postgresql_share_shops_without_overlap(
    settings, busy_sandbox, tmp_path
) -> None:
    rig = make_rig(settings, busy_sandbox, **SYNC)
    try:
        shop_ids = rig.bind_all()
        path = config_file(tmp_path, settings, busy_sandbox)
        workers = [WorkerProcess(path, f"w{n}", tmp_path / f"w{n}.log", poll=0.1) for n in (1, 2)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.wait_started()
        for _ in range(6):  # keep them busy: new changes, every shop due again
            time.sleep(2.0)
            rig.sandbox.advance(90)
            for shop_id in shop_ids:
                request_sync(rig.app, rig.org.system, shop_id)
        for worker in workers:
            assert worker.terminate() == 0, worker.output()
            assert "stopped after" in worker.output()
        with rig.app.tx() as session:
            assert (
                session.scalars(select(Shop.lease_owner).where(Shop.lease_owner.is_not(None))).all()
                == []
            )
            by_worker = Counter(
                session.scalars(select(SyncRun.worker).where(SyncRun.status == "ok"))
            )
        assert set(by_worker) == {"w1", "w2"}, by_worker  # both took part
        assert runs_overlap(rig) == []  # no shop window processed by two at once

        quiet(rig)
        rig.settle()
        for shop_id in shop_ids:
            assert rig.sync(shop_id).status == "ok"
        for owner_id in rig.shop_ids:
            assert mismatches(rig, owner_id) == []
        with rig.app.tx() as session:
            duplicates = session.execute(
                select(Order.shop_id, Order.platform_order_no)
                .group_by(Order.shop_id, Order.platform_order_no)
                .having(func.count() > 1)
            ).all()
        assert duplicates == []
        assert rig.order_count() == len(rig.sandbox.ground_truth())
    finally:
        rig.app.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sigterm_finishes_the_window_releases_the_shop_and_exits(settings, tmp_path) -> None:
    config = SandboxConfig(seed=4, shops=1, orders=6000, history_days=2.0)
    with SandboxServer(config) as server:
        rig = make_rig(settings, server, **SYNC)
        try:
            rig.settle()
            (shop_id,) = rig.bind_all()
            worker = WorkerProcess(
                config_file(tmp_path, settings, server), "calm", tmp_path / "w.log"
            )
            worker.start().wait_started()
            deadline = time.monotonic() + 60
            while not rig.runs(shop_id) and time.monotonic() < deadline:
                time.sleep(0.05)  # wait for the first committed window
            assert worker.terminate(timeout=60) == 0, worker.output()
            log = worker.output()
            assert "SIGTERM received" in log and "stopped after" in log
            shop = rig.shop(shop_id)
            assert shop.lease_owner is None
            assert clock.as_utc(shop.next_sync_at) <= clock.now()  # due again at once
            runs = rig.runs(shop_id)
            assert runs and all(r.status == "ok" for r in runs)
            assert clock.as_utc(shop.sync_cursor) == clock.as_utc(runs[-1].window_end)
            horizon_windows = 2 * 24 * 2
            assert len(runs) < horizon_windows  # it stopped early, not at the end
        finally:
            rig.app.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_worker_loop_syncs_due_shops_and_stops_on_request(settings) -> None:
    config = SandboxConfig(seed=9, shops=2, orders=200, history_days=0.5)
    with SandboxServer(config) as server:
        rig = make_rig(settings, server, **SYNC)
        try:
            rig.settle()
            rig.bind_all()
            worker = Worker(rig.app, "loop", poll_seconds=0.05, control=Control(retry_delay=0.01))
            totals = worker.run(once=True)
            assert totals.passes == 2 and totals.failed == 0 and totals.new == 200
            assert worker.run(once=True).passes == 2  # nothing is due the second time
            worker.control.stop.set()
            assert worker.run().rounds == 2  # a stopped worker does not loop
            for owner_id in rig.shop_ids:
                assert mismatches(rig, owner_id) == []
        finally:
            rig.app.close()


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_one_broken_shop_does_not_stop_the_others(settings) -> None:
    config = SandboxConfig(seed=10, shops=1, orders=50, history_days=0.5)
    with SandboxServer(config) as server:
        rig = make_rig(settings, server, **SYNC)
        try:
            rig.settle()
            (good,) = rig.bind_all()
            with rig.app.tx() as session:
                broken = Shop(
                    org_id=rig.org.org_id,
                    platform="nosuch",
                    platform_shop_id="1",
                    name="旧平台店铺",
                )
                session.add(broken)
                session.flush()
                broken_id = broken.id
            totals = Worker(rig.app, "w", control=Control(retry_delay=0.01)).run(once=True)
            assert (totals.passes, totals.failed) == (2, 1)
            (failed,) = rig.runs(broken_id)
            assert failed.status == "failed" and "unknown platform 'nosuch'" in failed.error
            assert mismatches(rig, rig.sandbox.shops[0].owner_id) == []
            assert rig.shop(good).consecutive_failures == 0
        finally:
            rig.app.close()
