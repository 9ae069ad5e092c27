"""Waybill allocation through the real pinduoduo-waybill carrier against the sandbox
gateway, on SQLite and PostgreSQL: batches, idempotence, re-allocation, cancel, per-package
errors, pattern warnings, permissions and audit."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core.accounts import audit
from core.errors import Conflict, PermissionDenied, ValidationError
from core.models import Package, Shop, Waybill
from core.waybills import allocation as waybills
from core.waybills import carrier_accounts, request_epoch
from core.waybills.query import list_waybills, mark_printed
from tests.progress_watch import Recorder


def test_allocates_in_batches_of_ten_and_stores_print_data(rig) -> None:
    package_ids = rig.packages(count=21)
    account = rig.account("YTO")
    report = waybills.allocate(rig.app, rig.org.admin, package_ids, account.name)
    assert [o.outcome for o in report.outcomes] == ["allocated"] * 21
    assert [o.package_id for o in report.outcomes] == package_ids
    assert not report.failed and not report.warnings and not report.compensated
    numbers = {o.number for o in report.outcomes}
    assert len(numbers) == 21 and all(n.startswith("YT") for n in numbers)
    platform = rig.platform_waybills()
    assert set(platform) == numbers and set(platform.values()) == {"allocated"}
    with rig.app.tx() as session:
        rows = session.scalars(select(Waybill).order_by(Waybill.id)).all()
        statuses = set(session.scalars(select(Package.status)))
    assert statuses == {"waybill_allocated"}
    # print_data is kept verbatim (the platform's encrypted JSON string), encrypted at rest
    first = rows[0]
    assert isinstance(first.print_data, str) and '"encryptedData"' in first.print_data
    sealed = rig.sandbox.waybills.waybills[first.number].print_data
    assert first.print_data == sealed
    with rig.app.engine.connect() as conn:
        raw = conn.exec_driver_sql("SELECT print_data FROM waybills LIMIT 1").scalar()
    assert "encryptedData" not in raw
    # object_id = <installation epoch>-<package id>: the carrier saw our package ids
    with rig.app.tx() as session:
        epoch = request_epoch.current(session)
    assert re.fullmatch(r"[0-9a-f]{8}", epoch)
    objects = {w.object_id for w in rig.sandbox.waybills.waybills.values()}
    assert objects == {f"{epoch}-{p}" for p in package_ids}


def test_allocation_is_idempotent(rig) -> None:
    package_ids = rig.packages(count=12)
    account = rig.account("ZTO", branch_code=_zto_branch(rig))
    first = waybills.allocate(rig.app, rig.org.admin, package_ids[:5], account.id)
    second = waybills.allocate(rig.app, rig.org.admin, package_ids, account.id)
    kept = {o.package_id: o.number for o in second.kept}
    assert kept == {o.package_id: o.number for o in first.outcomes}
    assert {o.package_id for o in second.allocated} == set(package_ids[5:])
    third = waybills.allocate(rig.app, rig.org.admin, package_ids, account.id)
    assert [o.outcome for o in third.outcomes] == ["kept"] * 12
    assert len(rig.platform_waybills()) == 12  # no second number was ever drawn
    rig.assert_ledgers_agree()


def _zto_branch(rig) -> str:
    subs = carrier_accounts.subscriptions(
        rig.app, rig.org.admin, carrier="pinduoduo-waybill", shop_id=rig.bind(), wp_code="ZTO"
    )
    assert len(subs) == 2  # the sandbox gives ZTO two branches
    return subs[1].branch_code


def test_reallocation_cancels_the_old_waybill_first(rig) -> None:
    package_ids = rig.packages(count=3)
    account = rig.account("YTO")
    first = waybills.allocate(rig.app, rig.org.admin, package_ids, account.name)
    with rig.app.tx() as session:
        mark_printed(session, first.outcomes[0].waybill_id)
    with pytest.raises(ValidationError, match="reason"):
        waybills.reallocate(rig.app, rig.org.admin, package_ids[:2], account.name, reason=" ")
    report = waybills.reallocate(
        rig.app, rig.org.admin, package_ids[:2], account.name, reason="label torn"
    )
    assert [o.outcome for o in report.allocated] == ["allocated"] * 2
    assert [c.outcome for c in report.cancelled] == ["cancelled"] * 2
    old = {o.number for o in first.outcomes[:2]}
    new = {o.number for o in report.allocated}
    assert old.isdisjoint(new)
    platform = rig.platform_waybills()
    assert {platform[n] for n in old} == {"cancelled"}
    assert {platform[n] for n in new} == {"allocated"}
    # the carrier saw a fresh object_id for the second waybill of a package
    with rig.app.tx() as session:
        epoch = request_epoch.current(session)
    assert rig.sandbox.waybills.waybills[report.allocated[0].number].object_id == (
        f"{epoch}-{package_ids[0]}-2"
    )
    rig.assert_ledgers_agree()
    events = _events(rig, "waybill.reallocate")
    assert len(events) == 2 and {e.detail for e in events} == {"label torn"}
    assert {e.before["status"] for e in events} == {"printed", "allocated"}


def _events(rig, action: str) -> list:
    with rig.app.tx() as session:
        return audit.events(session, rig.org.org_id, action=action)


def test_cancel_recycles_and_puts_the_package_back(rig) -> None:
    package_ids = rig.packages(count=2)
    account = rig.account("YTO")
    report = waybills.allocate(rig.app, rig.org.admin, package_ids, account.name)
    first = report.outcomes[0]
    outcomes = waybills.cancel(rig.app, rig.org.admin, [first.waybill_id], "order merged")
    assert [o.outcome for o in outcomes] == ["cancelled"]
    assert rig.platform_waybills()[first.number] == "cancelled"
    again = waybills.cancel(rig.app, rig.org.admin, [first.waybill_id])
    assert [o.outcome for o in again] == ["already"]
    with rig.app.tx() as session:
        assert session.get(Package, first.package_id).status == "new"
    # a new allocation for it draws a new number under a new object id
    fresh = waybills.allocate(rig.app, rig.org.admin, package_ids, account.name)
    assert [o.outcome for o in fresh.outcomes] == ["allocated", "kept"]
    assert fresh.outcomes[0].number != first.number
    rig.assert_ledgers_agree()


def test_a_bad_package_fails_alone_and_the_batch_goes_on(rig) -> None:
    plain = rig.order_numbers()[:6]
    risky = rig.order_numbers(risky=True)[:1]
    other_shop = rig.order_numbers(index=1)[:1]
    package_ids = rig.packages(numbers=plain[:3] + risky + plain[3:])
    package_ids += rig.packages(index=1, numbers=other_shop)
    account = rig.account("YTO")  # on shop 0: shop 1's order is not this shop's
    report = waybills.allocate(rig.app, rig.org.admin, package_ids, account.name)
    outcome = {o.package_id: o for o in report.outcomes}
    assert outcome[package_ids[3]].outcome == "failed"
    assert "no receiver name" in outcome[package_ids[3]].error
    assert outcome[package_ids[-1]].outcome == "failed"
    assert "订单不属于当前店铺" in outcome[package_ids[-1]].error  # the gateway's own words
    assert len(report.allocated) == 6
    rig.assert_ledgers_agree()


def test_numbers_that_do_not_match_the_pattern_are_stored_with_a_warning(rig) -> None:
    # The sandbox issues 13-digit Yunda numbers; the community pattern expects 15 (or 5+12).
    package_ids = rig.packages(count=2)
    account = rig.account("YUNDA")
    report = waybills.allocate(rig.app, rig.org.admin, package_ids, account.name)
    assert len(report.allocated) == 2
    assert all("does not look like a YUNDA number" in w for w in report.warnings)
    listed = list_waybills(rig.app, rig.org.admin)
    assert all(w.warning for w in listed)
    yto = waybills.allocate(rig.app, rig.org.admin, rig.packages(count=3)[2:], rig.account().id)
    assert yto.allocated and not yto.warnings


def test_balance_runs_out_midway(rig) -> None:
    package_ids = rig.packages(count=8)
    account = rig.account("JTSD")
    branch = rig.sandbox.waybills.branches(rig.owner(), "JTSD")[0]
    branch.quantity = 5
    report = waybills.allocate(rig.app, rig.org.admin, package_ids, account.name)
    assert len(report.allocated) == 5 and len(report.failed) == 3
    assert all("余额不足" in o.error for o in report.failed)
    subs = carrier_accounts.subscriptions(rig.app, rig.org.admin, account=account.name)
    assert subs[0].remaining == 0
    rig.assert_ledgers_agree()


def test_permissions_and_tenancy(rig, globex) -> None:
    package_ids = rig.packages(count=2)
    account = rig.account("YTO")
    finance = rig.org.staff("cashier", "finance")
    with pytest.raises(PermissionDenied, match=r"print\.run"):
        waybills.allocate(rig.app, finance, package_ids, account.name)
    printer = rig.org.staff("printer", "print_operator")
    report = waybills.allocate(rig.app, printer, package_ids, account.name)
    assert len(report.allocated) == 2
    with pytest.raises(PermissionDenied, match=r"print\.reprint"):
        waybills.reallocate(rig.app, printer, package_ids, account.name, reason="again")
    with rig.app.tx() as session:
        mark_printed(session, report.outcomes[0].waybill_id)
    cancelled = waybills.cancel(rig.app, printer, [o.waybill_id for o in report.outcomes])
    assert cancelled[0].outcome == "failed" and "print.reprint" in cancelled[0].error
    assert cancelled[1].outcome == "cancelled"
    # another org sees neither the account nor the packages
    with pytest.raises(Exception, match="no carrier account"):
        waybills.allocate(rig.app, globex.admin, package_ids, account.name)
    assert list_waybills(rig.app, globex.admin) == []
    events = _events(rig, "waybill.allocate")
    assert events and events[0].actor_label == "printer"


def test_account_creation_checks_subscription_and_resolves_logistics_id(rig) -> None:
    jt = rig.account("JTSD")
    assert (jt.logistics_company_id, jt.logistics_company_name) == ("384", "极兔速递")
    assert jt.branch_code and jt.sender.province  # the branch's shipping address
    assert rig.account("YTO").logistics_company_id == "85"
    with pytest.raises(ValidationError, match="no SF waybill subscription"):
        rig.account("SF")
    with pytest.raises(ValidationError, match="2 branches"):
        rig.account("ZTO")
    with pytest.raises(Conflict, match="already exists"):
        rig.account("YTO")


def test_a_token_that_expires_mid_allocation_is_refreshed_once(rig) -> None:
    package_ids = rig.packages(count=21)
    account = rig.account("YTO")
    with rig.app.tx() as session:
        before = session.get(Shop, account.shop_id).credentials["access_token"]
    rig.sandbox.set_faults("token_expiry=2")  # the token dies after two calls with it
    try:
        report = waybills.allocate(rig.app, rig.org.admin, package_ids, account.name)
    finally:
        rig.sandbox.set_faults("")
    assert [o.outcome for o in report.outcomes] == ["allocated"] * 21
    with rig.app.tx() as session:
        after = session.get(Shop, account.shop_id).credentials["access_token"]
    assert after != before  # refreshed through the shop's refresh token, then retried
    assert len(rig.platform_waybills()) == 21
    rig.assert_ledgers_agree()


def test_progress_counts_packages_batch_by_batch(rig) -> None:
    package_ids = rig.packages(count=21)
    account = rig.account("YTO")
    watcher = Recorder()
    waybills.allocate(rig.app, rig.org.admin, package_ids[:5], account.name)
    waybills.allocate(rig.app, rig.org.admin, package_ids, account.name, progress=watcher)
    (task,) = watcher.tasks()
    assert task[0] == ("start", 21, "packages", f"waybills from {account.name}", 0)
    assert [call[1] for call in task[1:-1]] == [10, 10, 1]  # the carrier's batches of ten
    assert task[-2][2] == {"allocated": 16, "kept": 5, "failed": 0}
    assert task[-1] == ("finish",)

    again = Recorder()
    waybills.reallocate(
        rig.app, rig.org.admin, package_ids[:3], account.name, reason="torn", progress=again
    )
    cancelling, drawing = again.tasks()
    assert cancelling[0][1:4] == (3, "packages", f"cancelling old waybills ({account.name})")
    assert cancelling[1:] == [("advance", 3, {"ready": 3}), ("finish",)]
    assert drawing[-2:] == [
        ("advance", 3, {"allocated": 3, "kept": 0, "failed": 0}),
        ("finish",),
    ]
