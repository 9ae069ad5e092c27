"""The API's operations, one module per resource; `REGISTRY` holds them all."""

from __future__ import annotations

from api.contract import Registry
from api.routes import audit_trail, auth, order_actions, order_edits, orders, packages, shops, tags

REGISTRY = Registry()
for _module in (
    auth,
    orders,
    shops,
    order_edits,
    order_actions,
    tags,
    packages,
    audit_trail,
):
    for _op in _module.OPERATIONS:
        REGISTRY.add(_op)
