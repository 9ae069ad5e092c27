"""Pinduoduo e-waybills (拼多多电子面单) as a carrier plugin (`pinduoduo-waybill`).

Modules: `mapping` (pure payload ↔ core types) and `carrier` (the `Carrier` class over the
Pinduoduo platform plugin's signed transport).
"""

from __future__ import annotations

from core.contracts.carrier import Carrier
from core.hookspecs import hookimpl


@hookimpl
def register_carriers() -> list[type[Carrier]]:
    """The class is imported here so loading the plugin stays cheap until it is used."""
    from plugins.carriers.pinduoduo_waybill.carrier import PinduoduoWaybill

    return [PinduoduoWaybill]
