"""Invariant 4 on both backends: a label is never printed twice without an explicit reprint
(print.reprint + a reason, audited) — same waybill, or a new one with the old cancelled at
the carrier; a reprint renders with the template version the label first printed with."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from core.accounts import audit
from core.errors import PermissionDenied, ValidationError
from core.models import PrintJobItem, Waybill
from core.printing import template_store
from core.printing.history import print_history
from core.printing.jobs import create_job
from core.printing.runner import run_job
from tests.printing import streams
from tests.printing.rig import FIXTURES, TEXT_TEMPLATE


def print_batch(rig, order_ids, **kw):  # type: ignore[no-untyped-def]
    job = create_job(
        rig.app,
        rig.org.admin,
        order_ids,
        ["gp-1"],
        template=kw.pop("template", TEXT_TEMPLATE),
        **kw,
    )
    result = run_job(rig.app, rig.org.admin, job.job_id)
    assert result.status == "done", result
    return job


@pytest.fixture
def printed(rig, listener):  # type: ignore[no-untyped-def]
    """Four orders whose labels were printed once."""
    rig.text_printer("gp-1", listener.port)
    rig.account("YTO")
    order_ids = rig.load_orders(count=4)
    print_batch(rig, order_ids)
    return order_ids


def test_printing_a_printed_label_again_is_refused_naming_the_order(rig, listener, printed) -> None:
    with pytest.raises(ValidationError, match="nothing to print") as caught:
        create_job(rig.app, rig.org.admin, printed[:2], ["gp-1"])
    refused = caught.value.details["refused"]
    assert len(refused) == 2
    assert "was printed in job 1" in refused[0]["reason"]
    assert "--reprint --reason" in refused[0]["reason"]
    fresh = rig.load_orders(count=6)[4:]
    job = create_job(rig.app, rig.org.admin, printed + fresh, ["gp-1"], template=TEXT_TEMPLATE)
    assert (job.total, len(job.refused)) == (2, 4)  # the new ones print, the others are listed
    assert sum(streams.settle(listener, 4).values()) == 4  # nothing sent meanwhile


def test_a_label_waiting_in_another_job_is_not_queued_twice(rig, listener) -> None:
    rig.text_printer("gp-1", listener.port)
    rig.account("YTO")
    order_ids = rig.load_orders(count=3)
    first = create_job(rig.app, rig.org.admin, order_ids, ["gp-1"], template=TEXT_TEMPLATE)
    with pytest.raises(ValidationError) as caught:
        create_job(rig.app, rig.org.admin, order_ids, ["gp-1"])
    assert f"its label waits in print job {first.job_id}" in str(caught.value)


def test_a_reprint_needs_the_permission_and_a_reason(rig, printed) -> None:
    operator = rig.org.staff("op-1", "print_operator")
    with pytest.raises(PermissionDenied, match=r"print\.reprint"):
        create_job(rig.app, operator, printed, ["gp-1"], reprint=True, reason="torn")
    with pytest.raises(ValidationError, match="a reprint needs a reason"):
        create_job(rig.app, rig.org.admin, printed, ["gp-1"], reprint=True, reason="  ")
    never = rig.load_orders(count=5)[4:]
    with pytest.raises(ValidationError, match="never printed; print it normally"):
        create_job(rig.app, rig.org.admin, never, ["gp-1"], reprint=True, reason="x")


def test_a_reprint_of_the_same_waybill_is_audited_and_sent_again(rig, listener, printed) -> None:
    before = rig.our_waybills()
    job = print_batch(rig, printed[:2], reprint=True, reason="标签被撕坏 / label torn")
    assert rig.our_waybills() == before  # same numbers, none cancelled
    counts = streams.settle(listener, 6)
    with rig.app.tx() as session:
        numbers = dict(session.execute(select(Waybill.package_id, Waybill.number)).all())
        items = list(session.scalars(select(PrintJobItem).where(PrintJobItem.job_id == job.job_id)))
        events = audit.events(session, rig.org.org_id, action="print.reprint")
    assert [counts[numbers[p]] for p in sorted(numbers)] == [2, 2, 1, 1]
    assert all(i.reprint and i.reprint_reason == "标签被撕坏 / label torn" for i in items)
    assert all(i.reprint_of_id is not None for i in items)
    assert sorted(e.target_id for e in events) == [str(i.package_id) for i in items]
    assert {e.detail for e in events} == {"标签被撕坏 / label torn"}
    history = print_history(rig.app, rig.org.admin, waybill_number=numbers[1])
    assert [(h.reprint, h.reason) for h in history] == [
        (True, "标签被撕坏 / label torn"),
        (False, ""),
    ]


def test_a_reprint_on_a_new_waybill_cancels_the_old_one_first(rig, listener, printed) -> None:
    old = rig.our_waybills()
    job = print_batch(rig, printed[:1], reprint=True, new_waybill=True, reason="wrong carrier")
    now = rig.our_waybills()
    (cancelled,) = [n for n, s in now.items() if s == "cancelled"]
    (new,) = set(now) - set(old)
    assert old[cancelled] == "printed" and now[new] == "printed"
    rig.assert_ledgers_agree()  # the platform voided the old number too
    assert rig.active_by_package().most_common(1)[0][1] == 1
    counts = streams.settle(listener, 5)
    assert (counts[cancelled], counts[new]) == (1, 1)
    with rig.app.tx() as session:
        (item,) = session.scalars(select(PrintJobItem).where(PrintJobItem.job_id == job.job_id))
        assert (item.reprint, item.reprint_reason) == (
            False,
            "wrong carrier",
        )  # first print of the new number
        assert item.reprint_of_id is not None
        (event,) = audit.events(session, rig.org.org_id, action="print.reprint")
    assert (event.before, event.after["waybill"], event.after["new_waybill"]) == (
        {"waybill": cancelled},
        new,
        True,
    )
    with pytest.raises(ValidationError, match="was printed in job"):
        create_job(rig.app, rig.org.admin, printed[:1], ["gp-1"])  # still needs --reprint


def test_a_reprint_renders_with_the_template_version_it_first_printed_with(
    rig, listener, printed
) -> None:
    changed = json.loads((FIXTURES / f"{TEXT_TEMPLATE}.json").read_text())
    changed["elements"].append(
        {
            "type": "text",
            "x": 3,
            "y": 100,
            "width": 70,
            "height": 8,
            "text": "VERSION-TWO",
            "font_size": 12,
            "max_lines": 1,
        }
    )
    assert (
        template_store.import_template(rig.app, rig.org.admin, json.dumps(changed)).current_version
        == 2
    )
    sent = listener.total()
    reprint = print_batch(rig, printed[:1], reprint=True, reason="smudged", template=None)
    streams.settle(listener, 5)
    assert b"VERSION-TWO" not in listener.received[sent:]
    fresh = rig.load_orders(count=5)[4:]
    print_batch(rig, fresh)
    streams.settle(listener, 6)
    assert b"VERSION-TWO" in listener.received[sent:]  # new labels use the new version
    with rig.app.tx() as session:
        versions = session.execute(
            select(PrintJobItem.job_id, PrintJobItem.template_version_id).order_by(PrintJobItem.id)
        ).all()
    first = versions[0][1]
    assert [v for j, v in versions if j == reprint.job_id] == [first]
    assert versions[-1][1] != first
