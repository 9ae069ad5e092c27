"""自动分配: the org's assignment rules, which choose an order's carrier account and
template (by region, shop, weight, SKU or tag, or a default), and the manual override.
Modules are imported by name; this package re-exports nothing.
"""
