"""The demo's catalogue and stock: what the sandbox's shops sell, on one warehouse's shelves.

Set up before the first sync, so the orders arriving map to the SKUs by their merchant
code (`outer_id`) and those approved on arrival reserve stock at once — the demo shows the
stock screen, reservations and the reports with figures in them, as a merchant's first
day would.
"""

from __future__ import annotations

from core.actor import Actor
from core.app import App
from core.stock import catalogue, operations, warehouses
from core.stock.operations import Line
from plugins.platforms.pinduoduo.sandbox.data_catalogue import CATALOGUE

WAREHOUSE = "主仓"
PER_SKU = 60  # pieces received of each SKU: more than the demo's orders take


def stock_demo(app: App, actor: Actor) -> int:
    """A warehouse, one SKU per sandbox SKU (its name, a barcode, its code), `PER_SKU` of
    each received; the number of SKUs."""
    warehouses.add_warehouse(app, actor, WAREHOUSE)
    lines = []
    for goods in CATALOGUE:
        title = goods.name.split()[0]
        for sku in goods.skus:
            barcode = f"69{sku.sku_id % 10**11:011d}"
            catalogue.add_sku(app, actor, sku.outer_id, f"{title} {sku.spec}", barcode=barcode)
            lines.append(Line(sku.outer_id, PER_SKU))
    operations.receive(app, actor, lines, reference="演示入库")
    return len(lines)
