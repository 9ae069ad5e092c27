"""Merge against print by two sessions at once, on PostgreSQL (each with its own engine, as
two operators' processes would have): never a lost update — a waybill is drawn for exactly
the orders its package holds, every order's lines sit in exactly one live package — and
the side that loses gets one clear Conflict (or, for the print, the merged package)."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from core.errors import Conflict
from core.models import Order, Package, PackageLine, PrintJobItem, Waybill
from core.orders import merging
from core.printing.jobs import create_job
from tests.waybills.rig import app_for
from tests.waybills.test_concurrency import run_in_thread, wait_for

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.parametrize("database_url", ["postgres"], indirect=True),
]
TEXT = "label-text-76x130"
DELAYS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1.2)


def live_packages_of(rig) -> dict[int, set[str]]:  # type: ignore[no-untyped-def]
    """live package id → the order numbers in it; asserts each order line is packed once."""
    with rig.app.tx() as session:
        rows = session.execute(
            select(PackageLine.package_id, Order.platform_order_no, PackageLine.line_no)
            .join(Package, Package.id == PackageLine.package_id)
            .join(Order, Order.id == PackageLine.order_id)
            .where(Package.status != "cancelled")
        ).all()
    lines = [(number, line_no) for _, number, line_no in rows]
    assert len(lines) == len(set(lines)), "an order line is in two live packages"
    found: dict[int, set[str]] = {}
    for package_id, number, _ in rows:
        found.setdefault(package_id, set()).add(number)
    return found


def assert_no_lost_update(rig) -> None:  # type: ignore[no-untyped-def]
    """Every active waybill was drawn (at the platform) for exactly its package's orders,
    and every label item names a live package."""
    packed = live_packages_of(rig)
    ledger = rig.sandbox_order_sns()
    with rig.app.tx() as session:
        active = session.execute(
            select(Waybill.package_id, Waybill.number).where(
                Waybill.status.in_(("allocated", "printed"))
            )
        ).all()
        item_packages = set(session.scalars(select(PrintJobItem.package_id)))
    for package_id, number in active:
        assert package_id in packed, f"waybill {number} is on a cancelled package"
        assert set(ledger[number]) == packed[package_id], (number, ledger[number])
    assert item_packages <= set(packed)
    rig.assert_ledgers_agree()


def test_a_merge_while_a_print_draws_the_waybills_is_one_clear_conflict(
    rig, settings, listener
) -> None:
    rig.text_printer("gp-1", listener.port)
    orders = rig.same_receiver(2)
    account = rig.account("YTO")
    printer_app = app_for(settings, rig.server)
    rig.sandbox.set_faults("timeout=1.0@pdd.waybill.get,delay=1.5")
    try:
        thread, box = run_in_thread(
            "printer",
            create_job,
            printer_app,
            rig.org.admin,
            list(orders.values()),
            ["gp-1"],
            template=TEXT,
            carrier_account=account.name,
        )
        wait_for(lambda: len(rig.platform_waybills()) == 2)  # drawn, answer held back
        rig.sandbox.set_faults("")
        with pytest.raises(Conflict) as raised:
            merging.merge(rig.app, rig.org.admin, list(orders))
        thread.join(30)
    finally:
        rig.sandbox.set_faults("")
        printer_app.close()
    assert "a waybill is being drawn for order" in str(raised.value)
    job = box["result"]
    assert (job.total, job.allocated, job.refused) == (2, 2, [])
    assert sorted(len(o) for o in live_packages_of(rig).values()) == [1, 1]
    assert_no_lost_update(rig)
    with pytest.raises(Conflict, match="cancel its waybill first: orderhub waybill cancel"):
        merging.merge(rig.app, rig.org.admin, list(orders))


def test_merge_and_print_racing_never_lose_an_update(rig, settings, listener) -> None:
    rig.text_printer("gp-1", listener.port)
    orders = rig.same_receiver(2 * len(DELAYS))
    assert len(orders) == 2 * len(DELAYS)
    numbers = list(orders)
    account = rig.account("YTO")
    apps = [app_for(settings, rig.server) for _ in range(2)]
    outcomes = []
    try:
        # the merge starts later each round, so it meets the print at every step
        for round_, delay in enumerate(DELAYS):
            pair = numbers[2 * round_ : 2 * round_ + 2]
            barrier = threading.Barrier(2)

            def merge(pair=pair, barrier=barrier, delay=delay):  # type: ignore[no-untyped-def]
                barrier.wait()
                time.sleep(delay)
                return merging.merge(apps[0], rig.org.admin, pair)

            def print_(pair=pair, barrier=barrier):  # type: ignore[no-untyped-def]
                barrier.wait()
                ids = [orders[n] for n in pair]
                return create_job(
                    apps[1],
                    rig.org.admin,
                    ids,
                    ["gp-1"],
                    template=TEXT,
                    carrier_account=account.name,
                )

            runs = [run_in_thread("merge", merge), run_in_thread("print", print_)]
            for thread, _ in runs:
                thread.join(60)
            (_, merged), (_, printed) = runs
            assert "error" not in printed, printed.get("error")
            if "error" in merged:
                assert isinstance(merged["error"], Conflict), merged["error"]
                assert "waybill" in str(merged["error"]) or "label" in str(merged["error"])
                outcomes.append("conflict")
            else:
                outcomes.append("merged")
            job = printed["result"]
            packed = [p for p in live_packages_of(rig).values() if p & set(pair)]
            if outcomes[-1] == "merged":
                assert packed == [set(pair)]
                assert job.total == 1  # the merged package, or the first order's before it
            else:
                assert sorted(len(p) for p in packed) == [1, 1] and job.total == 2
            assert_no_lost_update(rig)
    finally:
        for app in apps:
            app.close()
    assert set(outcomes) <= {"merged", "conflict"}, outcomes
