"""CUPS through pycups (the `cups` extra; it builds against libcups).

pycups calls block with no timeout of their own, so each runs in a daemon thread that is
waited for at most `timeout`; past that the caller gets an error and the thread is left
to finish or die with the process (it holds nothing of ours).
"""

from __future__ import annotations

import os
import tempfile
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from core.contracts.printer import PrinterInfo, PrinterState, PrinterStatus
from core.errors import ExternalError
from plugins.printers.spooler.cups_common import CupsQueueCheck

try:
    import cups
except ImportError:  # pragma: no cover - depends on the optional extra
    cups = None

T = TypeVar("T")
_STATES = {3: PrinterState.READY, 4: PrinterState.BUSY, 5: PrinterState.PAUSED}


def pycups_available() -> bool:
    return cups is not None


class _Late(Exception):
    """The call did not finish in time."""


def _within(seconds: float, call: Callable[[], T]) -> T:
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:  # handed to the caller's thread
            outcome["error"] = exc

    worker = threading.Thread(target=run, daemon=True, name="pycups-call")
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise _Late
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


class PycupsSpooler(CupsQueueCheck):
    """CUPS via libcups' IPP client, without spawning processes."""

    def __init__(self, server: str | None = None) -> None:
        if cups is None:  # pragma: no cover - guarded by the caller
            raise RuntimeError("pycups is not installed")
        self.server = server
        self.where = f"CUPS at {server}" if server else "CUPS on this machine"

    def _connection(self) -> Any:
        if not self.server:
            return cups.Connection()
        host, _, port = self.server.rpartition(":") if ":" in self.server else (self.server, "", "")
        return cups.Connection(host=host, port=int(port)) if port else cups.Connection(host=host)

    def _call(self, seconds: float, what: str, call: Callable[[Any], T]) -> T:
        try:
            return _within(seconds, lambda: call(self._connection()))
        except _Late as exc:
            raise ExternalError(
                f"{self.where} did not answer within {seconds:g} s ({what})", retryable=True
            ) from exc
        except (RuntimeError, cups.IPPError) as exc:
            raise ExternalError(f"{self.where}: {what} failed: {exc}", retryable=True) from exc

    def submit(self, queue: str, data: bytes, title: str, raw: bool, timeout: float) -> str:
        options = {"raw": "true"} if raw else {}
        fd, path = tempfile.mkstemp(prefix="orderhub-", suffix=".prn")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            try:
                job = _within(
                    timeout, lambda: self._connection().printFile(queue, path, title, options)
                )
            except _Late as exc:
                raise ExternalError(
                    f"{self.where} did not confirm the job for queue {queue!r} within "
                    f"{timeout:g} s; it may or may not have been queued",
                    retryable=False,
                    uncertain=True,
                    queue=queue,
                ) from exc
            except (RuntimeError, cups.IPPError) as exc:
                raise ExternalError(
                    f"{self.where} refused the job for queue {queue!r}: {exc}",
                    retryable=True,
                    queue=queue,
                ) from exc
        finally:
            os.unlink(path)
        return f"{queue}-{job}"

    def queue_status(self, queue: str, timeout: float) -> PrinterStatus:
        wanted = ["printer-state", "printer-state-message", "printer-is-accepting-jobs"]
        try:
            attributes = self._call(
                timeout,
                "reading the queue's state",
                lambda c: c.getPrinterAttributes(queue, requested_attributes=wanted),
            )
        except ExternalError as exc:
            return PrinterStatus(PrinterState.OFFLINE, f"queue {queue!r}: {exc.message}")
        message = attributes.get("printer-state-message") or ""
        suffix = f": {message}" if message else ""
        if not attributes.get("printer-is-accepting-jobs", True):
            return PrinterStatus(PrinterState.PAUSED, f"queue {queue!r} is not accepting jobs")
        state = _STATES.get(attributes.get("printer-state"), PrinterState.UNKNOWN)
        words = {PrinterState.PAUSED: "is disabled", PrinterState.BUSY: "is printing"}
        return PrinterStatus(state, f"queue {queue!r} {words.get(state, 'is idle')}{suffix}")

    def queues(self, timeout: float) -> list[PrinterInfo]:
        printers = self._call(timeout, "listing queues", lambda c: c.getPrinters())
        return [
            PrinterInfo(
                name=name,
                settings={"queue": name, **({"server": self.server} if self.server else {})},
                model=attributes.get("printer-make-and-model", ""),
                detail=f"{self.where}, {attributes.get('device-uri', '')}",
            )
            for name, attributes in sorted(printers.items())
        ]
