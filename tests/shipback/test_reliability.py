"""Invariant 6 under fire: two real `orderhub worker` processes on PostgreSQL drain the
outbox while the sandbox is down for a while, then flaky (HTTP errors, throttling, slow
answers, answers lost after the platform applied the call, cut answers), and one worker
is SIGKILLed several times and started again (under its id, taking its claims back; the
last time under a new id, so its claims run out and the other worker takes them).

Afterwards, by the sandbox's own per-order counts of `pdd.logistics.online.send`: every
confirmed order was applied exactly once, with our tracking number and logistics id, and
every further call it saw was a repeat recognised as already shipped (or refused before
anything changed); no row is lost or left open; orders refunded after the confirm were
held, never sent.
"""

from __future__ import annotations

import os
import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import update

from core.config import Settings, ShipbackSettings
from core.models import Shop
from plugins.platforms.pinduoduo.sandbox import SandboxConfig, SandboxServer
from tests.conftest import OrgFixture
from tests.shipback.rig import ShipRig, open_ship_rig
from tests.sync.processes import WorkerProcess, write_config

ORDERS = 120
REFUNDED = 8
KILLS = 4
SHIPBACK = ShipbackSettings(
    lease_seconds=10, batch_size=15, retry_base_seconds=1, retry_max_seconds=4
)
CLIENT = {
    "connect_timeout": 1,
    "read_timeout": 1.0,
    "max_attempts": 2,
    "backoff_base": 0.05,
    "backoff_max": 0.2,
    "rate_limit_enabled": False,
}
SEND = "pdd.logistics.online.send"


@pytest.fixture
def big_sandbox() -> Iterator[SandboxServer]:
    config = SandboxConfig(
        seed=12, orders=400, history_days=1.0, rate_limits=False, waybill_quantity=2000
    )
    with SandboxServer(config) as server:
        yield server


def config_file(tmp_path: Path, rig: ShipRig, settings: Settings) -> Path:
    return write_config(
        tmp_path / "orderhub.toml",
        {
            "data_dir": str(settings.data_dir),
            "database_url": settings.database_url,
            "secret_key": settings.secret_key,
            "log_level": "INFO",
            "plugins": {"only": ["orderhub"]},
            "shipback": {
                "lease_seconds": SHIPBACK.lease_seconds,
                "batch_size": SHIPBACK.batch_size,
                "retry_base_seconds": SHIPBACK.retry_base_seconds,
                "retry_max_seconds": SHIPBACK.retry_max_seconds,
            },
            "platforms": {"pinduoduo": {**rig.server.client_settings(), **CLIENT}},
        },
    )


@pytest.mark.slow
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_two_workers_killed_and_a_flaky_platform_confirm_each_order_once(
    settings: Settings, big_sandbox: SandboxServer, acme: OrgFixture, tmp_path: Path
) -> None:
    seed = int(os.environ.get("ORDERHUB_CHAOS_SEED") or random.randrange(1_000_000))
    dice = random.Random(seed)
    print(f"chaos seed {seed} (ORDERHUB_CHAOS_SEED={seed} repeats this run)")
    for rig in open_ship_rig(settings, big_sandbox, acme, SHIPBACK, **CLIENT):
        numbers = rig.ready(ORDERS)
        assert len(rig.confirm(list(numbers)).confirmed) == ORDERS
        orders = dict(zip(rig.numbers_of(list(numbers)), numbers.values(), strict=True))
        refunded = set(dice.sample(sorted(orders), REFUNDED))
        for sn in refunded:  # the buyer asks for a refund after the confirm
            rig.sandbox.refund(sn, dice.choice((2, 3, 4)))
        with rig.app.tx() as session:  # this test is about ship-back, not order sync
            session.execute(update(Shop).values(sync_enabled=False))
        logistics_id = int(rig.carrier().logistics_company_id)

        path = config_file(tmp_path, rig, settings)
        workers = [WorkerProcess(path, f"w{n}", tmp_path / f"w{n}.log", poll=0.2) for n in (1, 2)]
        big_sandbox.stop()  # the platform is down when the workers start
        for worker in workers:
            worker.start().wait_started()
        time.sleep(3.0)
        assert _open_rows(rig) == ORDERS  # nothing went anywhere, nothing was lost
        big_sandbox.start()
        rig.sandbox.set_faults(
            f"500=0.04,503=0.04,52101=0.04,70031=0.03,malformed=0.03,slow=0.06,"
            f"timeout=0.12@{SEND},delay=1.6,seed={seed % 1000}"
        )
        for kill in range(KILLS):
            time.sleep(dice.uniform(1.0, 3.0))
            victim = workers[kill % 2]
            victim.kill()
            print(f"kill {kill}: {victim.worker_id}, {_open_rows(rig)} row(s) open")
            if kill == KILLS - 1:  # a new id: its claims must run out, the other takes them
                victim = WorkerProcess(path, "w9", tmp_path / "w9.log", poll=0.2)
                workers[kill % 2] = victim
            victim.start().wait_started()

        faults = rig.sandbox.faults.report()["counts"]  # (reset by the next line)
        rig.sandbox.set_faults("")  # the platform settles
        deadline = time.monotonic() + 180
        while _open_rows(rig) and time.monotonic() < deadline:
            time.sleep(0.5)
        for worker in workers:
            assert worker.terminate() == 0, worker.output()
        assert _open_rows(rig) == 0, "rows left open"

        rows = rig.outbox()
        assert set(rows) == set(orders)  # none lost, none extra
        counts = rig.sandbox.shipments()
        repeats = 0
        for sn, number in orders.items():
            row, sent = rows[sn], counts.get(sn, {})
            if sn in refunded:
                assert (row.state, row.last_error_class) == ("held", "refund"), sn
                assert sent.get("applied", 0) == 0 and rig.platform_order(sn)["order_status"] == 1
                continue
            assert row.state == "done", (sn, row.state, row.last_error)
            assert sent.get("applied") == 1, (sn, sent)  # exactly once
            assert sent["calls"] == 1 + sent.get("repeat", 0) + sent.get("refused", 0), sent
            wire = rig.platform_order(sn)
            assert (wire["tracking_number"], wire["logistics_id"]) == (number, logistics_id)
            repeats += sent.get("repeat", 0)
        print(f"faults {faults}; repeats {repeats}; outcomes {_outcomes(rows)}")
        assert faults.get("timeout", 0) >= 1 and repeats >= 1  # lost answers were met
        assert max(r.attempts for r in rows.values()) > 1
        assert len(rig.alerts("shipback.held")) >= 1


def _open_rows(rig: ShipRig) -> int:
    return sum(r.state in ("pending", "sending") for r in rig.outbox().values())


def _outcomes(rows) -> dict[str, int]:  # type: ignore[no-untyped-def]
    found: dict[str, int] = {}
    for row in rows.values():
        key = f"{row.state}/{row.outcome}" if row.outcome else row.state
        found[key] = found.get(key, 0) + 1
    return found
