"""A printer driver that appends raw document bytes to a file (a capture "printer")."""

from __future__ import annotations

from pathlib import Path
from typing import BinaryIO

from core.contracts import PrinterDriver
from core.errors import DeviceNotFound, ExternalError


class FilePrinterDriver(PrinterDriver):
    """Settings: `path` — the capture file; its directory must exist."""

    name = "example-file"
    LANGUAGES = frozenset({"tspl", "zpl", "escpos"})
    _out: BinaryIO | None = None  # opened lazily, per instance

    def open(self, timeout: float | None = None) -> None:
        if self._out is not None:
            return
        path = Path(str(self.settings.get("path", "")))
        if not path.name or not path.parent.is_dir():
            raise DeviceNotFound(f"example-file printer: no directory for {str(path)!r}")
        self._out = path.open("ab")

    def write(self, data: bytes, timeout: float | None = None) -> None:
        self.open(timeout)
        out = self._out
        if out is None:  # open() either sets it or raises
            raise DeviceNotFound("example-file printer: not open")
        try:
            out.write(data)
            out.flush()
        except OSError as exc:
            raise ExternalError(f"example-file printer: write failed: {exc}") from exc

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None
