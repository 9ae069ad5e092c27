"""Catalogue, warehouses and stock (issue 14).

- `catalogue`: the merchant's SKUs (code, name, barcode, weight; the cost only with
  `finance.view`).
- `warehouses`: where stock lies and parcels leave from (address, contact, the sender
  printed on labels); one is the org's default.
- `bins` / `bins_file`: where each SKU lies in each warehouse (库位), by hand or from a file.
- `routing` / `routing_rules`: which warehouse ships an order (分仓), by ordered rules.
- `mapping`: which merchant SKUs a platform SKU is (bundles too), and resolving order
  lines to them.
- `ledger`: the one write path of stock levels; every change is a `StockMove` row in the
  same transaction, so a level always equals the sum of its moves.
- `operations`: receipts (入库), counts (盘点) and transfers (调拨), with `stock.adjust`.
- `levels`: reading levels, and proving them against the ledger (`verify`).
- `reservations`: orders reserving, deducting and releasing stock in their warehouse.
"""
