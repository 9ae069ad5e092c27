"""The `manual` carrier: numbers typed or scanned, checked softly against the carriers'
patterns, recycled (not cancelled) when given up; on SQLite and PostgreSQL."""

from __future__ import annotations

from core.contracts import Contact
from core.waybills import allocation, carrier_accounts
from core.waybills.query import guess_carriers, list_waybills

SENDER = Contact(
    name="王仓管",
    phone="13800138000",
    province="浙江省",
    city="杭州市",
    district="余杭区",
    address="仓前街道1号",
)


def manual_account(rig, wp_code: str = "SF", **options):  # type: ignore[no-untyped-def]
    return carrier_accounts.create_account(
        rig.app,
        rig.org.admin,
        name=f"manual-{wp_code}",
        carrier="manual",
        wp_code=wp_code,
        sender=SENDER,
        **options,
    )


def test_typed_numbers_are_stored_with_soft_checks(rig) -> None:
    package_ids = rig.packages(count=4)
    account = manual_account(rig, platform="pinduoduo")
    assert (account.logistics_company_id, account.logistics_company_name) == ("44", "顺丰快递")
    typed = {
        package_ids[0]: " sf1 2345 6789 0123 ",  # a scanner's spaces, lower case
        package_ids[1]: "73123456789012",  # looks like ZTO, typed on an SF account
        package_ids[3]: "not a number!",
    }
    report = allocation.allocate(
        rig.app, rig.org.admin, package_ids, account.name, typed_numbers=typed
    )
    outcome = {o.package_id: o for o in report.outcomes}
    assert outcome[package_ids[0]].outcome == "allocated"
    assert (
        outcome[package_ids[0]].number == "SF1234567890123" and not outcome[package_ids[0]].warning
    )
    assert outcome[package_ids[1]].outcome == "allocated"  # stored anyway: never rejected
    assert outcome[package_ids[1]].warning == (
        "73123456789012 does not look like a SF number; it looks like ZTO"
    )
    assert outcome[package_ids[2]].outcome == "failed"
    assert "no tracking number was typed or scanned" in outcome[package_ids[2]].error
    assert outcome[package_ids[3]].outcome == "failed"
    assert "not a tracking number" in outcome[package_ids[3]].error
    assert rig.platform_waybills() == {}  # nothing went to the platform
    assert guess_carriers(rig.app, "YT1234567890123") == ["YTO"]
    assert guess_carriers(rig.app, "hello") == []


def test_a_number_is_active_on_one_package_and_can_be_typed_again_when_recycled(rig) -> None:
    package_ids = rig.packages(count=2)
    account = manual_account(rig)
    number = "SF1234567890123"
    first = allocation.allocate(
        rig.app, rig.org.admin, package_ids[:1], account.id, typed_numbers={package_ids[0]: number}
    )
    assert first.outcomes[0].outcome == "allocated"
    clash = allocation.allocate(
        rig.app, rig.org.admin, package_ids[1:], account.id, typed_numbers={package_ids[1]: number}
    )
    assert clash.outcomes[0].outcome == "failed"
    assert "already active on another package" in clash.outcomes[0].error
    # scanned on the wrong parcel: recycle it there, type it on the right one
    recycled = allocation.cancel(
        rig.app, rig.org.admin, [first.outcomes[0].waybill_id], "scanned on the wrong parcel"
    )
    assert [o.outcome for o in recycled] == ["recycled"]
    moved = allocation.allocate(
        rig.app, rig.org.admin, package_ids[1:], account.id, typed_numbers={package_ids[1]: number}
    )
    assert moved.outcomes[0].outcome == "allocated"
    statuses = sorted((w.package_id, w.status) for w in list_waybills(rig.app, rig.org.admin))
    assert statuses == [(package_ids[0], "recycled"), (package_ids[1], "allocated")]


def test_reallocating_a_manual_waybill_takes_the_new_number(rig) -> None:
    package_ids = rig.packages(count=1)
    account = manual_account(rig, "YTO")
    allocation.allocate(
        rig.app,
        rig.org.admin,
        package_ids,
        account.id,
        typed_numbers={package_ids[0]: "YT1000000000001"},
    )
    report = allocation.reallocate(
        rig.app,
        rig.org.admin,
        package_ids,
        account.id,
        reason="number smudged",
        typed_numbers={package_ids[0]: "YT1000000000002"},
    )
    assert [c.outcome for c in report.cancelled] == ["recycled"]
    assert [(o.outcome, o.number) for o in report.outcomes] == [("allocated", "YT1000000000002")]
    assert rig.active_by_package()[package_ids[0]] == 1
