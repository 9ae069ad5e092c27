"""`SpoolerDriver`: documents go to a print queue of the operating system's spooler.

Linux and macOS: a CUPS queue, through `lp -d QUEUE -o raw` (subprocess with a timeout) or
pycups when `method` is `pycups` (or `auto` and no `lp` is installed). Windows: the
spooler through win32print, RAW. A label printer's queue should be raw (`lpadmin -p Q -E
-v socket://host:9100` with no model): CUPS then passes TSPL/ZPL/ESC-POS bytes untouched.
With `raw` false, CUPS filters the document (PDF/PNG to an office printer's driver).

The spooler accepting a job is where `write` ends: CUPS retries and reports device trouble
in the queue's state, which `status` reads.

Settings: `queue` (required to print), `server` (CUPS "host[:port]" or socket path; empty
= local), `method` (auto | lp | pycups | win32), `raw` (default true), `title` (job name
prefix, default "orderhub"), `timeout` (seconds for each spooler call).
"""

from __future__ import annotations

import itertools
import shutil
import sys
from collections.abc import Mapping
from typing import Any, ClassVar

from core.contracts.base import NO_SETTINGS, PluginServices
from core.contracts.printer import PrinterDriver, PrinterInfo, PrinterState, PrinterStatus
from core.errors import ConfigurationError, DeviceNotFound
from plugins.printers.common.settings import SettingsReader, timeout_seconds
from plugins.printers.spooler.base import Spooler
from plugins.printers.spooler.cups_lp import LpSpooler
from plugins.printers.spooler.cups_pycups import PycupsSpooler, pycups_available
from plugins.printers.spooler.win32 import Win32Spooler, win32_available

METHODS = ("auto", "lp", "pycups", "win32")


def choose_spooler(method: str, server: str | None) -> Spooler:
    """The print system to use; `auto` prefers win32 on Windows, then `lp`, then pycups."""
    if method == "auto":
        if sys.platform == "win32":
            method = "win32"
        elif shutil.which("lp") or not pycups_available():
            method = "lp"
        else:
            method = "pycups"
    if method == "win32":
        if not win32_available():
            raise ConfigurationError(
                "printer driver 'spooler': method 'win32' needs Windows and pywin32",
                setting="method",
            )
        return Win32Spooler()
    if method == "pycups":
        if not pycups_available():
            raise ConfigurationError(
                "printer driver 'spooler': method 'pycups' needs pycups: "
                "pip install 'orderhub[cups]' (builds against libcups2-dev)",
                setting="method",
            )
        return PycupsSpooler(server)
    return LpSpooler(server)


class SpoolerDriver(PrinterDriver):
    """A print queue of CUPS or the Windows spooler."""

    name = "spooler"
    LANGUAGES: ClassVar[frozenset[str]] = frozenset({"tspl", "zpl", "escpos", "pdf", "png"})
    OPEN_TIMEOUT = 10.0
    WRITE_TIMEOUT = 30.0
    STATUS_TIMEOUT = 5.0
    SUPPORTS_DISCOVERY = True
    SUPPORTS_STATUS = True

    def __init__(
        self, settings: Mapping[str, Any] = NO_SETTINGS, services: PluginServices | None = None
    ) -> None:
        super().__init__(settings, services)
        read = SettingsReader("printer driver 'spooler'", self.settings)
        self.queue = read.text("queue")
        self.server = read.text("server")
        self.method = read.choice("method", METHODS, "auto") or "auto"
        self.raw = read.flag("raw", True)
        self.title = read.text("title", "orderhub") or "orderhub"
        self.open_timeout = read.seconds("timeout", self.OPEN_TIMEOUT)
        self.write_timeout = read.seconds("timeout", self.WRITE_TIMEOUT)
        self.status_timeout = read.seconds("timeout", self.STATUS_TIMEOUT)
        self.job_ids: list[str] = []
        self._spooler: Spooler | None = None
        self._checked = False
        self._counter = itertools.count(1)

    def _system(self) -> Spooler:
        if self._spooler is None:
            self._spooler = choose_spooler(self.method, self.server)
        return self._spooler

    def _queue(self) -> str:
        if not self.queue:
            raise ConfigurationError(
                "printer driver 'spooler': setting 'queue' is required to print", setting="queue"
            )
        return self.queue

    def discover(self, timeout: float | None = None) -> list[PrinterInfo]:
        return self._system().queues(timeout_seconds(timeout, self.open_timeout))

    def open(self, timeout: float | None = None) -> None:
        """Check once that the queue exists (`DeviceNotFound` names it and lists the others)."""
        if self._checked:
            return
        self._system().check_queue(self._queue(), timeout_seconds(timeout, self.open_timeout))
        self._checked = True

    def write(self, data: bytes, timeout: float | None = None) -> None:
        """Submit `data` as one spooler job; its id is appended to `job_ids`."""
        seconds = timeout_seconds(timeout, self.write_timeout)
        self.open(min(seconds, self.open_timeout))
        title = f"{self.title}-{next(self._counter)}"
        self.job_ids.append(self._system().submit(self._queue(), data, title, self.raw, seconds))

    def status(self, timeout: float | None = None) -> PrinterStatus:
        seconds = timeout_seconds(timeout, self.status_timeout)
        try:
            return self._system().queue_status(self._queue(), seconds)
        except DeviceNotFound as exc:
            return PrinterStatus(PrinterState.OFFLINE, exc.message)

    def close(self) -> None:
        self._checked = False
