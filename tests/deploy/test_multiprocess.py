"""orderhub as several processes on one PostgreSQL: two `orderhub serve` and two
`orderhub worker` processes, real OS processes, while a client creates print jobs and
shipment confirmations and one worker is SIGKILLed in the middle of both.

All work is done exactly once:
- every label reaches the (loopback, recording) printer once — except the labels the
  killed worker had in flight, which are marked `uncertain` on their job (paused, with the
  reason, for an operator to settle: docs/guide.md "Printing") and arrive at most once;
- every confirmation is applied once by the Pinduoduo sandbox gateway (a repeat after the
  kill is only ever recognised as a repeat: invariant 6);
- the survivor takes over the dead worker's print job at once (same host, pid gone) and its
  outbox rows when their claim runs out; `orderhub status` shows the survivor running, the
  dead one gone.

The client speaks HTTP to both API processes in turn: login on one, the session used on
the other, `POST /v1/shipments/confirm` and `POST /v1/print-jobs` (an Idempotency-Key
retried through the other process makes no second job).

The gateway answers each confirmation slowly (`slow` fault) and the printer reads slowly,
so the kill lands while both kinds of work are in flight.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from core.config import ShipbackSettings
from core.installation import status_report
from core.models import PrintJob, PrintJobItem, ShipmentOutbox, Waybill, WorkerProcess
from plugins.platforms.pinduoduo.sandbox import SandboxConfig, SandboxServer
from tests.conftest import ADMIN_PASSWORD
from tests.deploy.processes import ROOT, Serve, Worker
from tests.printers.doubles.tcp_printer import LoopbackPrinter
from tests.printing import streams
from tests.printing.rig import TEXT_TEMPLATE
from tests.shipback.rig import ShipRig, open_ship_rig
from tests.sync.processes import clean_env, write_config
from tests.waybills.rig import platform_settings

JOBS, LABELS, CONFIRMS = 3, 10, 16
SANDBOX = SandboxConfig(
    seed=15,
    shops=1,
    orders=200,
    history_days=1.0,
    rate_limits=False,
    waybill_quantity=5000,
    faults="slow=1@pdd.logistics.online.send,delay=2",  # each confirmation takes 0.5 s
)
SHIPBACK = ShipbackSettings(lease_seconds=10, batch_size=4, retry_base_seconds=0)
FINAL = ("done", "paused", "failed", "cancelled")


class SlowPrinter(LoopbackPrinter):
    """A loopback 9100 printer that reads 4 KiB every 15 ms with a small receive buffer:
    a few labels a second, so a batch is still printing when a worker is killed."""

    def __init__(self) -> None:
        super().__init__(receive_buffer=4096)

    def _read_size(self) -> int:
        time.sleep(0.015)
        return 4096


def config_file(tmp_path: Path, settings, server: SandboxServer) -> Path:  # type: ignore[no-untyped-def]
    auth = settings.auth
    return write_config(
        tmp_path / "orderhub.toml",
        {
            "data_dir": str(settings.data_dir),
            "database_url": settings.database_url,
            "secret_key": settings.secret_key,
            "log_level": "INFO",
            "plugins": {"only": ["orderhub"]},
            "auth": {
                "argon2_time_cost": auth.argon2_time_cost,
                "argon2_memory_kib": auth.argon2_memory_kib,
                "argon2_parallelism": auth.argon2_parallelism,
            },
            "sync": {"lease_seconds": 10},
            "shipback": {
                "lease_seconds": SHIPBACK.lease_seconds,
                "batch_size": SHIPBACK.batch_size,
                "retry_base_seconds": 0,
            },
            "worker": {"heartbeat_seconds": 1},
            "platforms": {"pinduoduo": platform_settings(server)},
        },
    )


class Client:
    """The merchant's system: talks to both API processes in turn."""

    def __init__(self, rig: ShipRig, serves: list[Serve]) -> None:
        self.rig, self.serves = rig, serves
        login = httpx.post(
            f"{serves[0].base}/v1/auth/login",
            json={"username": "boss", "password": ADMIN_PASSWORD},
            timeout=30,
        )
        assert login.status_code == 200, login.text
        self.headers = {"Authorization": f"Bearer {login.json()['token']}"}

    def orders_through_each_serve(self) -> None:
        for serve in self.serves:  # a session made on one process works on the other
            r = httpx.get(f"{serve.base}/v1/orders?limit=5", headers=self.headers, timeout=30)
            assert r.status_code == 200, r.text

    def create_print_job(self, n: int, numbers: list[str]) -> int:
        body = {"printers": ["gp-1"], "orders": numbers, "template": TEXT_TEMPLATE}
        ids = set()
        for serve in (self.serves[n % 2], self.serves[(n + 1) % 2]):  # a retry elsewhere
            r = httpx.post(
                f"{serve.base}/v1/print-jobs",
                json=body,
                headers={**self.headers, "Idempotency-Key": f"deploy-job-{n}"},
                timeout=60,
            )
            assert r.status_code in (200, 201), r.text
            ids.add(r.json()["id"])
        assert len(ids) == 1  # the retry through the other process made no second job
        return ids.pop()

    def confirm(self, n: int, package_ids: list[int]) -> None:
        r = httpx.post(
            f"{self.serves[n % 2].base}/v1/shipments/confirm",
            json={"package_ids": package_ids},
            headers=self.headers,
            timeout=60,
        )
        assert r.status_code == 200, r.text
        answer = r.json()
        assert sorted(answer["confirmed"]) == sorted(package_ids), answer["refused"]


def holdings(rig: ShipRig) -> dict[str, dict[str, object]]:
    """Per worker id: the print job it holds mid-way (done, total) and its outbox rows."""
    with rig.app.tx() as session:
        owners = dict(session.execute(select(WorkerProcess.print_owner, WorkerProcess.id)).all())
        held: dict[str, dict[str, object]] = {w: {} for w in owners.values()}
        for job_id, owner, done, total in session.execute(
            select(
                PrintJob.id, PrintJob.lease_owner, PrintJob.done_items, PrintJob.total_items
            ).where(PrintJob.status == "running", PrintJob.lease_owner.is_not(None))
        ):
            if owner in owners and 1 <= done < total:
                held[owners[owner]]["job"] = job_id
        for owner, n in session.execute(
            select(ShipmentOutbox.claim_owner, func.count())
            .where(ShipmentOutbox.state == "sending")
            .group_by(ShipmentOutbox.claim_owner)
        ):
            if owner in held:
                held[owner]["rows"] = n
    return held


def choose_victim(rig: ShipRig, workers: dict[str, Worker]) -> tuple[Worker, dict]:
    """The first worker printing a job mid-way — holding outbox rows too, if one does so
    within a few seconds."""
    started = time.monotonic()
    while time.monotonic() - started < 40:
        for worker_id, held in holdings(rig).items():
            both = "job" in held and "rows" in held
            if worker_id in workers and (
                both or ("job" in held and time.monotonic() - started > 6)
            ):
                return workers[worker_id], held
        time.sleep(0.02)
    raise AssertionError("no worker was seen printing a job mid-way")


def wait_until_settled(rig: ShipRig, job_ids: list[int], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with rig.app.tx() as session:
            jobs = session.execute(
                select(PrintJob.status, PrintJob.lease_owner).where(PrintJob.id.in_(job_ids))
            ).all()
            open_rows = session.scalar(select(func.count()).where(ShipmentOutbox.state != "done"))
        if all(s in FINAL and o is None for s, o in jobs) and open_rows == 0:
            return
        time.sleep(0.2)
    raise AssertionError(f"work not finished in {timeout} s: jobs {jobs}, open rows {open_rows}")


def status_json(config: Path) -> dict:
    """`orderhub status --json` as an operator runs it."""
    env = clean_env(config)
    env["PYTHONPATH"] = str(ROOT)
    done = subprocess.run(
        [sys.executable, "-m", "cli.main", "status", "--json"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return json.loads(done.stdout)


def workers_seen(settings) -> dict[str, bool]:  # type: ignore[no-untyped-def]
    """Worker id → running, as `orderhub status` reports it (in this process: quick)."""
    report = status_report(settings)
    assert report.workers is not None
    return {w.id: w.running for w in report.workers.workers}


@pytest.mark.postgres
@pytest.mark.parametrize("database_url", ["postgres"], indirect=True)
def test_two_serves_and_two_workers_do_all_work_once_while_a_worker_is_killed(
    settings, acme, tmp_path
) -> None:
    with SandboxServer(SANDBOX) as server, SlowPrinter() as printer:
        rigs = open_ship_rig(settings, server, acme, SHIPBACK)
        rig = next(rigs)
        processes: list = []
        try:
            config = config_file(tmp_path, settings, server)
            serves = [Serve(config, tmp_path / f"serve-{n}.log") for n in "ab"]
            workers = {w: Worker(config, tmp_path / f"{w}.log", w) for w in ("w1", "w2")}
            processes = [*serves, *workers.values()]
            for process in processes:  # they start while the merchant's data is set up
                process.start()

            rig.text_printer("gp-1", printer.port)
            rig.carrier()
            numbers = rig.order_numbers()
            assert len(numbers) >= JOBS * LABELS + CONFIRMS, len(numbers)
            to_print = numbers[: JOBS * LABELS]
            to_ship = numbers[JOBS * LABELS : JOBS * LABELS + CONFIRMS]
            rig.load_orders(numbers=to_print)
            ship_packages = list(rig.draw(rig.packages(numbers=to_ship)))

            for serve in serves:
                serve.wait_ready()
            for worker in workers.values():
                worker.wait_started()

            client = Client(rig, serves)
            client.orders_through_each_serve()
            job_ids = [
                client.create_print_job(n, to_print[n * LABELS : (n + 1) * LABELS])
                for n in range(JOBS)
            ]
            half = CONFIRMS // 2
            client.confirm(0, ship_packages[:half])
            client.confirm(1, ship_packages[half:])

            victim, held = choose_victim(rig, workers)
            victim.kill()
            survivor = next(w for w in workers.values() if w is not victim)
            wait_until_settled(rig, job_ids)
            assert survivor.alive(), survivor.output()

            # Printing: each label once; the dead worker's labels in flight are uncertain.
            with rig.app.tx() as session:
                items = session.execute(
                    select(PrintJobItem.job_id, PrintJobItem.state, Waybill.number)
                    .join(Waybill, Waybill.id == PrintJobItem.waybill_id)
                    .where(PrintJobItem.job_id.in_(job_ids))
                ).all()
                jobs = {
                    j.id: j
                    for j in session.scalars(select(PrintJob).where(PrintJob.id.in_(job_ids)))
                }
                session.expunge_all()
            received = streams.settle(printer, sum(1 for i in items if i.state == "done"))
            assert len(items) == JOBS * LABELS
            assert max(received.values()) == 1, received.most_common(3)  # never twice
            states = Counter(i.state for i in items)
            assert set(states) <= {"done", "uncertain"}, states
            for item in items:
                if item.state == "done":
                    assert received[item.number] == 1, item
                else:  # reported: on the dead worker's job, which waits for an operator
                    assert item.job_id == held["job"], item
                    job = jobs[item.job_id]
                    assert job.status == "paused" and "may or may not have printed" in job.error
            for job_id, job in jobs.items():
                if job_id != held["job"]:
                    assert (job.status, job.done_items) == ("done", LABELS), job_id
            assert set(received) <= {i.number for i in items}

            # Ship-back: every confirmation applied once by the gateway.
            outbox = rig.outbox()
            assert sorted(outbox) == sorted(to_ship)
            assert {row.state for row in outbox.values()} == {"done"}
            for sn in to_ship:
                sends = rig.sends(sn)
                assert sends.get("applied") == 1 and not sends.get("refused"), (sn, sends)

            # `orderhub status`: the survivor runs, the dead worker is gone.
            deadline = time.monotonic() + 15
            while workers_seen(settings).get(victim.worker_id) and time.monotonic() < deadline:
                time.sleep(0.2)
            status = status_json(config)
            seen = {w["id"]: w["running"] for w in status["workers"]["workers"]}
            assert seen == {victim.worker_id: False, survivor.worker_id: True}
            leases = status["workers"]["leases"]
            held_now = [x for x in leases if x["worker"] == victim.worker_id and not x["expired"]]
            assert [x for x in held_now if x["kind"] != "shop"] == []  # its work was taken over

            assert survivor.stop() == 0, survivor.output()
            assert "stopped after" in survivor.output()
        finally:
            for process in processes:
                process.stop()
            rig.app.close()
