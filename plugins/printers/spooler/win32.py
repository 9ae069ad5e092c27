"""The Windows spooler through pywin32's `win32print`, sending RAW (or XPS_PASS for queues
with v4 drivers, which refuse RAW; printing.md §4).

Not testable on the Linux machines this project is built and tested on: the code path is
here so Windows installs work, and is kept to the documented call sequence
(OpenPrinter → StartDocPrinter → StartPagePrinter → WritePrinter → End… → ClosePrinter).
win32print has no timeouts; the spooler answers locally and at once in practice.
"""

from __future__ import annotations

from typing import Any

from core.contracts.printer import PrinterInfo, PrinterState, PrinterStatus
from core.errors import DeviceNotFound, ExternalError

try:  # pragma: no cover - Windows only
    import win32print
except ImportError:
    win32print = None

# PRINTER_STATUS_* bits (winspool.h)
_PAUSED, _ERROR, _PAPER_OUT, _OFFLINE, _BUSY, _PRINTING, _DOOR_OPEN = (
    0x1,
    0x2,
    0x10,
    0x80,
    0x200,
    0x400,
    0x400000,
)


def win32_available() -> bool:
    return win32print is not None


class Win32Spooler:  # pragma: no cover - Windows only
    """A printer known to the Windows spooler, fed raw bytes."""

    where = "the Windows spooler"

    def _names(self) -> list[str]:
        flags = win32print.PRINTER_ENUM_LOCAL | win32print.PRINTER_ENUM_CONNECTIONS
        return [entry[2] for entry in win32print.EnumPrinters(flags)]

    def check_queue(self, queue: str, timeout: float) -> None:
        names = self._names()
        if queue not in names:
            raise DeviceNotFound(
                f"no printer {queue!r} in {self.where}; printers: {', '.join(names) or 'none'}",
                queue=queue,
            )

    def submit(self, queue: str, data: bytes, title: str, raw: bool, timeout: float) -> str:
        handle: Any = win32print.OpenPrinter(queue)
        try:
            datatype = win32print.GetPrinter(handle, 2).get("pDatatype") or "RAW"
            datatype = "XPS_PASS" if datatype == "XPS_PASS" else "RAW"
            try:
                job = win32print.StartDocPrinter(handle, 1, (title, None, datatype))
            except Exception as exc:
                raise ExternalError(
                    f"{self.where} refused a job for {queue!r}: {exc}", retryable=True
                ) from exc
            try:
                win32print.StartPagePrinter(handle)
                written = win32print.WritePrinter(handle, data)
                win32print.EndPagePrinter(handle)
            finally:
                win32print.EndDocPrinter(handle)
            if written != len(data):
                raise ExternalError(
                    f"{self.where} took {written} of {len(data)} bytes for {queue!r}",
                    retryable=False,
                    uncertain=True,
                )
            return f"{queue}-{job}"
        finally:
            win32print.ClosePrinter(handle)

    def queue_status(self, queue: str, timeout: float) -> PrinterStatus:
        handle = win32print.OpenPrinter(queue)
        try:
            status = win32print.GetPrinter(handle, 2)["Status"]
        finally:
            win32print.ClosePrinter(handle)
        for bit, state, words in (
            (_DOOR_OPEN, PrinterState.HEAD_OPEN, "door open"),
            (_PAPER_OUT, PrinterState.PAPER_OUT, "paper out"),
            (_ERROR, PrinterState.ERROR, "error"),
            (_OFFLINE, PrinterState.OFFLINE, "offline"),
            (_PAUSED, PrinterState.PAUSED, "paused"),
            (_PRINTING | _BUSY, PrinterState.BUSY, "printing"),
        ):
            if status & bit:
                return PrinterStatus(state, f"printer {queue!r}: {words}")
        return PrinterStatus(PrinterState.READY, f"printer {queue!r} is ready")

    def queues(self, timeout: float) -> list[PrinterInfo]:
        return [
            PrinterInfo(name=name, settings={"queue": name}, detail=self.where)
            for name in self._names()
        ]
