"""The API's operations, one module per resource; `REGISTRY` holds them all."""

from __future__ import annotations

from api.contract import Registry
from api.routes import auth, order_actions, order_edits, orders, packages, shops, tags

REGISTRY = Registry()
for _module in (
    auth,
    orders,
    shops,
    order_edits,
    order_actions,
    tags,
    packages,
):
    for _op in _module.OPERATIONS:
        REGISTRY.add(_op)
