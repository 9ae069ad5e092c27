"""Leases on both backends: two runners never send the same item. A live runner's job is
refused to others; an expired or dead runner's job is taken over (its in-flight label
becomes uncertain) and the old runner's writes are fenced off; operators pause and cancel
a running job between labels."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from core import clock
from core.errors import Conflict, ValidationError
from core.models import PrintJob, PrintJobItem
from core.printing import lease as leases
from core.printing.history import job_items
from core.printing.jobs import create_job
from core.printing.runner import cancel_job, pause_job, run_job
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


def test_a_job_held_by_a_live_runner_is_refused_to_another(rig, job) -> None:
    holder = "elsewhere:4242:aa"
    leases.claim(rig.app, rig.org.org_id, job.job_id, holder)
    with pytest.raises(Conflict, match="is being printed by runner elsewhere:4242:aa"):
        run_job(rig.app, rig.org.admin, job.job_id)
    assert {i.state for i in job_items(rig.app, rig.org.admin, job.job_id)} == {"queued"}


def test_an_expired_lease_is_taken_over_and_the_old_runner_is_fenced_off(
    rig, listener, job, frozen_clock
) -> None:
    frozen_clock[0] = clock.now().replace(microsecond=0)
    stale = leases.claim(rig.app, rig.org.org_id, job.job_id, "elsewhere:4242:aa", seconds=30)
    with rig.app.engine.begin() as conn:  # the old runner starts item 1, then stalls
        (first,) = conn.execute(
            select(PrintJobItem.id).where(
                PrintJobItem.job_id == job.job_id, PrintJobItem.position == 1
            )
        ).one()
        conn.execute(update(PrintJob).where(PrintJob.id == job.job_id).values(status="running"))
        assert step(conn, stale, Step(start=[first])).started == (first,)
    frozen_clock[0] += timedelta(seconds=31)
    result = run_job(rig.app, rig.org.admin, job.job_id)
    assert (result.status, result.sent, result.uncertain) == ("paused", 5, 1)
    with pytest.raises(leases.LeaseLost), rig.app.engine.begin() as conn:
        step(conn, stale, Step(done=[first]))  # the stalled runner wakes up: refused
    states = [i.state for i in job_items(rig.app, rig.org.admin, job.job_id)]
    assert states == ["uncertain"] + ["done"] * 5


def test_two_runners_racing_for_one_job_send_each_label_once(rig, listener, job) -> None:
    results, errors = [], []
    barrier = threading.Barrier(2)

    def runner() -> None:
        barrier.wait()
        try:
            results.append(run_job(rig.app, rig.org.admin, job.job_id))
        except Conflict as exc:
            errors.append(exc)

    threads = [threading.Thread(target=runner) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sent = sum(r.sent for r in results)
    assert sent == 6 and len(results) + len(errors) == 2
    assert all(r.status == "done" for r in results)
    assert set(streams.settle(listener, 6).values()) == {1}


def test_workers_claim_different_queued_jobs(rig, listener) -> None:
    rig.text_printer("gp-1", listener.port)
    rig.account("YTO")
    order_ids = rig.load_orders(count=4)
    jobs = [
        create_job(
            rig.app, rig.org.admin, order_ids[i : i + 2], ["gp-1"], template=TEXT_TEMPLATE
        ).job_id
        for i in (0, 2)
    ]
    claimed: list[leases.JobLease | None] = []
    barrier = threading.Barrier(3)

    def worker(name: str) -> None:
        barrier.wait()
        claimed.append(leases.claim_next(rig.app, name))

    threads = [threading.Thread(target=worker, args=(f"host:{n}:w",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    got = sorted(c.job_id for c in claimed if c is not None)
    assert got == jobs  # each job once; the third worker found nothing


def test_pausing_stops_after_the_label_in_flight_and_resume_finishes(rig, listener, job) -> None:
    def pause_after_two(event) -> None:  # type: ignore[no-untyped-def]
        if event.item_state == "done" and event.done == 2:
            pause_job(rig.app, rig.org.admin, job.job_id)

    result = run_job(rig.app, rig.org.admin, job.job_id, on_progress=pause_after_two)
    assert (result.status, result.error) == ("paused", "paused by an operator")
    states = [i.state for i in job_items(rig.app, rig.org.admin, job.job_id)]
    assert states == ["done"] * 2 + ["queued"] * 4
    events: list = []
    assert run_job(rig.app, rig.org.admin, job.job_id, on_progress=events.append).status == "done"
    assert set(streams.settle(listener, 6).values()) == {1}
    assert {e.before for e in events} == {2}  # where a progress bar of the resumed run starts


def test_cancelling_frees_the_labels_for_another_job(rig, listener, job) -> None:
    assert cancel_job(rig.app, rig.org.admin, job.job_id) == "cancelled"
    assert {i.state for i in job_items(rig.app, rig.org.admin, job.job_id)} == {"cancelled"}
    with pytest.raises(Conflict, match="is cancelled"):
        run_job(rig.app, rig.org.admin, job.job_id)
    with rig.app.tx() as session:
        order_ids = list(session.scalars(select(PrintJobItem.order_id)))
    again = create_job(rig.app, rig.org.admin, order_ids, ["gp-1"], template=TEXT_TEMPLATE)
    assert run_job(rig.app, rig.org.admin, again.job_id).done == 6


def test_two_operators_batching_the_same_orders_get_one_job_each_label(rig, listener) -> None:
    rig.text_printer("gp-1", listener.port)
    rig.account("YTO")
    order_ids = rig.load_orders(count=6)
    from core.orders import packages
    from core.waybills import allocation

    packed = packages.ensure_packages(rig.app, rig.org.admin, order_ids)
    allocation.allocate(rig.app, rig.org.admin, list(packed.package_of_order.values()), "yto-0")
    made, refused = [], []
    barrier = threading.Barrier(2)

    def operator() -> None:
        barrier.wait()
        try:
            made.append(
                create_job(rig.app, rig.org.admin, order_ids, ["gp-1"], template=TEXT_TEMPLATE)
            )
        except (Conflict, ValidationError) as exc:
            refused.append(exc)

    threads = [threading.Thread(target=operator) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    queued = sum(j.total for j in made)
    assert queued == 6 and len(made) + len(refused) == 2, refused  # never two jobs for a label
    for job in made:
        run_job(rig.app, rig.org.admin, job.job_id)
    assert set(streams.settle(listener, 6).values()) == {1}
