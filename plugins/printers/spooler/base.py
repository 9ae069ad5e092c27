"""What the spooler driver needs from a print system: the three implementations (`lp`
commands, pycups, win32print) answer the same five questions."""

from __future__ import annotations

from typing import Protocol

from core.contracts.printer import PrinterInfo, PrinterStatus


class Spooler(Protocol):
    """One print system. `where` names it in messages ("CUPS on this machine")."""

    where: str

    def check_queue(self, queue: str, timeout: float) -> None:
        """Raise `DeviceNotFound` (naming the queue and the queues there are) unless
        `queue` exists; `ExternalError(retryable=True)` when the spooler is down."""

    def submit(self, queue: str, data: bytes, title: str, raw: bool, timeout: float) -> str:
        """Hand `data` to the spooler as one job; return its job id. A timeout is
        `ExternalError(retryable=False, uncertain=True)`: the job may exist."""
        ...

    def queue_status(self, queue: str, timeout: float) -> PrinterStatus:
        """The queue's state as the spooler sees it."""
        ...

    def queues(self, timeout: float) -> list[PrinterInfo]:
        """Every queue, with the settings that select it."""
        ...
