"""Print jobs end to end through the services: orders → packages → waybills → labels on a
loopback printer, in order, each exactly once; progress events; state on every row."""

from __future__ import annotations

from sqlalchemy import select

from core.models import Order, Package, PrintJob, Waybill
from core.printing import create_job, run_job
from tests.printing import streams


def test_a_batch_prints_every_label_once_in_order(rig, listener) -> None:
    rig.text_printer("gp-1", listener.port)
    order_ids = rig.load_orders(count=12)
    account = rig.account("YTO")
    events = []
    job = create_job(
        rig.app, rig.org.admin, order_ids, ["gp-1"], template="label-text-76x130",
        carrier_account=account.name,
    )  # fmt: skip
    assert (job.total, job.allocated, job.refused) == (12, 12, [])
    result = run_job(rig.app, rig.org.admin, job.job_id, on_progress=events.append)
    assert (result.status, result.done, result.sent) == ("done", 12, 12)

    received = streams.printed(listener.connections)
    with rig.app.tx() as session:
        numbers = dict(session.execute(select(Waybill.package_id, Waybill.number)).all())
        assert {w.status for w in session.scalars(select(Waybill))} == {"printed"}
        assert {p.status for p in session.scalars(select(Package))} == {"printed"}
        assert {o.hub_status for o in session.scalars(select(Order))} == {"printed"}
        job_row = session.get(PrintJob, job.job_id)
        assert (job_row.status, job_row.done_items, job_row.lease_owner) == ("done", 12, None)
    assert received == {n: 1 for n in numbers.values()}
    in_order = [streams.waybill_of(d) for c in listener.connections for d in streams.documents(c)]
    assert in_order == [numbers[p] for p in sorted(numbers)]
    assert len(listener.connections) == 1  # one connection per job
    assert events[-1].status == "done" and events[-1].done == 12
    assert [e.done for e in events if e.item_state == "done"] == list(range(1, 13))
