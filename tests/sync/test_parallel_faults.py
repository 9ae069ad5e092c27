"""A parallel pass (reader processes) under faults: a token that expires again and again in
one pass is refreshed each time, and a pass that fails — its token expired and cannot be
refreshed, the gateway fails every call, its readers die — ends within seconds, every
time, leaving no reader process, thread or semaphore behind."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from multiprocessing import resource_tracker
from pathlib import Path

import pytest
from sqlalchemy import func, select

from core import clock
from core.config import PluginSettings, Settings
from core.models import AuditEvent
from core.shops.tokens import refresh_tokens
from core.sync.engine import WindowReport
from core.sync.scheduler import Control
from plugins.platforms.pinduoduo.sandbox import SandboxConfig, SandboxServer
from tests.conftest import TEST_KEY
from tests.sync.processes import child_pids, clean_env, orderhub_command, write_config
from tests.sync.rig import Rig, make_rig, mismatches, platform_settings

REFRESH = "pdd.pop.auth.token.refresh"
PARALLEL = {"read_processes": 2, "parallel_min_windows": 2}


@pytest.fixture
def rig(settings) -> Iterator[Rig]:
    config = SandboxConfig(seed=29, shops=1, orders=1500, history_days=5.0)
    with SandboxServer(config) as server:
        built = make_rig(settings, server, initial_days=6, **PARALLEL)
        yield built
        built.app.close()


def refreshes(rig: Rig) -> int:
    with rig.app.tx() as session:
        return session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "shop.token_refresh")
        )


def test_a_token_expiring_again_and_again_in_one_pass_is_refreshed_each_time(rig: Rig) -> None:
    """Each reader process holds the token it was given; one refreshes it (which revokes
    the old one), the others then meet a revoked token, and later the new one expires too:
    none of that may fail the pass."""
    rig.settle()
    owner_id = rig.sandbox.shops[0].owner_id
    shop_id = rig.bind(owner_id)
    rig.sandbox.set_faults("token_expiry=40")  # every token dies after 40 calls with it
    report = rig.sync(shop_id)
    assert report.status == "ok", report.error
    assert not report.more and len(report.windows) > 100
    assert rig.sandbox.faults.counts["token_expiry"] >= 2 and refreshes(rig) >= 2
    assert rig.shop(shop_id).status == "active"
    rig.sandbox.set_faults("")
    assert mismatches(rig, owner_id) == []
    assert multiprocessing.active_children() == []


#: A failing pass must end within this (generous: a slow, shared 2-CPU machine starts
#: each reader process in a second or two; a hang is minutes).
PASS_BOUND = 30.0
PASSES = 3


def fail_mid_pass(rig: Rig, shop_id: int, how: str) -> str:
    """One pass over the shop's last days (a backfill: as many windows every time) whose
    platform goes wrong `how` once the pass is under way: its status and error, or what it
    raised. Fails the test when the pass has not ended within `PASS_BOUND`."""
    owner_id = rig.sandbox.shops[0].owner_id
    rig.sandbox.set_faults("")
    token = rig.shop(shop_id).credentials["access_token"]
    refresh_tokens(rig.app, shop_id, stale_token=token)  # a live token to start with
    platform_now = clock.now() + timedelta(seconds=rig.sandbox.clock.offset)
    written: list[WindowReport] = []

    def on_window(done: WindowReport) -> None:
        written.append(done)
        if len(written) == 3 and how == "token":  # expires, and refreshing it fails
            rig.sandbox.set_faults(f"500=1.0@{REFRESH}")
            rig.sandbox.expire_tokens(owner_id=owner_id)
        elif len(written) == 3:  # the gateway fails every call from now on
            rig.sandbox.set_faults("500=1.0")

    outcome: list[object] = []

    def run() -> None:
        try:
            report = rig.sync(
                shop_id,
                Control(retry_delay=0.01, on_window=on_window),
                since=platform_now - timedelta(days=4),
                until=platform_now - timedelta(minutes=10),
            )
            outcome.append(f"{report.status}: {report.error}")
        except BaseException as exc:  # a clear error is an acceptable end too
            outcome.append(f"raised {exc!r}")

    began = time.monotonic()
    thread = threading.Thread(target=run, name="test-pass", daemon=True)
    thread.start()
    thread.join(PASS_BOUND)
    took = time.monotonic() - began
    assert not thread.is_alive(), f"a failing pass ({how}) still runs after {took:.0f} s"
    return str(outcome[0])


def running(pid: int) -> bool:
    """Alive and not a zombie."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def cpu_ticks(processes: list[multiprocessing.process.BaseProcess]) -> int:
    """CPU time the processes used so far, in clock ticks (Linux /proc)."""
    total = 0
    for process in processes:
        try:
            fields = Path(f"/proc/{process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total


def leftovers() -> list[str]:
    """Reader processes, their threads and the pool's manager thread still around."""
    children = [f"process {p.pid} {p.name}" for p in multiprocessing.active_children()]
    tracker = resource_tracker._resource_tracker._pid  # lives as long as this process
    children += [
        f"process {pid}" for pid in child_pids(os.getpid()) if pid != tracker and running(pid)
    ]
    threads = [
        f"thread {t.name}"
        for t in threading.enumerate()
        if t.name.startswith("sync-") or type(t).__name__ == "_ExecutorManagerThread"
    ]
    return children + threads


@pytest.mark.parametrize("how", ["token", "outage"])
def test_a_failing_parallel_pass_ends_promptly_and_leaves_nothing_running(
    rig: Rig, how: str
) -> None:
    rig.settle()
    shop_id = rig.bind(rig.sandbox.shops[0].owner_id)
    for attempt in range(PASSES):
        outcome = fail_mid_pass(rig, shop_id, how)
        assert outcome.startswith("failed: ") and "HTTP 500" in outcome, outcome
        deadline = time.monotonic() + 10  # close() waits for its processes and threads
        while leftovers() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert leftovers() == [], f"pass {attempt + 1} ({how}) left {leftovers()}"
    assert rig.shop(shop_id).status == "active"  # an outage is no reason to re-authorise


def test_orderhub_sync_exits_promptly_after_a_failed_parallel_pass(
    tmp_path, sqlite_template
) -> None:
    """The command itself, as an operator runs it: a pass whose token expires and cannot
    be refreshed fails, and the process exits at once, warning of no leaked semaphore."""
    database = tmp_path / "cli.db"
    shutil.copyfile(sqlite_template, database)
    settings = Settings(
        data_dir=tmp_path / "data",
        database_url=f"sqlite:///{database}",
        secret_key=TEST_KEY,
        plugins=PluginSettings(only=("orderhub",)),
        source="tests",
    )
    config = SandboxConfig(seed=29, shops=1, orders=1500, history_days=5.0)
    with SandboxServer(config) as server:
        rig = make_rig(settings, server, initial_days=6, **PARALLEL)
        try:
            rig.settle()
            shop_id = rig.bind(rig.sandbox.shops[0].owner_id)
            path = write_config(
                tmp_path / "orderhub.toml",
                {
                    "data_dir": str(settings.data_dir),
                    "database_url": settings.database_url,
                    "secret_key": settings.secret_key,
                    "plugins": {"only": ["orderhub"]},
                    "sync": {"initial_days": 6, **PARALLEL},
                    "platforms": {"pinduoduo": platform_settings(server)},
                },
            )
            for attempt in range(2):
                rig.sandbox.set_faults("")
                token = rig.shop(shop_id).credentials["access_token"]
                refresh_tokens(rig.app, shop_id, stale_token=token)
                rig.sandbox.set_faults(f"token_expiry=120,500=1.0@{REFRESH}")
                began = time.monotonic()
                done = subprocess.run(
                    [*orderhub_command(), "sync", "--shop", str(shop_id)],
                    env=clean_env(path),
                    capture_output=True,
                    text=True,
                    timeout=PASS_BOUND + 30,  # start-up and the app's opening included
                )
                took = time.monotonic() - began
                output = done.stdout + done.stderr
                assert done.returncode != 0 and "HTTP 500" in output, output
                assert "leaked" not in output and "Traceback" not in output, output
                assert took < PASS_BOUND + 30, f"attempt {attempt + 1} took {took:.0f} s"
        finally:
            rig.app.close()


def test_reader_processes_killed_while_windows_wait_fail_the_pass_promptly(rig: Rig) -> None:
    """The readers read ahead and wait; then they die (out of memory, killed): the pass
    stores what they had read and fails on the next window, instead of waiting for ever
    for a window no reader can read."""
    rig.settle()
    shop_id = rig.bind(rig.sandbox.shops[0].owner_id)
    killed: list[int] = []

    def on_window(done: WindowReport) -> None:
        if killed or not multiprocessing.active_children():
            return
        # This writer stalls: the read-ahead fills up, and the readers, once started,
        # go idle waiting for it. Then they die.
        readers = multiprocessing.active_children()
        idle_since, last = time.monotonic(), cpu_ticks(readers)
        deadline = time.monotonic() + PASS_BOUND / 2
        while time.monotonic() - idle_since < 1.0 and time.monotonic() < deadline:
            time.sleep(0.2)
            ticks = cpu_ticks(readers)
            if ticks != last:
                idle_since, last = time.monotonic(), ticks
        for process in readers:
            killed.append(process.pid)
            os.kill(process.pid, signal.SIGKILL)
        time.sleep(0.5)  # the pool notices

    outcome: list[object] = []

    def run() -> None:
        outcome.append(rig.sync(shop_id, Control(retry_delay=0.01, on_window=on_window)))

    thread = threading.Thread(target=run, name="test-pass", daemon=True)
    thread.start()
    thread.join(PASS_BOUND)
    assert not thread.is_alive(), "the pass still waits for windows its dead readers took"
    report = outcome[0]
    assert killed and report.status == "failed", report
    assert "sync reader process stopped unexpectedly" in report.error, report.error
    assert leftovers() == []
