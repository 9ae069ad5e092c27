"""The built-in `usb` printer driver (pyusb; install the `usb` extra and libusb-1.0)."""

from __future__ import annotations

from core.contracts.printer import PrinterDriver
from core.hookspecs import hookimpl
from plugins.printers.usb.driver import UsbDriver

__all__ = ["UsbDriver"]


@hookimpl
def register_printer_drivers() -> list[type[PrinterDriver]]:
    return [UsbDriver]
