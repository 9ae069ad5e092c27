"""Shipping at the warehouse: tracking numbers typed by hand (回填单号) and the pack
station (扫描验货), before ship-back tells the platform.

- `numbers`: a typed or scanned tracking number — its shape, the carrier's pattern (a
  warning, never a refusal), and which other active package already holds it;
- `targets`: from what an operator names (an order number, a package id) to the package;
- `tracking`: `set_tracking_number`, one number by hand, stored as a `Waybill` row;
- `tracking_file`: the batch file (CSV/XLSX: order or package → carrier account, number),
  validated whole before anything is written, and its template;
- `tracking_scan`: the scanner loop's state (identifier, then number), one answer per scan;
- `pack_station`: `open_station` → `PackStation.scan(code)`: a waybill, then its items,
  until the package is `verified`; a package on hold is refused before any item;
- `intercepted`: held packages whose waybill is still live (拦截件: parcels to pull), and
  recycling those waybills once a person has the parcels back;
- `settings`: the org's "shipping requires verification" switch, and
  `verification_required(session, org_id)` for ship-back.

Flow: allocate or type a number → print → `orderhub pack` (scan the waybill, then each
item) → verified → ship-back confirms it. Permission: `ship.confirm` throughout.
"""
