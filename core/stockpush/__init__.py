"""Pushing available stock to the platforms (库存同步到平台), off by default.

- `settings`: the org's switch (on/off), which shops and which warehouse count;
- `listings`: the platform SKUs each shop sells, learnt from its order lines;
- `push`: working out each listing's quantity and sending the changed ones through the
  platform plugin (`SalesPlatform.update_quantity`), remembering what went;
- `passes`: the worker's pass and `orderhub stock push`.

Why its own package above `shops` and `stock`: it needs both the shops' tokens and the
stock levels, which sit in sibling layers that may not import each other.
"""
