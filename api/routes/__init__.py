"""The API's operations, one module per resource; `REGISTRY` holds them all."""

from __future__ import annotations

from api.contract import Registry
from api.routes import alerts, auth, orders, pack, shipments, shops, sync

REGISTRY = Registry()
for _module in (auth, orders, shops, sync, pack, shipments, alerts):
    for _op in _module.OPERATIONS:
        REGISTRY.add(_op)
