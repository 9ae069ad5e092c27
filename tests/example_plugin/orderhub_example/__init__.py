"""orderhub-example-plugin: registers its classes through orderhub's hooks."""

from __future__ import annotations

from core.contracts import Notifier, PrinterDriver
from core.hookspecs import hookimpl
from orderhub_example.file_driver import FilePrinterDriver
from orderhub_example.file_notifier import FileNotifier


@hookimpl
def register_notifiers() -> list[type[Notifier]]:
    return [FileNotifier]


@hookimpl
def register_printer_drivers() -> list[type[PrinterDriver]]:
    return [FilePrinterDriver]
