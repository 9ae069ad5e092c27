"""The API's operations, one module per resource; `REGISTRY` holds them all."""

from __future__ import annotations

from api.contract import Registry
from api.routes import (
    alerts,
    audit_trail,
    auth,
    order_actions,
    order_edits,
    orders,
    pack,
    packages,
    shipments,
    shops,
    sync,
    tags,
)

REGISTRY = Registry()
for _module in (
    auth,
    orders,
    order_edits,
    order_actions,
    tags,
    packages,
    audit_trail,
    shops,
    sync,
    pack,
    shipments,
    alerts,
):
    for _op in _module.OPERATIONS:
        REGISTRY.add(_op)
