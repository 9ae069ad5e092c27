"""The pack station (扫描验货): a waybill, then its items, until the package is verified;
holds refused loudly before any item; wrong items and excess refused; on both backends."""

from __future__ import annotations

import pytest

from core.accounts import audit
from core.desk import holds
from core.errors import PermissionDenied
from core.orders import packages
from core.shipping.pack_station import open_station
from core.shipping.settings import show_settings, update_settings, verification_required
from core.shipping.tracking import set_tracking_number
from core.waybills import allocation
from core.waybills.query import list_waybills
from tests.shipping.conftest import LID, ShipWorld, make_world


def labelled(world: ShipWorld, number: str, *lines) -> tuple[str, int]:  # type: ignore[no-untyped-def]
    order = world.order(*lines)
    result = set_tracking_number(world.app, world.admin, number, "顺丰", order_number=order)
    return order, result.package_id


def status_of(world: ShipWorld, package_id: int) -> str:
    return packages.get_package(world.app, world.admin, package_id).status


def test_scanning_every_item_verifies_the_package(world: ShipWorld) -> None:
    order, package = labelled(world, "SF1000000000001")
    station = open_station(world.app, world.admin)
    answer = station.scan("sf1000000000001\n")
    assert (answer.ok, answer.kind, answer.package_id, answer.order_numbers) == (
        True,
        "package",
        package,
        (order,),
    )
    assert [(i.code, i.expected, i.scanned) for i in answer.items] == [
        ("CUP-R", 2, 0),
        ("LID", 1, 0),
    ]
    assert [station.scan(c).kind for c in ("cup-r", "LID")] == ["item", "item"]
    excess = station.scan("LID")
    assert (excess.ok, excess.kind, excess.loud) == (False, "excess", True)
    assert "LID 杯盖 — 应 1，已扫 1 / expected 1, scanned 1" in excess.message
    wrong = station.scan("MUG-9")
    assert (wrong.ok, wrong.kind) == (False, "wrong_item")
    assert "not in package" in wrong.message and "CUP-R 1/2" in wrong.message
    assert status_of(world, package) == "waybill_allocated"  # nothing written yet
    done = station.scan("CUP-R")
    assert (done.ok, done.kind) == (True, "verified")
    assert status_of(world, package) == "verified"
    (event,) = audit.list_events(world.app, world.admin, action="package.verify")
    assert event.target_id == str(package) and event.after["items"] == {"CUP-R": 2, "LID": 1}
    again = station.scan("SF1000000000001")
    assert (again.ok, again.kind) == (False, "refused") and "already verified" in again.message


def test_a_package_on_hold_is_refused_before_any_item(world: ShipWorld) -> None:
    _, package = labelled(world, "SF1000000000001")
    world.set_package(
        package, status="on_hold", hold_reason="退款中，拦截 / refund started after printed"
    )
    station = open_station(world.app, world.admin)
    answer = station.scan("SF1000000000001")
    assert (answer.ok, answer.kind, answer.loud, answer.items) == (False, "hold", True, ())
    assert "已拦截，请勿发货" in answer.message and "refund started after printed" in answer.message
    assert station.scan("CUP-R").kind == "unknown"  # no package on the station
    # an order held before the hold reached its package: refused too
    order, _ = labelled(world, "SF1000000000002")
    holds.hold_orders(world.app, world.admin, [order], reason="买家要求改地址")
    held = station.scan("SF1000000000002")
    assert held.kind == "hold" and "买家要求改地址" in held.message


def test_a_hold_arriving_while_scanning_stops_the_verification(world: ShipWorld) -> None:
    order, package = labelled(world, "SF1000000000001", LID)
    station = open_station(world.app, world.admin)
    assert station.scan("SF1000000000001").ok
    holds.hold_orders(world.app, world.admin, [order], reason="退款中")
    answer = station.scan("LID")
    assert (answer.ok, answer.kind, answer.loud) == (False, "hold", True)
    assert status_of(world, package) == "on_hold"  # held with its order, never verified


def test_cancelled_waybills_and_half_scanned_packages(world: ShipWorld) -> None:
    _, first = labelled(world, "SF1000000000001")
    _, second = labelled(world, "SF1000000000002", LID)
    (waybill,) = list_waybills(world.app, world.admin, number="SF1000000000001")
    station = open_station(world.app, world.admin)
    assert station.scan("SF1000000000001").ok
    assert station.scan("CUP-R").kind == "item"
    switched = station.scan("SF1000000000002")
    assert (switched.ok, switched.package_id, switched.abandoned) == (True, second, first)
    assert "未验完" in switched.message and "left unverified" in switched.message
    assert station.scan("LID").kind == "verified"
    allocation.cancel(world.app, world.admin, [waybill.id], "wrong parcel")
    voided = station.scan("SF1000000000001")
    assert (voided.ok, voided.kind, voided.loud) == (False, "refused", True)
    assert "已作废" in voided.message
    assert station.scan("NOPE123").kind == "unknown"


def test_permissions_other_orgs_and_the_setting(world: ShipWorld, globex) -> None:  # type: ignore[no-untyped-def]
    labelled(world, "SF1000000000001")
    viewer = world.org.staff("viewer", "只读")
    with pytest.raises(PermissionDenied):
        open_station(world.app, viewer)
    packer = world.org.staff("packer", "仓库管理员")
    assert open_station(world.app, packer).scan("SF1000000000001").ok
    other = make_world(world.app, globex, platform_shop_id="7001")
    assert open_station(world.app, other.admin).scan("SF1000000000001").kind == "unknown"
    assert show_settings(world.app, viewer).require_verification is False
    with pytest.raises(PermissionDenied):
        update_settings(world.app, viewer, require_verification=True)
    assert update_settings(world.app, world.admin, require_verification=True).require_verification
    with world.app.tx() as session:
        assert verification_required(session, world.org.org_id) is True
        assert verification_required(session, globex.org_id) is False
    update_settings(world.app, world.admin, require_verification=False)
    with world.app.tx() as session:
        assert verification_required(session, world.org.org_id) is False


def test_with_a_catalogue_the_goods_are_scanned_by_their_barcodes(world: ShipWorld) -> None:
    """Lines become the merchant SKUs they map to (a bundle opens into its parts), each
    scanned by its barcode or its code; the listing's own code no longer counts."""
    from sqlalchemy import update

    from core.desk import manual
    from core.models import OrderLine
    from core.stock import catalogue, mapping
    from core.stock.mapping import Part
    from tests.shipping.conftest import CUP

    app, admin = world.app, world.admin
    catalogue.add_sku(app, admin, "CUP-R", "保温杯", barcode="6901234567892")
    catalogue.add_sku(app, admin, "LID", "杯盖")  # no barcode: scanned by its code
    mapping.map_platform_sku(app, admin, "pinduoduo", "sku-9", [Part("CUP-R"), Part("LID", 2)])
    gift = manual.ManualLine("礼盒", "GIFT", 1, "59.00")
    _order, package = labelled(world, "SF1000000000077", CUP, gift)
    with app.tx() as session:  # as a synced order carries it
        session.execute(
            update(OrderLine).where(OrderLine.outer_id == "GIFT").values(platform_sku_id="sku-9")
        )

    station = open_station(app, admin)
    loaded = station.scan("SF1000000000077")
    assert [(i.code, i.title, i.spec, i.expected) for i in loaded.items] == [
        ("6901234567892", "保温杯", "CUP-R", 3),  # 2 cups + the bundle's one
        ("LID", "杯盖", "LID", 2),
    ]
    assert station.scan("GIFT").kind == "wrong_item"  # the listing is not a thing to pack
    assert [station.scan(c).kind for c in ("6901234567892", "cup-r", "LID", "lid")] == [
        "item",
        "item",
        "item",
        "item",
    ]
    done = station.scan("6901234567892")
    assert (done.kind, status_of(world, package)) == ("verified", "verified")
    (event,) = audit.list_events(app, admin, action="package.verify")
    assert event.after["items"] == {"6901234567892": 3, "LID": 2}


def test_a_station_kept_by_the_front_end_scan_by_scan(world: ShipWorld) -> None:
    """`scan_once`: the HTTP API's station, carried between scans as `StationState`."""
    from core.errors import ValidationError
    from core.shipping.pack_station import StationState, scan_once

    order, package = labelled(world, "SF1000000000001")
    first = scan_once(world.app, world.admin, "SF1000000000001")
    assert (first.answer.kind, first.station) == ("package", StationState("SF1000000000001", {}))
    step = scan_once(world.app, world.admin, "cup-r", first.station)
    assert step.answer.kind == "item" and step.station.scanned == {"CUP-R": 1}
    step = scan_once(world.app, world.admin, "LID", step.station)
    assert step.station.scanned == {"CUP-R": 1, "LID": 1}
    excess = scan_once(world.app, world.admin, "LID", step.station)
    assert (excess.answer.kind, excess.station) == ("excess", step.station)
    assert status_of(world, package) == "waybill_allocated"
    for scanned in ({"MUG-9": 1}, {"LID": 2}, {"CUP-R": 2, "LID": 1}):
        with pytest.raises(ValidationError, match="station"):
            scan_once(world.app, world.admin, "CUP-R", StationState("SF1000000000001", scanned))
    done = scan_once(world.app, world.admin, "CUP-R", step.station)
    assert (done.answer.kind, done.station) == ("verified", None)
    assert status_of(world, package) == "verified"

    # A hold between two scans: the package does not go back on the station, loudly.
    order, package = labelled(world, "SF1000000000002")
    first = scan_once(world.app, world.admin, "SF1000000000002")
    holds.hold_orders(world.app, world.admin, [order], reason="退款中")
    held = scan_once(world.app, world.admin, "CUP-R", first.station)
    assert (held.answer.kind, held.answer.loud, held.station) == ("hold", True, None)
    with pytest.raises(PermissionDenied):
        scan_once(world.app, world.org.staff("kuaiji", "finance"), "SF1000000000002")
