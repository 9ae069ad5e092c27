"""The print services the HTTP API calls, through the services: a job from order numbers,
a filter or packages; its detail with counts per item state; watching it from another
thread; resuming (queueing again); reprinting a job's labels; removing a printer;
a template whole and its preview by name; the carrier plugins."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.orders import packages
from core.printing import history, jobs, preview, printers, runner, template_store, watch
from core.waybills import carrier_accounts
from tests.printers.doubles.tcp_printer import LoopbackPrinter
from tests.printing import streams
from tests.printing.desk_world import NUMBERS, PrintWorld, make_world
from tests.printing.rig import TEXT_TEMPLATE


@pytest.fixture
def world(app, acme) -> Iterator[PrintWorld]:  # type: ignore[no-untyped-def]
    with LoopbackPrinter() as listener:
        yield make_world(app, acme, listener)


def _job(world: PrintWorld, **kw) -> int:  # type: ignore[no-untyped-def]
    kw.setdefault("orders", list(NUMBERS))
    return jobs.create_print_job(
        world.app, world.org.admin, ["gp-1"], template=TEXT_TEMPLATE, **kw
    ).job_id


def test_a_job_from_numbers_a_filter_or_packages(world: PrintWorld, globex) -> None:  # type: ignore[no-untyped-def]
    app, admin = world.app, world.org.admin
    by_query = jobs.create_print_job(app, admin, ["gp-1"], query="order:A-2", kind="packing_slip")
    assert by_query.total == 1
    package_id = packages.packages_for_orders(app, admin, ["A-1"])["A-1"]
    package_id = packages.ensure_packages(app, admin, [package_id]).package_of_order[package_id]
    by_package = jobs.create_print_job(
        app, admin, ["gp-1"], package_ids=[package_id], kind="packing_slip"
    )
    assert by_package.total == 1
    with pytest.raises(NotFound):
        jobs.create_print_job(app, globex.admin, ["gp-1"], package_ids=[package_id])
    with pytest.raises(ValidationError) as caught:
        jobs.create_print_job(app, admin, ["gp-1"], orders=["A-1"], query="order:A-1")
    assert caught.value.details["field"] == "orders"
    with pytest.raises(ValidationError) as caught:
        jobs.create_print_job(app, admin, ["gp-1"], query="order:nothing-like-it")
    assert caught.value.details["field"] == "query"


def test_detail_watch_and_resume(world: PrintWorld, globex) -> None:  # type: ignore[no-untyped-def]
    app, admin = world.app, world.org.admin
    job_id = _job(world)
    detail = history.job_detail(app, admin, job_id)
    assert (detail.status, detail.states, detail.total) == ("queued", {"queued": 2}, 2)
    assert detail.template.startswith(f"{TEXT_TEMPLATE}@")
    with pytest.raises(NotFound):
        history.job_detail(app, globex.admin, job_id)
    with pytest.raises(NotFound):  # at the call, not at the first event
        watch.watch_job(app, globex.admin, job_id)
    assert runner.pause_job(app, admin, job_id) == "paused"
    assert runner.resume_job(app, admin, job_id) == "queued"

    def later() -> None:
        time.sleep(0.2)
        runner.run_job(app, admin, job_id, render_processes=0)

    thread = threading.Thread(target=later)
    thread.start()
    seen = list(watch.watch_job(app, admin, job_id, interval=0.05, timeout=20))
    thread.join(20)
    assert seen[0].status == "queued" and seen[-1].status == "done"
    assert seen[-1].states == {"done": 2}
    with pytest.raises(Conflict):
        runner.resume_job(app, admin, job_id)
    with pytest.raises(NotFound):
        runner.resume_job(app, globex.admin, job_id)


def test_reprint_a_jobs_labels(world: PrintWorld, acme) -> None:  # type: ignore[no-untyped-def]
    app, admin = world.app, world.org.admin
    job_id = _job(world)
    with pytest.raises(Conflict):
        jobs.reprint_job(app, admin, job_id, "torn")  # nothing printed yet
    runner.run_job(app, admin, job_id, render_processes=0)
    with pytest.raises(ValidationError):
        jobs.reprint_job(app, admin, job_id, " ")
    clerk = acme.staff("clerk", "print_operator")
    with pytest.raises(PermissionDenied):
        jobs.reprint_job(app, clerk, job_id, "torn")
    again = jobs.reprint_job(app, admin, job_id, "torn", positions=[1])
    assert again.total == 1 and again.printers == ["gp-1"]
    assert history.job_detail(app, admin, again.job_id).reprint is True
    runner.run_job(app, admin, again.job_id, render_processes=0)
    assert streams.settle(world.listener, 3) == {NUMBERS["A-1"]: 2, NUMBERS["A-2"]: 1}


def test_remove_a_printer_no_job_used(world: PrintWorld) -> None:
    app, admin = world.app, world.org.admin
    printers.add_printer(app, admin, name="spare", driver="file", settings={"folder": "/tmp"})
    printers.remove_printer(app, admin, "spare")
    assert [p.name for p in printers.list_printers(app, admin)] == ["gp-1"]
    _job(world)
    with pytest.raises(Conflict):
        printers.remove_printer(app, admin, "gp-1")
    with pytest.raises(NotFound):
        printers.remove_printer(app, admin, "spare")


def test_a_template_whole_and_its_preview_by_name(world: PrintWorld, globex) -> None:  # type: ignore[no-untyped-def]
    app, admin = world.app, world.org.admin
    shown = template_store.show_template(app, admin, TEXT_TEMPLATE)
    assert (shown.name, shown.kind, shown.builtin) == (TEXT_TEMPLATE, "label", False)
    assert [v.version for v in shown.versions] == [shown.current_version]
    assert shown.layout["name"] == TEXT_TEMPLATE and shown.layout["elements"]
    with pytest.raises(NotFound):
        template_store.show_template(app, globex.admin, TEXT_TEMPLATE)
    slip = preview.preview_named(app, admin, "packing-slip-a4")
    assert slip.png.startswith(b"\x89PNG") and slip.kind == "packing_slip"
    label = preview.preview_named(app, admin, TEXT_TEMPLATE, order_number="A-1")
    assert (label.sample, label.waybill) == (False, NUMBERS["A-1"])


def test_the_carrier_plugins(world: PrintWorld, acme) -> None:  # type: ignore[no-untyped-def]
    found = {c.name: c for c in carrier_accounts.list_carriers(world.app, world.org.admin)}
    assert {"manual", "pinduoduo-waybill"} <= set(found)
    assert found["manual"].supports_cancel is False
    with pytest.raises(PermissionDenied):
        carrier_accounts.list_carriers(world.app, acme.staff("reader", "read_only"))


def test_a_quiet_job_is_yielded_again_as_a_heartbeat(world: PrintWorld) -> None:
    job_id = _job(world)
    runner.pause_job(world.app, world.org.admin, job_id)
    found = watch.watch_job(
        world.app, world.org.admin, job_id, interval=0.02, timeout=0.5, heartbeat=0.1
    )
    seen = list(found)
    assert len(seen) >= 3 and all(d is seen[0] for d in seen)  # nothing new: the same one
    assert seen[0].status == "paused"
