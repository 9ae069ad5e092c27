"""自动分配: the org's assignment rules, which choose an order's carrier account and
template (by region, shop, weight, SKU or tag, or a default), and the manual override.

- `rules`: conditions, validation and matching (pure);
- `service`: the org's rule list (add, change, move, remove);
- `assigning`: applying the rules to orders, assigning by hand, and what printing asks.

Modules are imported by name; this package re-exports nothing.
"""
