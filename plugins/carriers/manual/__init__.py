"""The built-in `manual` carrier: tracking numbers typed or scanned by the operator, for
carriers without an API (a local courier, a pre-printed roll of waybills)."""

from __future__ import annotations

from core.contracts.carrier import Carrier
from core.hookspecs import hookimpl
from plugins.carriers.manual.carrier import ManualCarrier

__all__ = ["ManualCarrier"]


@hookimpl
def register_carriers() -> list[type[Carrier]]:
    return [ManualCarrier]
