"""The built-in `pinduoduo-component` printer driver: the Pinduoduo print component
(拼多多打印组件), a local WebSocket agent that prints encrypted e-waybill `print_data`."""

from __future__ import annotations

from core.contracts.printer import PrinterDriver
from core.hookspecs import hookimpl
from plugins.printers.pinduoduo_component.driver import PddComponentDriver

__all__ = ["PddComponentDriver"]


@hookimpl
def register_printer_drivers() -> list[type[PrinterDriver]]:
    return [PddComponentDriver]
