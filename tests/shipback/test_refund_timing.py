"""A refund may arrive at any moment of the warehouse's afternoon; each moment has its
catch (issue 12): between print and scan the pack station refuses the parcel, between
scan and confirm the confirmation refuses it (and it is listed to pull), between confirm
and send the drain's fresh look at the platform holds it. The order is never sent and a
person is told. Refunds arrive through the sandbox gateway and the real sync path."""

from __future__ import annotations

from sqlalchemy import select, update

from core.models import Alert, Order
from core.shipping.intercepted import intercepted_packages
from core.shipping.pack_station import open_station
from tests.shipback.rig import ShipRig

REFUND_IN_PROGRESS = 3  # refund_status 3 退款中


def _printed(rig: ShipRig) -> tuple[int, str, str]:
    """One package printed, its order too (as the desk leaves them): (package, its
    tracking number, its order number)."""
    ((package, number),) = rig.ready(1, printed=True).items()
    (sn,) = rig.numbers_of([package])
    with rig.app.tx() as session:
        session.execute(
            update(Order).where(Order.platform_order_no == sn).values(hub_status="printed")
        )
    return package, number, sn


def _verify(rig: ShipRig, number: str) -> None:
    station = open_station(rig.app, rig.org.admin)
    loaded = station.scan(number)
    assert loaded.ok, loaded.message
    answer = None
    for item in loaded.items:
        for _ in range(item.expected):
            answer = station.scan(item.code)
    assert answer is not None and answer.kind == "verified"


def _refund_and_sync(rig: ShipRig, sn: str) -> None:
    rig.sandbox.refund(sn, REFUND_IN_PROGRESS)
    rig.load_orders(numbers=[sn])  # what the next sync pass stores
    assert rig.order(sn).on_hold


def _critical_alerts(rig: ShipRig) -> list[str]:
    with rig.app.tx() as session:
        return list(session.scalars(select(Alert.kind).where(Alert.severity == "critical")))


def test_between_print_and_scan_the_pack_station_refuses(rig: ShipRig) -> None:
    package, number, sn = _printed(rig)
    _refund_and_sync(rig, sn)
    answer = open_station(rig.app, rig.org.admin).scan(number)
    assert (answer.ok, answer.kind, answer.loud) == (False, "hold", True)
    assert [p.package_id for p in intercepted_packages(rig.app, rig.org.admin)] == [package]
    assert "order.refund_hold" in _critical_alerts(rig)
    assert rig.drain().claimed == 0 and rig.sends(sn) == {}


def test_between_scan_and_confirm_the_confirmation_refuses(rig: ShipRig) -> None:
    package, number, sn = _printed(rig)
    _verify(rig, number)
    assert rig.package_status(package) == "verified"
    _refund_and_sync(rig, sn)
    assert rig.package_status(package) == "on_hold"  # the verification does not survive
    result = rig.confirm([package])
    assert result.confirmed == [] and "on hold" in result.refused[package]
    assert [p.package_id for p in intercepted_packages(rig.app, rig.org.admin)] == [package]
    assert rig.outbox() == {} and rig.sends(sn) == {}


def test_between_confirm_and_send_the_drain_holds(rig: ShipRig) -> None:
    package, number, sn = _printed(rig)
    _verify(rig, number)
    assert rig.confirm([package]).confirmed == [package]
    rig.sandbox.refund(sn, REFUND_IN_PROGRESS)  # no sync since: only the platform knows
    report = rig.drain()
    assert (report.claimed, report.sent, report.held) == (1, 0, 1)
    assert rig.outbox()[sn].state == "held"
    assert rig.order(sn).on_hold and rig.package_status(package) == "on_hold"
    assert "shipback.held" in _critical_alerts(rig)
    assert rig.sends(sn) == {}
    assert rig.platform_order(sn)["order_status"] == 1  # still awaiting shipment there


def test_a_pending_order_with_a_waybill_drawn_is_held_too(rig: ShipRig) -> None:
    """Waybills may be drawn (and labels printed) before audit; a refund then holds the
    package like one of an audited order, and the parcel is listed to pull."""
    ((package, _),) = rig.ready(1).items()
    (sn,) = rig.numbers_of([package])
    assert rig.order(sn).hub_status == "pending"
    _refund_and_sync(rig, sn)
    assert "after its waybill was drawn" in rig.order(sn).hold_reason
    assert rig.package_status(package) == "on_hold"
    assert [p.package_id for p in intercepted_packages(rig.app, rig.org.admin)] == [package]
    (bare,) = rig.packages(0, 2)[1:]  # packed, no waybill: the refund only queues it
    (bare_sn,) = rig.numbers_of([bare])
    rig.sandbox.refund(bare_sn, REFUND_IN_PROGRESS)
    rig.load_orders(numbers=[bare_sn])
    order = rig.order(bare_sn)
    assert not order.on_hold and "refund_in_progress" in order.exception_reasons
