"""Stock through the daily flow, against the sandbox gateway: synced orders map to the
merchant's SKUs, approval reserves them, a print job prints their labels, the pack
station scans the SKUs' barcodes, and confirming the shipment deducts them — levels equal
to the ledger at every step."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from sqlalchemy import select

from core.auditing import decisions
from core.models import Order, OrderLine
from core.orders import packages
from core.printing import runner
from core.printing.jobs import create_job
from core.shipback.confirm import confirm_ready
from core.shipping.pack_station import open_station
from core.shipping.settings import update_settings
from core.stock import catalogue, levels, mapping, operations, warehouses
from core.stock.mapping import Part
from core.stock.operations import Line
from tests.shipback.rig import ShipRig

STOCK = 50


def test_synced_orders_reserve_on_approval_and_deduct_when_shipped(
    rig: ShipRig, tmp_path: Path
) -> None:
    app, admin = rig.app, rig.org.admin
    update_settings(app, admin, require_verification=True)
    warehouses.add_warehouse(app, admin, "主仓")
    catalogue.add_sku(app, admin, "SEED")  # the org keeps stock from now on
    drawn = rig.ready(3)  # synced through the real client, packed, waybills drawn
    numbers = rig.numbers_of(list(drawn))

    waiting = mapping.unmapped(app, admin)
    assert waiting and {u.platform for u in waiting} == {"pinduoduo"}
    codes = {}
    for n, found in enumerate(waiting):
        code = f"M-{n:03d}"
        catalogue.add_sku(app, admin, code, found.title[:40], barcode=f"690000000{n:04d}")
        mapping.map_platform_sku(app, admin, "pinduoduo", found.platform_sku_id, [Part(code)])
        codes[found.platform_sku_id] = code
    assert mapping.unmapped(app, admin) == []
    operations.receive(app, admin, [Line(code, STOCK) for code in codes.values()])

    with app.tx() as session:  # what the three orders need, per merchant SKU
        need = Counter[str]()
        for sku_key, quantity in session.execute(
            select(OrderLine.platform_sku_id, OrderLine.quantity)
            .join(Order, Order.id == OrderLine.order_id)
            .where(Order.platform_order_no.in_(numbers))
        ):
            need[codes[sku_key]] += quantity

    def stock() -> dict[str, tuple[int, int]]:
        return {
            lv.code: (lv.on_hand, lv.reserved)
            for lv in levels.list_levels(app, admin)
            if lv.code in need
        }

    decisions.approve(app, admin, numbers)
    assert stock() == {code: (STOCK, q) for code, q in need.items()}

    rig.text_template()  # the labels printed by a real job, to PDF files
    (tmp_path / "labels").mkdir()
    rig.printer("pdf", "file", "pdf", settings={"folder": str(tmp_path / "labels")})
    order_ids = list(packages.packages_for_orders(app, admin, numbers).values())
    job = create_job(app, admin, order_ids, ["pdf"], carrier_account=rig.carrier().name)
    ran = runner.run_job(app, admin, job.job_id, render_processes=0)
    assert rig.item_states(job.job_id) == {"done": 3}, ran
    assert {rig.package_status(p) for p in drawn} == {"printed"}
    assert stock() == {code: (STOCK, q) for code, q in need.items()}  # printing moves none

    station = open_station(app, admin)
    scanned = Counter[str]()
    for number in drawn.values():
        loaded = station.scan(number)
        assert loaded.kind == "package", loaded.message
        for item in loaded.items:
            assert item.code.startswith("690000000"), item  # the SKU's barcode
            for _ in range(item.expected):
                assert station.scan(item.code).ok
            scanned[item.spec] += item.expected
    assert scanned == need

    shipped = confirm_ready(app, admin, status="verified")
    assert sorted(shipped.confirmed) == sorted(drawn)
    assert stock() == {code: (STOCK - q, 0) for code, q in need.items()}
    assert levels.verify(app, admin) == []
