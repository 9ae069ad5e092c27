"""The warehouse's afternoon, end to end against the sandbox gateway: orders synced and
labelled, a refund arriving after the label (拦截), the pack station scanning every
package, ship-back confirming the verified ones and the drain telling the platform —
each order shipped once, with our number and the carrier's logistics id."""

from __future__ import annotations

from sqlalchemy import update

from core.models import Order
from core.shipback.confirm import confirm_ready
from core.shipping.pack_station import open_station
from core.shipping.settings import update_settings
from tests.shipback.rig import ShipRig

REFUND_IN_PROGRESS = 3  # refund_status 3 退款中 (protocol notes, order status)


def test_sync_print_refund_scan_confirm_drain(rig: ShipRig) -> None:
    update_settings(rig.app, rig.org.admin, require_verification=True)
    drawn = rig.ready(3, printed=True)  # package id → tracking number
    packages = list(drawn)
    numbers = rig.numbers_of(packages)
    with rig.app.tx() as session:  # approved and printed, as the desk leaves them
        session.execute(
            update(Order).where(Order.platform_order_no.in_(numbers)).values(hub_status="printed")
        )

    # The buyer of the second order asks for a refund after the label was printed; the
    # next sync brings it and holds the order and its package at once.
    refunded = numbers[1]
    rig.sandbox.refund(refunded, REFUND_IN_PROGRESS)
    rig.load_orders(numbers=[refunded])
    assert rig.order(refunded).on_hold
    assert rig.package_status(packages[1]) == "on_hold"

    station = open_station(rig.app, rig.org.admin)
    stopped = station.scan(drawn[packages[1]])
    assert (stopped.ok, stopped.kind, stopped.loud) == (False, "hold", True)
    assert "拦截" in stopped.message or "hold" in stopped.message
    for package_id in (packages[0], packages[2]):
        loaded = station.scan(drawn[package_id])
        assert loaded.ok and loaded.kind == "package", loaded.message
        last = None
        for item in loaded.items:
            for _ in range(item.expected):
                last = station.scan(item.code)
                assert last.ok, last.message
        assert last is not None and last.kind == "verified"
        assert rig.package_status(package_id) == "verified"

    # Everything verified ships; the held package is not even a candidate.
    result = confirm_ready(rig.app, rig.org.admin, status="verified")
    assert sorted(result.confirmed) == sorted([packages[0], packages[2]])
    held = rig.confirm([packages[1]])
    assert packages[1] in held.refused and held.confirmed == []

    report = rig.drain()
    assert (report.claimed, report.sent) == (2, 2)
    logistics_id = int(rig.carrier().logistics_company_id)
    for package_id in (packages[0], packages[2]):
        (sn,) = rig.numbers_of([package_id])
        wire = rig.platform_order(sn)
        assert (wire["order_status"], wire["tracking_number"], wire["logistics_id"]) == (
            2,  # 已发货待签收
            drawn[package_id],
            logistics_id,
        )
        assert rig.sends(sn) == {"calls": 1, "applied": 1}
        assert rig.package_status(package_id) == "synced"
    assert rig.sends(refunded) == {}  # never sent
    assert rig.platform_order(refunded)["order_status"] == 1
    assert rig.drain().claimed == 0
