"""Printer failures, crashes and bad data on both backends: clear errors, the job paused
with its state intact, and resuming prints exactly the unfinished labels.

- an unreachable printer: every label stays queued, the error names host:port;
- a connection dropped inside a label: that label is uncertain (bytes left), the earlier
  ones are done, the later ones queued; the operator settles it (reprint or skip);
- a crash (a runner that died with a label in `sending`): the next runner turns it
  uncertain, prints the rest, and the operator's "skip" sends nothing more;
- a full disk under the `file` driver (a 256 KiB tmpfs, root only): the label that did not
  fit is queued again, nothing half-written is left, resume finishes after space is freed;
- an order put on hold and a waybill cancelled after the job was made: those items fail
  naming why, the others print;
- a stored template that does not validate: no job is made, the error names the element.
"""

from __future__ import annotations

import os
import subprocess
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text, update

from core import clock
from core.errors import Conflict, ValidationError
from core.models import Order, PrintJob, PrintJobItem, Template, TemplateVersion, Waybill
from core.printing.history import job_items
from core.printing.jobs import create_job
from core.printing.printers import add_printer, update_printer
from core.printing.reprint import resolve_uncertain
from core.printing.runner import run_job
from core.waybills import allocation
from tests.printers.doubles.pdd_component import PddComponentDouble
from tests.printers.doubles.tcp_printer import LoopbackPrinter, refused_port
from tests.printing import streams
from tests.printing.rig import TEXT_TEMPLATE


def job_for(rig, count: int, printer: str = "gp-1"):  # type: ignore[no-untyped-def]
    rig.text_template()
    rig.account("YTO")
    order_ids = rig.load_orders(count=count)
    return create_job(rig.app, rig.org.admin, order_ids, [printer], template=TEXT_TEMPLATE)


def states(rig, job_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    return [i.state for i in job_items(rig.app, rig.org.admin, job_id)]


def counters(rig, job_id: int) -> tuple[int, int, int, int]:  # type: ignore[no-untyped-def]
    with rig.app.tx() as session:
        job = session.get(PrintJob, job_id)
        return job.total_items, job.done_items, job.failed_items, job.uncertain_items


def numbers(rig) -> list[str]:  # type: ignore[no-untyped-def]
    with rig.app.tx() as session:
        return list(session.scalars(select(Waybill.number).order_by(Waybill.package_id)))


def test_an_unreachable_printer_pauses_the_job_with_every_label_queued(rig) -> None:
    port = refused_port()
    rig.text_printer("gp-1", port)
    job = job_for(rig, 4)
    result = run_job(rig.app, rig.org.admin, job.job_id)
    assert result.status == "paused"
    assert f"cannot connect to printer 127.0.0.1:{port}" in result.error
    assert states(rig, job.job_id) == ["queued"] * 4
    assert counters(rig, job.job_id) == (4, 0, 0, 0)
    with LoopbackPrinter() as listener:
        update_printer(
            rig.app, rig.org.admin, "gp-1", settings={"host": "127.0.0.1", "port": listener.port}
        )
        again = run_job(rig.app, rig.org.admin, job.job_id)
        received = streams.settle(listener, 4)
    assert (again.status, again.sent) == ("done", 4)
    assert received == dict.fromkeys(numbers(rig), 1)
    assert [i.attempts for i in job_items(rig.app, rig.org.admin, job.job_id)] == [2, 1, 1, 1]


def test_a_connection_dropped_inside_a_label_makes_it_uncertain(rig) -> None:
    with LoopbackPrinter() as sizing:
        rig.text_printer("gp-1", sizing.port)
        job = job_for(rig, 5)
        run_job(rig.app, rig.org.admin, job.job_id)
        label = len(streams.settle(sizing, 5) and streams.documents(sizing.received)[0])
    # A small receive buffer: the printer acknowledges only what it has read, so a reset
    # in the middle of label 3 leaves the sender with bytes it knows did not arrive.
    with LoopbackPrinter(drop_at=2 * label + label // 2, receive_buffer=4096) as listener:
        update_printer(
            rig.app, rig.org.admin, "gp-1", settings={"host": "127.0.0.1", "port": listener.port}
        )
        order_ids = rig.load_orders(count=10)[5:]
        second = create_job(rig.app, rig.org.admin, order_ids, ["gp-1"], template=TEXT_TEMPLATE)
        result = run_job(rig.app, rig.org.admin, second.job_id)
        assert result.status == "paused"
        assert "may or may not have printed" in result.error
        assert states(rig, second.job_id) == ["done", "done", "uncertain", "queued", "queued"]
        assert counters(rig, second.job_id) == (5, 2, 0, 1)
        resumed = run_job(rig.app, rig.org.admin, second.job_id)
        assert (resumed.status, resumed.sent, resumed.uncertain) == ("paused", 2, 1)
        assert "settle them with reprint or skip" in resumed.error
        settled = resolve_uncertain(
            rig.app, rig.org.admin, second.job_id, "reprint", reason="cut short by the printer"
        )
        assert settled.reprinted == [6]
        final = run_job(rig.app, rig.org.admin, second.job_id)
        received = streams.settle(listener, 5)
    assert (final.status, final.done, final.total) == ("done", 6, 6)
    assert received == dict.fromkeys(numbers(rig)[5:], 1)  # the cut label was sent again
    assert streams.partial(listener.connections) == 1


def test_after_a_crash_the_label_in_flight_is_uncertain_and_skip_sends_nothing(
    rig, listener
) -> None:
    rig.text_printer("gp-1", listener.port)
    job = job_for(rig, 4)
    with rig.app.tx() as session:  # what a runner killed while sending item 2 leaves
        session.execute(
            update(PrintJobItem)
            .where(PrintJobItem.job_id == job.job_id, PrintJobItem.position == 2)
            .values(state="sending", attempts=1)
        )
        session.execute(
            update(PrintJob)
            .where(PrintJob.id == job.job_id)
            .values(
                status="running",
                lease_owner=f"{os.uname().nodename[:40]}:{2**22 + 7}:dead",
                lease_expires_at=clock.now() + timedelta(minutes=5),
            )
        )
    result = run_job(rig.app, rig.org.admin, job.job_id)
    assert (result.status, result.sent, result.uncertain) == ("paused", 3, 1)
    (uncertain,) = job_items(rig.app, rig.org.admin, job.job_id, states=("uncertain",))
    assert uncertain.position == 2 and "crash" in uncertain.error
    resolve_uncertain(rig.app, rig.org.admin, job.job_id, "skip")
    assert states(rig, job.job_id) == ["done"] * 4
    with rig.app.tx() as session:
        assert session.get(PrintJob, job.job_id).status == "done"
    with pytest.raises(Conflict, match="is done; there is nothing to resume"):
        run_job(rig.app, rig.org.admin, job.job_id)
    received = streams.settle(listener, 3)
    wanted = numbers(rig)
    assert received == {n: 1 for i, n in enumerate(wanted) if i != 1}


def test_a_full_disk_queues_the_label_again_and_resume_finishes(rig, tmp_path) -> None:
    if os.geteuid() != 0:
        pytest.skip("mounting a size-limited tmpfs needs root")
    folder = tmp_path / "disk"
    folder.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        add_printer(
            rig.app,
            rig.org.admin,
            name="disk",
            driver="file",
            settings={"folder": str(folder), "fsync": "false"},
        )
        job = job_for(rig, 5, printer="disk")  # 5 × 79 KiB TSPL labels on 256 KiB
        result = run_job(rig.app, rig.org.admin, job.job_id)
        assert result.status == "paused"
        assert "disk full writing to" in result.error and "nothing was written" in result.error
        assert states(rig, job.job_id) == ["done"] * 3 + ["queued"] * 2
        assert counters(rig, job.job_id) == (5, 3, 0, 0)
        files = sorted(p for p in folder.iterdir() if not p.name.startswith("."))
        assert len(files) == 3 and not [p for p in folder.iterdir() if p.suffix == ".partial"]
        for path in files:
            path.unlink()  # the operator frees space
        assert run_job(rig.app, rig.org.admin, job.job_id).status == "done"
        assert len([p for p in folder.iterdir() if not p.name.startswith(".")]) == 2
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def test_items_whose_order_or_waybill_changed_fail_naming_why(rig, listener) -> None:
    rig.text_printer("gp-1", listener.port)
    job = job_for(rig, 4)
    with rig.app.tx() as session:
        order = session.get(Order, 2)
        order.on_hold, order.hold_reason = True, "买家要求改地址"
        third = session.scalar(select(Waybill.id).where(Waybill.package_id == 3))
    allocation.cancel(rig.app, rig.org.admin, [third], "wrong size")
    result = run_job(rig.app, rig.org.admin, job.job_id)
    assert (result.status, result.done, result.failed) == ("failed", 2, 2)
    failed = job_items(rig.app, rig.org.admin, job.job_id, states=("failed",))
    assert "is on hold (买家要求改地址)" in failed[0].error
    assert "was cancelled or replaced since the job was made" in failed[1].error
    assert sum(streams.settle(listener, 2).values()) == 2
    with rig.app.tx() as session:
        session.get(Order, 2).on_hold = False
    again = run_job(rig.app, rig.org.admin, job.job_id)  # failed items are retried
    assert (again.status, again.done, again.failed) == ("failed", 3, 1)


def test_a_stored_template_that_does_not_validate_makes_no_job(rig, listener) -> None:
    rig.text_printer("gp-1", listener.port)
    rig.account("YTO")
    with rig.app.tx() as session:
        template = session.scalars(select(Template).where(Template.name == TEXT_TEMPLATE)).one()
        bad = [{"type": "text", "x": 1}]
        session.add(
            TemplateVersion(
                template_id=template.id, version=2, width_mm=76, height_mm=130, elements=bad
            )
        )
        template.current_version = 2
    with pytest.raises(ValidationError, match=r"element 0 \(text\)"):
        create_job(
            rig.app, rig.org.admin, rig.load_orders(count=2), ["gp-1"], template=TEXT_TEMPLATE
        )
    with rig.app.tx() as session:
        assert session.scalar(select(func.count()).select_from(PrintJob)) == 0


@pytest.mark.parametrize(("outcome", "state"), [("failed", "failed"), ("never", "uncertain")])
def test_the_print_component_failing_or_silent_pauses_the_job(rig, outcome, state) -> None:
    with PddComponentDouble(outcome=outcome) as component:
        add_printer(
            rig.app,
            rig.org.admin,
            name="pdd",
            driver="pinduoduo-component",
            settings={"url": component.url, "write_timeout": 1},
        )
        job = job_for(rig, 3, printer="pdd")
        result = run_job(rig.app, rig.org.admin, job.job_id)
    assert result.status == "paused"
    assert states(rig, job.job_id) == [state, "queued", "queued"]
    with rig.app.tx() as session:
        assert session.execute(text("SELECT count(*) FROM print_job_items")).scalar() == 3


def test_one_printer_failing_pauses_the_whole_fan_out_and_resume_finishes(rig) -> None:
    dead = refused_port()
    with LoopbackPrinter() as alive:
        rig.text_printer("gp-1", alive.port)
        rig.network_printer("gp-2", dead, cjk_font="TSS24.BF2", render={"native_barcode": True})
        rig.account("YTO")
        order_ids = rig.load_orders(count=8)
        job = create_job(
            rig.app, rig.org.admin, order_ids, ["gp-1", "gp-2"], template=TEXT_TEMPLATE
        )
        result = run_job(rig.app, rig.org.admin, job.job_id)
        assert result.status == "paused" and f"127.0.0.1:{dead}" in result.error
        assert states(rig, job.job_id)[4:] == ["queued"] * 4  # the dead printer's share
        update_printer(
            rig.app, rig.org.admin, "gp-2", settings={"host": "127.0.0.1", "port": alive.port}
        )
        again = run_job(rig.app, rig.org.admin, job.job_id)
        received = streams.settle(alive, 8)
    assert again.status == "done"
    assert received == dict.fromkeys(numbers(rig), 1)  # each label once, whoever sent it
