"""Chaos: a real `orderhub worker` process, SIGKILLed at random moments and restarted,
against a sandbox injecting 20 % mixed faults while its orders keep changing.

Checked after every kill, while no worker runs — the invariant-2 check: for each shop
with cursor C, every sandbox order whose latest update is older than C is stored in
exactly that state. The sandbox stamps every change with its own clock at the moment it
happens (background activity, orders moved while a page is read), and a window is only
read once its end is three minutes behind that clock, so an order last changed before
C had that state when its window was read; had the cursor passed a window whose orders
were not committed, some such order would be missing or stale. Cursors must also never
move back. At the end (faults off, one more sync) every order is stored once, latest.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import time
from datetime import datetime
from pathlib import Path

import pytest
from sqlalchemy import select

from core import clock
from core.config import PluginSettings, Settings
from core.models import Shop, SyncRun
from core.sync.scheduler import request_sync
from plugins.platforms.pinduoduo.sandbox import SandboxConfig, SandboxServer
from tests.conftest import TEST_KEY
from tests.sync.processes import WorkerProcess, clean_env, orderhub_command, write_config
from tests.sync.rig import CLIENT_KNOBS, make_rig, mismatches, quiet, stale_before
from tests.sync.test_workers import overlapping

KILLS = 22
# Reader processes from the second window on: every kill lands on a parallel pass too.
SYNC = {
    "initial_days": 2,
    "lease_seconds": 30,
    "overlap_seconds": 300,
    "read_processes": 2,
    "parallel_min_windows": 2,
}
CHAOS_CLIENT = {**CLIENT_KNOBS, "read_timeout": 1.0, "max_attempts": 4}


def chaos_settings(tmp_path: Path, template: Path) -> Settings:
    database = tmp_path / "chaos.db"
    shutil.copyfile(template, database)
    return Settings(
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{database}",
        secret_key=TEST_KEY,
        plugins=PluginSettings(only=("orderhub",)),
        source="tests",
    )


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
            "platforms": {"pinduoduo": {**server.client_settings(), **CHAOS_CLIENT}},
        },
    )


def cursors(app) -> dict[int, datetime | None]:
    with app.tx() as session:
        return {
            s.id: clock.as_utc(s.sync_cursor) if s.sync_cursor else None
            for s in session.scalars(select(Shop))
        }


@pytest.mark.slow
def test_worker_killed_at_random_moments_loses_nothing(tmp_path, sqlite_template) -> None:
    seed = int(os.environ.get("ORDERHUB_CHAOS_SEED") or random.randrange(1_000_000))
    dice = random.Random(seed)
    print(f"chaos seed {seed} (ORDERHUB_CHAOS_SEED={seed} repeats this run)")
    config = SandboxConfig(
        seed=seed % 1000,
        shops=2,
        orders=4000,
        history_days=1.0,
        updates_per_hour=900,
        new_orders_per_hour=300,
        mutate_per_page=1,
        mutate_mode="to_now",
    )
    settings = chaos_settings(tmp_path, sqlite_template)
    with SandboxServer(config) as server:
        rig = make_rig(settings, server, **SYNC)
        try:
            # Bound before the faults start: an authorisation code works once, so a token
            # exchange whose answer is lost cannot be retried (the merchant authorises
            # again) — a binding failure, not what this test is about.
            shop_ids = rig.bind_all()
            rig.sandbox.set_faults(f"mixed=0.2,delay=2.5,seed={seed}")
            path = config_file(tmp_path, settings, server)
            worker = WorkerProcess(path, "chaos", tmp_path / "worker.log", poll=0.2)
            seen = cursors(rig.app)
            moved = readers_seen = 0
            for kill in range(KILLS):
                for shop_id in shop_ids:
                    request_sync(rig.app, rig.org.system, shop_id)
                rig.sandbox.advance(dice.randint(20, 240))  # the platform keeps changing
                t0 = time.monotonic()
                worker.start().wait_started()
                t1 = time.monotonic()
                clock_before = cursors(rig.app)
                time.sleep(dice.uniform(0.2, 2.0))
                children, orphans = worker.kill_with_children()
                assert orphans == set(), f"kill {kill}: processes outlived the worker: {orphans}"
                readers_seen += len(children)
                now = cursors(rig.app)
                for shop_id, cursor in now.items():
                    before = seen.get(shop_id)
                    assert before is None or (cursor is not None and cursor >= before), (
                        f"kill {kill}: shop {shop_id} cursor moved back {before} → {cursor}"
                    )
                    if cursor is not None:
                        owner = next(o for o, s in rig.shop_ids.items() if s == shop_id)
                        problems = stale_before(rig, owner, cursor)
                        assert problems == [], f"kill {kill} (seed {seed}): {problems[:5]}"
                    moved += clock_before.get(shop_id) != cursor
                seen = now
                print(
                    f"kill {kill}: start {t1 - t0:.1f}s, check {time.monotonic() - t1:.1f}s, {now}"
                )
            assert moved >= KILLS // 3, "many kills should land while windows are committed"
            assert readers_seen > 0, "no kill landed while reader processes ran"
            faults = rig.sandbox.faults.report()["counts"]
            # Enough faults to matter: 22 short lives (each spawning its reader processes) on a
            # busy 2-CPU machine make ~150-300 gateway calls, a fifth of them faulty.
            assert faults.get("total", 0) >= 25, faults

            # Calm returns: no faults, no movement; one more sync settles everything.
            quiet(rig)
            rig.settle()
            _wait_for_leases_to_lapse(rig.app)  # the last killed worker may hold one
            done = _run_cli(path, "sync")
            assert done.returncode == 0, done.stdout + done.stderr
            for owner in rig.shop_ids:
                assert mismatches(rig, owner) == []
            assert rig.order_count() == len(rig.sandbox.ground_truth())
            _check_runs(rig.app)
        finally:
            rig.app.close()


def _wait_for_leases_to_lapse(app) -> None:
    """A SIGKILLed worker cannot release its lease: it lapses after `lease_seconds`."""
    deadline = time.monotonic() + SYNC["lease_seconds"] + 10
    while time.monotonic() < deadline:
        with app.tx() as session:
            held = [
                s.id
                for s in session.scalars(select(Shop))
                if s.lease_expires_at is not None and clock.as_utc(s.lease_expires_at) > clock.now()
            ]
        if not held:
            return
        time.sleep(0.5)
    raise AssertionError(f"leases of shops {held} did not lapse")


def _check_runs(app) -> None:
    """Runs of different worker lives never overlap on a shop, and the cursor is the end
    of the latest committed window."""
    with app.tx() as session:
        runs = session.scalars(select(SyncRun)).all()
        assert overlapping(runs) == []
        for shop in session.scalars(select(Shop)):
            ok = [r for r in runs if r.shop_id == shop.id and r.status == "ok"]
            assert clock.as_utc(shop.sync_cursor) == max(clock.as_utc(r.window_end) for r in ok)


def _run_cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*orderhub_command(), *args],
        env=clean_env(config),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
