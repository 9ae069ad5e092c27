"""The API's operations, one module per resource; `REGISTRY` holds them all (and the
OpenAPI document lists them in this order: the day's flow, then the back office)."""

from __future__ import annotations

from api.contract import Registry
from api.routes import (
    alerts,
    audit_trail,
    auth,
    carriers,
    order_actions,
    order_edits,
    orders,
    pack,
    packages,
    print_jobs,
    printers,
    reports,
    shipments,
    shops,
    skus,
    stock,
    sync,
    tags,
    templates,
    users,
    warehouses,
    waybills,
)

REGISTRY = Registry()
for _module in (
    auth,
    shops,
    sync,
    orders,
    order_edits,
    order_actions,
    tags,
    packages,
    waybills,
    print_jobs,
    printers,
    templates,
    carriers,
    pack,
    shipments,
    stock,
    skus,
    warehouses,
    reports,
    alerts,
    users,
    audit_trail,
):
    for _op in _module.OPERATIONS:
        REGISTRY.add(_op)
