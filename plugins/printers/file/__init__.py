"""The built-in `file` printer driver: every document becomes one file in a folder.

It is the demo's default printer and the way to look at what would have been printed
(PDF/PNG open anywhere; TSPL/ZPL/ESC-POS bytes can be replayed with `cat … > /dev/usb/lp0`).
"""

from __future__ import annotations

from core.contracts.printer import PrinterDriver
from core.hookspecs import hookimpl
from plugins.printers.file.driver import FileDriver

__all__ = ["FileDriver"]


@hookimpl
def register_printer_drivers() -> list[type[PrinterDriver]]:
    return [FileDriver]
