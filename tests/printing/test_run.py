"""Print jobs end to end through the services: orders → packages → waybills → labels on a
loopback printer, in order, each exactly once; progress events; state on every row."""

from __future__ import annotations

import json

from pypdf import PdfReader
from sqlalchemy import select

from core import clock
from core.hookspecs import hookimpl
from core.models import Order, OrderLine, Package, PrintJob, PrintJobItem, Waybill
from core.orders import packages
from core.printing import documents
from core.printing.jobs import create_job
from core.printing.printers import add_printer
from core.printing.runner import run_job
from core.waybills import allocation
from tests.printers.doubles.pdd_component import PddComponentDouble
from tests.printers.doubles.tcp_printer import LoopbackPrinter
from tests.printing import streams


def test_a_batch_prints_every_label_once_in_order(rig, listener) -> None:
    rig.text_printer("gp-1", listener.port)
    order_ids = rig.load_orders(count=12)
    account = rig.account("YTO")
    events = []
    job = create_job(
        rig.app,
        rig.org.admin,
        order_ids,
        ["gp-1"],
        template="label-text-76x130",
        carrier_account=account.name,
    )
    assert (job.total, job.allocated, job.refused) == (12, 12, [])
    assert "12 label(s) are for platform orders whose receiver is encrypted" in job.warnings[0]
    result = run_job(rig.app, rig.org.admin, job.job_id, on_progress=events.append)
    assert (result.status, result.done, result.sent) == ("done", 12, 12)

    received = streams.settle(listener, 12)
    with rig.app.tx() as session:
        numbers = dict(session.execute(select(Waybill.package_id, Waybill.number)).all())
        assert {w.status for w in session.scalars(select(Waybill))} == {"printed"}
        assert {p.status for p in session.scalars(select(Package))} == {"printed"}
        assert {o.hub_status for o in session.scalars(select(Order))} == {"printed"}
        job_row = session.get(PrintJob, job.job_id)
        assert (job_row.status, job_row.done_items, job_row.lease_owner) == ("done", 12, None)
        # Each order's first print time (the handling report's) is its label's.
        done = dict(session.execute(select(PrintJobItem.order_id, PrintJobItem.done_at)).all())
        assert {o.id: o.printed_at for o in session.scalars(select(Order))} == done
        # And each package's, with the province its label went to (the cost report's).
        labelled = {
            package_id: (at, province)
            for package_id, at, province in session.execute(
                select(PrintJobItem.package_id, PrintJobItem.done_at, Order.receiver_province).join(
                    Order, Order.id == PrintJobItem.order_id
                )
            )
        }
        assert {
            p.id: (p.printed_at, p.receiver_province) for p in session.scalars(select(Package))
        } == labelled
        assert all(province for _, province in labelled.values())
    assert received == {n: 1 for n in numbers.values()}
    in_order = [streams.waybill_of(d) for c in listener.connections for d in streams.documents(c)]
    assert in_order == [numbers[p] for p in sorted(numbers)]
    assert len(listener.connections) == 1  # one connection per job
    assert events[-1].status == "done" and events[-1].done == 12
    assert [e.done for e in events if e.item_state == "done"] == list(range(1, 13))


def test_a_batch_fans_out_over_two_printers_each_in_order(rig) -> None:
    with LoopbackPrinter() as first, LoopbackPrinter() as second:
        rig.text_printer("gp-1", first.port)
        rig.network_printer(
            "gp-2", second.port, cjk_font="TSS24.BF2", render={"native_barcode": True}
        )
        order_ids = rig.load_orders(count=9)
        rig.account("YTO")
        job = create_job(
            rig.app, rig.org.admin, order_ids, ["gp-1", "gp-2"], template="label-text-76x130"
        )
        result = run_job(rig.app, rig.org.admin, job.job_id)
        for listener, share in ((first, 5), (second, 4)):
            streams.settle(listener, share)
    assert (result.status, result.done) == ("done", 9)
    numbers = waybill_numbers(rig)
    got = [
        [streams.waybill_of(d) for c in p.connections for d in streams.documents(c)]
        for p in (first, second)
    ]
    assert got == [numbers[:5], numbers[5:]]  # contiguous shares, each in order


def test_progress_reaches_plugins_through_the_hook(rig, listener) -> None:
    seen = []

    class Watcher:
        @hookimpl
        def print_job_progress(self, org_id, job_id, state, done, failed, total) -> None:  # type: ignore[no-untyped-def]
            seen.append((org_id, job_id, state, done, failed, total))

    rig.app.plugins.register(Watcher(), "progress-watcher")
    rig.text_printer("gp-1", listener.port)
    rig.account("YTO")
    job = create_job(
        rig.app, rig.org.admin, rig.load_orders(count=3), ["gp-1"], template="label-text-76x130"
    )
    run_job(rig.app, rig.org.admin, job.job_id)
    org = rig.org.org_id
    assert seen[-1] == (org, job.job_id, "done", 3, 0, 3)
    assert [s[3] for s in seen if s[2] == "running"] == [1, 2, 3]


def test_pinduoduo_waybills_go_to_the_print_component_untouched(rig) -> None:
    with PddComponentDouble() as component:
        add_printer(
            rig.app,
            rig.org.admin,
            name="pdd",
            driver="pinduoduo-component",
            settings={"url": component.url, "printer": "XP-T58H"},
        )
        rig.account("YTO")
        job = create_job(rig.app, rig.org.admin, rig.load_orders(count=3), ["pdd"])
        result = run_job(rig.app, rig.org.admin, job.job_id)
    assert (result.status, result.done) == ("done", 3)
    with rig.app.tx() as session:
        waybills = list(session.scalars(select(Waybill).order_by(Waybill.package_id)))
        refs = list(
            session.scalars(select(PrintJobItem.device_ref).order_by(PrintJobItem.position))
        )
    tasks = [m["task"] for m in component.received if m.get("cmd") == "print"]
    assert [t["taskID"] for t in tasks] == refs  # each item knows its component task
    for task, waybill in zip(tasks, waybills, strict=True):
        (document,) = task["documents"]
        assert document["documentID"] == waybill.number
        assert document["contents"] == [json.loads(waybill.print_data)]
        assert task["printer"] == "XP-T58H"


def test_packing_slips_and_the_pick_list_print_through_the_same_jobs(rig, tmp_path) -> None:
    folder = tmp_path / "office"
    add_printer(
        rig.app,
        rig.org.admin,
        name="office",
        driver="file",
        language="pdf",
        settings={"folder": str(folder), "create": "true"},
        media_mm=(210, 297),
    )
    order_ids = rig.load_orders(count=6)
    yto, zto = rig.account("YTO"), rig.account("YUNDA")
    packed = packages.ensure_packages(rig.app, rig.org.admin, order_ids)
    ids = [packed.package_of_order[o] for o in order_ids]
    allocation.allocate(rig.app, rig.org.admin, ids[:4], yto.name)
    allocation.allocate(rig.app, rig.org.admin, ids[4:], zto.name)
    slips = create_job(rig.app, rig.org.admin, order_ids, ["office"], kind="packing_slip")
    picks = create_job(rig.app, rig.org.admin, order_ids, ["office"], kind="pick_list")
    assert (slips.total, slips.template, picks.total) == (6, "packing-slip-a4@1", 1)
    assert run_job(rig.app, rig.org.admin, slips.job_id).status == "done"
    assert run_job(rig.app, rig.org.admin, picks.job_id).status == "done"
    files = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
    assert [f.suffix for f in files] == [".pdf"] * 2  # the slips as one document, the list
    assert len(PdfReader(files[0]).pages) == 6
    pick_text = "".join(page.extract_text() for page in PdfReader(files[-1]).pages)
    with rig.app.tx() as session:
        data = documents.pick_list_data(session, picks.job_id, ids, "boss", clock.now())
        lines = session.execute(select(OrderLine.outer_id, OrderLine.quantity)).all()
    carriers = [line.carrier for line in data.lines]
    assert carriers == sorted(carriers) and len(set(carriers)) == 2  # grouped by carrier
    assert sum(line.quantity for line in data.lines) == sum(q for _, q in lines)
    for line in data.lines:
        assert line.sku in pick_text or line.title[:4] in pick_text
    assert f"P{picks.job_id}" in pick_text
    # the labels were not printed by slips and pick lists: they still print normally
    assert create_job(rig.app, rig.org.admin, order_ids, ["office"]).total == 6


def waybill_numbers(rig) -> list[str]:  # type: ignore[no-untyped-def]
    with rig.app.tx() as session:
        return list(session.scalars(select(Waybill.number).order_by(Waybill.package_id)))
