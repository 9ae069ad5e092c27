"""The API's operations, one module per resource; `REGISTRY` holds them all."""

from __future__ import annotations

from api.contract import Registry
from api.routes import auth, carriers, orders, print_jobs, printers, shops, templates, waybills

REGISTRY = Registry()
for _module in (auth, orders, shops, print_jobs, waybills, printers, templates, carriers):
    for _op in _module.OPERATIONS:
        REGISTRY.add(_op)
