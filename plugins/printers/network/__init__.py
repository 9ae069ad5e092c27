"""The built-in `network` printer driver: raw TCP (port 9100, "AppSocket"/"JetDirect")."""

from __future__ import annotations

from core.contracts.printer import PrinterDriver
from core.hookspecs import hookimpl
from plugins.printers.network.driver import NetworkDriver

__all__ = ["NetworkDriver"]


@hookimpl
def register_printer_drivers() -> list[type[PrinterDriver]]:
    return [NetworkDriver]
