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
    reports,
    shipments,
    shops,
    skus,
    stock,
    sync,
    tags,
    users,
    warehouses,
)

REGISTRY = Registry()
for _module in (
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
    reports,
    skus,
    stock,
    users,
    warehouses,
):
    for _op in _module.OPERATIONS:
        REGISTRY.add(_op)
