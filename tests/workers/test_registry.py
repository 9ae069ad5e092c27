"""The worker registry and `orderhub status`'s view of workers and leases, on both
backends: a worker is listed while it heartbeats and gone after three missed beats, its
row leaves on a clean stop, and the leases held (shops, print jobs, outbox claims) are
listed with their owners, the worker they belong to and their expiry."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from cli.cmd_status import _print_report
from core.installation import status_report
from core.models import PrintJob, Shop, WorkerProcess
from core.workers.overview import overview
from core.workers.registry import FORGET_AFTER, Registration


def look(app, heartbeat: int = 10):  # type: ignore[no-untyped-def]
    with app.engine.connect() as conn:
        return overview(conn, heartbeat)


def test_a_worker_is_listed_while_it_heartbeats_and_leaves_on_a_clean_stop(
    app, frozen_clock
) -> None:
    started = frozen_clock[0]
    registration = Registration(
        app,
        "w1",
        ["sync", "audit", "alerts", "print"],
        printers=["gp-1"],
        print_owner="host:1:abc",
        heartbeat_seconds=3600,  # beats by hand below
    ).start()
    try:
        [w] = look(app).workers
        assert (w.id, w.passes, w.printers, w.running) == (
            "w1",
            ["sync", "audit", "alerts", "print"],
            ["gp-1"],
            True,
        )
        assert w.started_at == started and w.version

        frozen_clock[0] = started + timedelta(seconds=31)  # three beats of 10 s missed
        assert [x.running for x in look(app).workers] == [False]
        assert registration.beat() is True
        [w] = look(app).workers
        assert (w.running, w.last_seen_at) == (True, frozen_clock[0])
    finally:
        registration.stop()
    assert look(app).workers == []


def test_a_dead_workers_row_is_shown_gone_then_forgotten(app, frozen_clock) -> None:
    Registration(app, "dead", ["sync"], heartbeat_seconds=3600).start()  # never stopped
    frozen_clock[0] += FORGET_AFTER + timedelta(seconds=1)
    assert [(w.id, w.running) for w in look(app).workers] == [("dead", False)]
    alive = Registration(app, "alive", ["sync"], heartbeat_seconds=3600).start()
    try:
        assert [w.id for w in look(app).workers] == ["alive"]
    finally:
        alive.stop()


def test_leases_are_listed_with_owner_worker_and_expiry(app, acme, frozen_clock) -> None:
    now = frozen_clock[0]
    with app.tx() as session:
        shop = Shop(org_id=acme.org_id, platform="pinduoduo", platform_shop_id="9", name="旗舰店")
        job = PrintJob(org_id=acme.org_id, kind="label", status="running", total_items=10)
        stale = PrintJob(org_id=acme.org_id, kind="label", status="running", total_items=3)
        session.add_all([shop, job, stale])
        session.flush()
        shop_id, job_id, stale_id = shop.id, job.id, stale.id
    with app.tx() as session:
        session.execute(
            update(Shop)
            .where(Shop.id == shop_id)
            .values(lease_owner="w1", lease_expires_at=now + timedelta(seconds=120))
        )
        session.execute(
            update(PrintJob)
            .where(PrintJob.id == job_id)
            .values(
                lease_owner="host:1:abc",
                lease_expires_at=now + timedelta(seconds=180),
                done_items=4,
            )
        )
        session.execute(
            update(PrintJob)
            .where(PrintJob.id == stale_id)
            .values(lease_owner="host:2:dead", lease_expires_at=now - timedelta(seconds=5))
        )
    registration = Registration(
        app, "w1", ["sync", "print"], print_owner="host:1:abc", heartbeat_seconds=3600
    ).start()
    try:
        seen = look(app)
        assert seen.counts == {"shop": 1, "print_job": 2, "outbox": 0}
        leases = {(x.kind, x.target): x for x in seen.leases}
        held = leases[("shop", f"shop {shop_id} 旗舰店")]
        assert (held.owner, held.worker, held.expired) == ("w1", "w1", False)
        assert held.expires_at == now + timedelta(seconds=120)
        printing = leases[("print_job", f"print job {job_id} (running, 4/10)")]
        assert (printing.owner, printing.worker, printing.expired) == ("host:1:abc", "w1", False)
        orphan = leases[("print_job", f"print job {stale_id} (running, 0/3)")]
        assert (orphan.owner, orphan.worker, orphan.expired) == ("host:2:dead", None, True)
        assert seen.as_dict()["leases"][0]["expires_at"].endswith("+00:00")
    finally:
        registration.stop()


def test_status_shows_the_running_workers_and_their_leases(
    app, settings, frozen_clock, capsys
) -> None:
    registration = Registration(app, "w1", ["sync", "shipback", "print"], heartbeat_seconds=3600)
    registration.start()
    try:
        report = status_report(settings)
        data = report.as_dict()
        assert [w["id"] for w in data["workers"]["workers"]] == ["w1"]
        assert data["workers"]["counts"] == {"shop": 0, "print_job": 0, "outbox": 0}
        _print_report(report)
        out = capsys.readouterr().out
        assert "workers:   1 running" in out
        assert "w1  pid" in out and "sync, shipback, print" in out
        assert "leases:    0 shop(s), 0 print job(s), 0 outbox row(s)" in out
    finally:
        registration.stop()
    with app.tx() as session:
        assert session.scalars(select(WorkerProcess.id)).all() == []
