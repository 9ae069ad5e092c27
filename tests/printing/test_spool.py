"""Print spooling by workers (`core.printing.spool.PrintPass`), on both backends: a queued
job nobody runs is printed by a worker, once; a worker takes only jobs on printers it
serves (not USB by default); a job whose runner died is taken over — its labels in flight
become uncertain, the rest print once; a stopping worker hands its job back `queued` and
the next worker finishes it; a job its creator is about to run is left alone."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from core import clock
from core.models import PrintJob, PrintJobItem
from core.printing import lease as leases
from core.printing.history import job_items
from core.printing.jobs import create_job
from core.printing.runner import run_job
from core.printing.spool import PrintPass, served_printer_ids
from core.printing.states import Step, step
from tests.printing import streams
from tests.printing.rig import TEXT_TEMPLATE


@pytest.fixture
def job(rig, listener):  # type: ignore[no-untyped-def]
    rig.text_printer("gp-1", listener.port)
    rig.account("YTO")
    return create_job(
        rig.app, rig.org.admin, rig.load_orders(count=6), ["gp-1"], template=TEXT_TEMPLATE
    )


def job_row(rig, job_id: int) -> PrintJob:  # type: ignore[no-untyped-def]
    with rig.app.tx() as session:
        row = session.get(PrintJob, job_id)
        session.expunge(row)
        return row


def run_pass(spool: PrintPass) -> None:
    spool()
    spool.wait(60)


def test_a_queued_job_is_printed_by_a_worker_once(rig, listener, job) -> None:
    spool = PrintPass(rig.app, "host-a:1")
    run_pass(spool)
    [result] = spool.results
    assert (result.job_id, result.status, result.sent, result.done) == (job.job_id, "done", 6, 6)
    assert set(streams.settle(listener, 6).values()) == {1}
    row = job_row(rig, job.job_id)
    assert (row.status, row.lease_owner, row.done_items) == ("done", None, 6)
    run_pass(spool)  # nothing left to take
    assert len(spool.results) == 1
    assert len(streams.settle(listener, 6)) == 6


def test_a_worker_takes_only_jobs_on_printers_it_serves(rig, listener, job) -> None:
    usb = rig.printer("desk-usb", "usb", "tspl")
    default = served_printer_ids(rig.app, ())
    assert default is not None and usb.id not in default  # USB is local to one PC
    assert usb.id in served_printer_ids(rig.app, ("desk-usb",))
    assert served_printer_ids(rig.app, ("*",)) is None

    elsewhere = PrintPass(rig.app, "host-b:1", printers=["desk-usb"])
    run_pass(elsewhere)
    assert elsewhere.results == [] and job_row(rig, job.job_id).status == "queued"

    by_name = PrintPass(rig.app, "host-c:1", printers=["gp-1"])
    run_pass(by_name)
    assert [r.status for r in by_name.results] == ["done"]
    assert set(streams.settle(listener, 6).values()) == {1}


def test_a_job_its_creator_runs_is_not_taken_by_a_worker(rig, listener) -> None:
    rig.text_printer("gp-1", listener.port)
    rig.account("YTO")
    runner = leases.new_owner()
    job = create_job(
        rig.app,
        rig.org.admin,
        rig.load_orders(count=3),
        ["gp-1"],
        template=TEXT_TEMPLATE,
        runner=runner,
    )
    spool = PrintPass(rig.app, "host-a:1")
    run_pass(spool)
    assert spool.results == []
    assert run_job(rig.app, rig.org.admin, job.job_id, owner=runner).sent == 3
    assert set(streams.settle(listener, 3).values()) == {1}


def test_a_dead_workers_job_is_taken_over_after_its_lease(rig, listener, job, frozen_clock) -> None:
    frozen_clock[0] = clock.now().replace(microsecond=0)
    dead = leases.claim(rig.app, rig.org.org_id, job.job_id, "elsewhere:4242:aa", seconds=60)
    with rig.app.engine.begin() as conn:  # it started label 1, then died
        (first,) = conn.execute(
            select(PrintJobItem.id).where(
                PrintJobItem.job_id == job.job_id, PrintJobItem.position == 1
            )
        ).one()
        conn.execute(update(PrintJob).where(PrintJob.id == job.job_id).values(status="running"))
        assert step(conn, dead, Step(start=[first])).started == (first,)

    spool = PrintPass(rig.app, "host-a:1")
    run_pass(spool)
    assert spool.results == []  # the lease is live: nobody else may print

    frozen_clock[0] += timedelta(seconds=61)
    run_pass(spool)
    [result] = spool.results
    assert (result.status, result.sent, result.uncertain) == ("paused", 5, 1)
    assert "may or may not have printed" in result.error  # reported for an operator
    states = [i.state for i in job_items(rig.app, rig.org.admin, job.job_id)]
    assert states == ["uncertain"] + ["done"] * 5
    assert len(streams.settle(listener, 5)) == 5


def test_a_killed_worker_of_this_host_is_taken_over_at_once(rig, listener, job) -> None:
    gone = leases.new_owner().split(":")
    gone[1] = "999999999"  # no such pid on this host
    holder = ":".join(gone)
    leases.claim(rig.app, rig.org.org_id, job.job_id, holder)
    with rig.app.engine.begin() as conn:
        conn.execute(update(PrintJob).where(PrintJob.id == job.job_id).values(status="running"))
    spool = PrintPass(rig.app, "host-a:1")
    run_pass(spool)
    assert [(r.status, r.sent) for r in spool.results] == [("done", 6)]
    assert set(streams.settle(listener, 6).values()) == {1}


def test_a_stopping_worker_hands_its_job_back_and_the_next_finishes_it(rig, listener, job) -> None:
    two_done = threading.Event()

    def progressed(event) -> None:  # type: ignore[no-untyped-def]
        if event.item_state == "done" and event.done >= 2:
            two_done.set()
            first.hand_back.set()  # what `close` does, at a known point

    first = PrintPass(rig.app, "host-a:1", on_progress=progressed)
    first()
    assert two_done.wait(30)
    first.close()
    [handed] = first.results
    assert handed.status == "queued" and 2 <= handed.done < 6
    row = job_row(rig, job.job_id)
    assert (row.status, row.lease_owner) == ("queued", None)

    second = PrintPass(rig.app, "host-b:1")
    run_pass(second)
    [finished] = second.results
    assert (finished.status, finished.done, finished.sent) == ("done", 6, 6 - handed.done)
    assert set(streams.settle(listener, 6).values()) == {1}  # every label exactly once
