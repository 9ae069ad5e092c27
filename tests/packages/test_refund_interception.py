"""退款拦截 in the print path: a refund the buyer asked for after the last sync is found by
the live status check before the labels go out (`core.printing.interception`), and its
label is not printed."""

from __future__ import annotations

import time

from sqlalchemy import select

from core.desk.holds import hold_orders
from core.models import Alert, Order, Package, PackageLine, PrintJobItem
from core.printing import interception, run_state
from core.printing.jobs import create_job
from core.printing.runner import run_job
from tests.printing import streams

TEXT = "label-text-76x130"
REFUND_IN_PROGRESS = 3  # refund_status 3 退款中


def test_a_refund_after_the_sync_is_caught_before_its_label_prints(rig, listener) -> None:
    rig.text_printer("gp-1", listener.port)
    order_ids = rig.load_orders(count=3)
    account = rig.account("YTO")
    job = create_job(
        rig.app, rig.org.admin, order_ids, ["gp-1"], template=TEXT, carrier_account=account.name
    )
    assert job.total == 3
    with rig.app.tx() as session:
        numbers = dict(
            session.execute(
                select(Order.id, Order.platform_order_no).where(Order.id.in_(order_ids))
            ).all()
        )
    refunded = numbers[order_ids[1]]
    rig.sandbox.refund(refunded, REFUND_IN_PROGRESS)  # the buyer asks; no sync since

    result = run_job(rig.app, rig.org.admin, job.job_id)
    assert (result.done, result.failed) == (2, 1)
    streams.settle(listener, 2)
    with rig.app.tx() as session:
        order = session.get(Order, order_ids[1])
        assert order.on_hold and order.refund_status == "in_progress"
        assert "退款拦截" in order.hold_reason
        package = session.scalars(
            select(Package)
            .join(PackageLine, PackageLine.package_id == Package.id)
            .where(PackageLine.order_id == order.id)
        ).one()
        assert package.status == "on_hold"
        failed = session.scalars(
            select(PrintJobItem).where(
                PrintJobItem.job_id == job.job_id, PrintJobItem.state == "failed"
            )
        ).one()
        assert failed.package_id == package.id and "on_hold" in failed.last_error
        alert = session.scalars(select(Alert).where(Alert.kind == "print.refund_intercepted")).one()
        assert refunded in alert.message and alert.severity == "critical"


def test_a_shop_the_check_cannot_reach_prints_and_says_so(rig, listener) -> None:
    rig.text_printer("gp-1", listener.port)
    order_ids = rig.load_orders(count=2)
    account = rig.account("YTO")
    job = create_job(
        rig.app, rig.org.admin, order_ids, ["gp-1"], template=TEXT, carrier_account=account.name
    )
    rig.sandbox.set_faults("malformed=1@pdd.order.status.get")
    messages: list[str] = []
    result = run_job(
        rig.app, rig.org.admin, job.job_id, on_progress=lambda e: messages.append(e.message)
    )
    assert result.done == 2
    assert any("live refund check failed" in m for m in messages), messages


def test_the_check_walks_ahead_of_the_printer_step_by_step(rig, listener, monkeypatch) -> None:
    """A slow platform answer delays the first label by one status call, not by the whole
    batch: the labels of the first step print while later steps are still being asked,
    and a refund in the last step is still held before its label."""
    monkeypatch.setattr(interception, "STEP_ITEMS", 2)
    monkeypatch.setattr(run_state, "PAGE_SIZE", 2)
    rig.text_printer("gp-1", listener.port)
    order_ids = rig.load_orders(count=6)
    account = rig.account("YTO")
    job = create_job(
        rig.app, rig.org.admin, order_ids, ["gp-1"], template=TEXT, carrier_account=account.name
    )
    with rig.app.tx() as session:
        last = session.scalar(select(Order.platform_order_no).where(Order.id == order_ids[-1]))
    rig.sandbox.refund(last, REFUND_IN_PROGRESS)
    rig.sandbox.set_faults("slow=1@pdd.order.status.get,delay=2")  # each call answers in 0.5 s
    seen: list[tuple[float, str, str]] = []

    def note(event) -> None:  # type: ignore[no-untyped-def]
        seen.append((time.monotonic(), event.item_state, event.message))

    result = run_job(rig.app, rig.org.admin, job.job_id, on_progress=note)
    assert (result.done, result.failed) == (5, 1)
    first_label = min(t for t, state, _ in seen if state == "done")
    walk_over = min(t for t, _, message in seen if "退款拦截 1" in message)
    assert first_label < walk_over - 0.4, "the first label waited for every status call"
    with rig.app.tx() as session:
        assert session.get(Order, order_ids[-1]).on_hold


def test_a_hold_after_the_label_was_rendered_still_stops_it(rig, listener) -> None:
    """The page's data is read before its labels render; a hold that lands after that (a
    sync bringing a refund, a person) is caught where the item is marked sent."""
    rig.text_printer("gp-1", listener.port)
    order_ids = rig.load_orders(count=3)
    account = rig.account("YTO")
    job = create_job(
        rig.app, rig.org.admin, order_ids, ["gp-1"], template=TEXT, carrier_account=account.name
    )
    with rig.app.tx() as session:
        last = session.scalar(select(Order.platform_order_no).where(Order.id == order_ids[-1]))
    held: list[str] = []

    def hold_after_the_first_label(event) -> None:  # type: ignore[no-untyped-def]
        if event.item_state == "done" and not held:
            held.append(last)
            hold_orders(rig.app, rig.org.admin, [last], reason="买家来电拦截")

    result = run_job(
        rig.app,
        rig.org.admin,
        job.job_id,
        on_progress=hold_after_the_first_label,
        render_processes=0,
    )
    assert held == [last]
    assert (result.done, result.failed) == (2, 1)
    with rig.app.tx() as session:
        failed = session.scalars(
            select(PrintJobItem).where(
                PrintJobItem.job_id == job.job_id, PrintJobItem.state == "failed"
            )
        ).one()
        assert "is on_hold: 买家来电拦截" in failed.last_error
    streams.settle(listener, 2)
