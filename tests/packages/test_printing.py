"""Printing merged packages and assigned orders, through create_job and a loopback
printer: one waybill and one label for every order of a merged package; the carrier
account and template the orders were assigned when the print names none."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.assignment import assigning, service
from core.errors import Conflict
from core.models import PrintJobItem, Template, TemplateVersion, Waybill
from core.orders import merging, splitting
from core.printing import documents
from core.printing.jobs import create_job
from core.printing.runner import run_job
from tests.printing import streams

TEXT = "label-text-76x130"


def label_of(rig, job_id):  # type: ignore[no-untyped-def]
    with rig.app.tx() as session:
        items = session.scalars(select(PrintJobItem).where(PrintJobItem.job_id == job_id)).all()
        refs = [
            documents.ItemRef(
                i.id,
                i.position,
                i.kind,
                i.package_id,
                i.order_id,
                i.waybill_id,
                i.printer_id,
                i.template_version_id,
                i.reprint,
                i.attempts,
            )
            for i in items
        ]
        sources = documents.load_sources(session, refs)
        return [documents.label_data(sources[r.package_id], None) for r in refs], items


def test_a_merged_package_gets_one_waybill_and_one_label_for_all_its_orders(rig, listener):
    rig.text_printer("gp-1", listener.port)
    orders = rig.same_receiver(3)
    numbers = list(orders)
    merged = merging.merge(rig.app, rig.org.admin, numbers[:2])
    account = rig.account("YTO")
    job = create_job(
        rig.app,
        rig.org.admin,
        list(orders.values()),
        ["gp-1"],
        template=TEXT,
        carrier_account=account.name,
    )
    assert (job.total, job.allocated, job.refused) == (2, 2, [])
    labels, items = label_of(rig, job.job_id)
    assert items[0].package_id == merged.package_id
    first = labels[0]
    assert first.order_numbers == tuple(numbers[:2])
    titles = [(item.title, item.quantity) for item in first.items]
    assert titles == [(line.title, line.quantity) for line in merged.lines]
    assert labels[1].order_numbers == (numbers[2],)
    ledger = rig.sandbox_order_sns()
    assert ledger[first.waybill_number] == numbers[:2]  # one platform waybill, both orders
    result = run_job(rig.app, rig.org.admin, job.job_id)
    assert (result.status, result.done) == ("done", 2)
    received = streams.settle(listener, 2)
    assert received == {first.waybill_number: 1, labels[1].waybill_number: 1}
    # printed: the merged package can no longer change
    with pytest.raises(Conflict, match=f"order {numbers[0]} is printed"):
        splitting.unmerge(rig.app, rig.org.admin, order_number=numbers[0])


def test_print_without_template_uses_the_assigned_one(rig, listener) -> None:
    rig.text_printer("gp-1", listener.port)
    orders = rig.same_receiver(2)
    account = rig.account("YTO")
    service.add_rule(rig.app, rig.org.admin, "文本", carrier_account=account.name, template=TEXT)
    assert assigning.apply_rules(rig.app, rig.org.admin) == 2
    job = create_job(rig.app, rig.org.admin, list(orders.values()), ["gp-1"])
    with rig.app.tx() as session:
        names = session.scalars(
            select(Template.name)
            .join(TemplateVersion, TemplateVersion.template_id == Template.id)
            .join(PrintJobItem, PrintJobItem.template_version_id == TemplateVersion.id)
            .where(PrintJobItem.job_id == job.job_id)
        ).all()
    assert names == [TEXT, TEXT]
    assert run_job(rig.app, rig.org.admin, job.job_id).done == 2


def test_print_without_carrier_uses_the_assigned_accounts(rig, listener) -> None:
    rig.text_printer("gp-1", listener.port)
    orders = rig.same_receiver(4)
    numbers = list(orders)
    yto, jt = rig.account("YTO"), rig.account("JTSD")
    service.add_rule(rig.app, rig.org.admin, "默认", carrier_account=yto.name)
    with rig.app.tx() as session:
        assigning.assign_orders(session, rig.org.org_id, orders.values())
    assigning.set_assignment(rig.app, rig.org.admin, [numbers[1]], jt.name, None)
    # a merged package whose orders disagree is refused, saying so
    merging.merge(rig.app, rig.org.admin, numbers[2:])
    assigning.set_assignment(rig.app, rig.org.admin, [numbers[3]], jt.name, None)
    job = create_job(rig.app, rig.org.admin, list(orders.values()), ["gp-1"], template=TEXT)
    assert (job.total, job.allocated) == (2, 2)
    assert len(job.refused) == 1
    assert "assigned different carrier accounts" in job.refused[0].reason
    assert f"{numbers[3]} → {jt.name}" in job.refused[0].reason
    with rig.app.tx() as session:
        used = dict(session.execute(select(Waybill.carrier_code, Waybill.carrier_account_id)).all())
    assert used == {"YTO": yto.id, "JTSD": jt.id}
