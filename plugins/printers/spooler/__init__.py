"""The built-in `spooler` printer driver: a CUPS queue (Linux, macOS) or a Windows printer."""

from __future__ import annotations

from core.contracts.printer import PrinterDriver
from core.hookspecs import hookimpl
from plugins.printers.spooler.driver import SpoolerDriver

__all__ = ["SpoolerDriver"]


@hookimpl
def register_printer_drivers() -> list[type[PrinterDriver]]:
    return [SpoolerDriver]
