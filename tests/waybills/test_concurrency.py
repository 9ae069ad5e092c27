"""Allocations racing each other and a slow or lossy gateway, on SQLite and PostgreSQL.

Two allocations of the same packages at once (each with its own engine, as two processes
would have) end with one waybill per package; a claim that expired while its holder was
still waiting for the gateway, and answers the gateway processed but never delivered,
both end with the number the platform issued — never a second one, never an orphan."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from core.models import Package, Waybill
from core.startup import open_app
from core.waybills import allocation
from core.waybills.store import CLAIM_SECONDS
from tests.waybills.rig import app_for, platform_settings


def run_in_thread(name: str, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    box: dict[str, object] = {}

    def target() -> None:
        try:
            box["result"] = fn(*args, **kwargs)
        except BaseException as exc:  # surfaced by the caller
            box["error"] = exc

    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    return thread, box


def wait_for(condition, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.01)


def test_two_allocations_at_once_give_one_waybill_each(rig, settings) -> None:
    package_ids = rig.packages(count=20)
    account = rig.account("YTO")
    apps = [app_for(settings, rig.server) for _ in range(2)]
    barrier = threading.Barrier(2)

    def allocate(app):  # type: ignore[no-untyped-def]
        barrier.wait()
        return allocation.allocate(app, rig.org.admin, package_ids, account.name)

    try:
        runs = [run_in_thread(f"allocator-{n}", allocate, app) for n, app in enumerate(apps)]
        for thread, _ in runs:
            thread.join(60)
    finally:
        for app in apps:
            app.close()
    reports = [box["result"] for _, box in runs]
    by_package: dict[int, list[str]] = defaultdict(list)
    for report in reports:
        for outcome in report.outcomes:
            by_package[outcome.package_id].append(outcome.outcome)
    for package_id in package_ids:
        outcomes = sorted(by_package[package_id])
        assert outcomes.count("allocated") == 1, (package_id, outcomes)
        assert set(outcomes) <= {"allocated", "busy", "kept"}
    assert not any(r.compensated for r in reports)
    assert sorted(rig.active_by_package().values()) == [1] * 20
    platform = rig.platform_waybills()
    assert len(platform) == 20 and set(platform.values()) == {"allocated"}
    rig.assert_ledgers_agree()
    again = allocation.allocate(rig.app, rig.org.admin, package_ids, account.name)
    assert [o.outcome for o in again.outcomes] == ["kept"] * 20


def real_now(frozen_clock: list) -> datetime:
    frozen_clock[0] = datetime.now(UTC).replace(microsecond=0)
    return frozen_clock[0]


def test_a_claim_that_expired_while_the_gateway_was_slow(rig, frozen_clock) -> None:
    real_now(frozen_clock)
    package_ids = rig.packages(count=10)
    account = rig.account("YTO")
    rig.sandbox.set_faults("timeout=1.0@pdd.waybill.get,delay=2")
    slow, box = run_in_thread(
        "slow", allocation.allocate, rig.app, rig.org.admin, package_ids, account.name
    )
    wait_for(lambda: len(rig.platform_waybills()) == 10)  # processed, answer held back
    rig.sandbox.set_faults("")
    frozen_clock[0] += timedelta(seconds=CLAIM_SECONDS + 1)  # the slow one's claim expires
    fast = allocation.allocate(rig.app, rig.org.admin, package_ids, account.name)
    slow.join(30)
    late = box["result"]
    # Whoever stored first allocated; the other found the very same numbers stored.
    numbers = {o.package_id: o.number for o in fast.outcomes}
    assert {o.package_id: o.number for o in late.outcomes} == numbers
    assert sorted(o.outcome for r in (fast, late) for o in r.outcomes) == (
        ["allocated"] * 10 + ["kept"] * 10
    )
    assert not fast.compensated and not late.compensated
    platform = rig.platform_waybills()
    assert set(platform) == set(numbers.values()) and set(platform.values()) == {"allocated"}
    rig.assert_ledgers_agree()


def test_a_package_held_while_its_waybill_was_drawn_gets_it_cancelled(rig) -> None:
    package_ids = rig.packages(count=3)
    account = rig.account("YTO")
    rig.sandbox.set_faults("timeout=1.0@pdd.waybill.get,delay=1.5")
    thread, box = run_in_thread(
        "drawer", allocation.allocate, rig.app, rig.org.admin, package_ids, account.name
    )
    wait_for(lambda: len(rig.platform_waybills()) == 3)
    rig.sandbox.set_faults("")
    with rig.app.tx() as session:  # the warehouse stops the first package meanwhile
        held = session.get(Package, package_ids[0])
        held.status, held.hold_reason = "on_hold", "buyer asked to change the address"
    thread.join(30)
    report = box["result"]
    assert [o.outcome for o in report.outcomes] == ["failed", "allocated", "allocated"]
    assert "on_hold" in report.outcomes[0].error and "changed while" in report.outcomes[0].error
    assert len(report.compensated) == 1
    platform = rig.platform_waybills()
    assert sorted(platform.values()) == ["allocated", "allocated", "cancelled"]
    assert rig.our_waybills() == platform  # the voided number is recorded as cancelled
    rig.assert_ledgers_agree()


def test_answers_lost_in_transit_are_retried_with_the_same_object_ids(
    rig, settings, frozen_clock
) -> None:
    """The gateway processes some requests and never delivers the answer in time: the
    client retries with the same object ids and gets the numbers already issued."""
    real_now(frozen_clock)
    package_ids = rig.packages(count=20)
    account = rig.account("YTO")
    knobs = {**platform_settings(rig.server), "read_timeout": 0.5, "max_attempts": 6}
    lossy_app = open_app(replace(settings, platforms={"pinduoduo": knobs}))
    rig.sandbox.set_faults("timeout=0.6@pdd.waybill.get,delay=0.8,seed=4")
    try:
        report = allocation.allocate(lossy_app, rig.org.admin, package_ids, account.name)
        lost = rig.sandbox.faults.counts["timeout"]
    finally:
        rig.sandbox.set_faults("")
        lossy_app.close()
    done = report.allocated
    retry = allocation.allocate(rig.app, rig.org.admin, package_ids, account.name)
    assert len(done) + len(retry.allocated) == 20
    assert len(rig.platform_waybills()) == 20  # one number per package, however many tries
    rig.assert_ledgers_agree()
    with rig.app.tx() as session:
        assert session.query(Waybill).count() == 20
    assert lost >= 2  # answers really were lost (seeded: the same every run)
