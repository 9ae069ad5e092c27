"""What the two CUPS spoolers (`cups_lp`, `cups_pycups`) share: checking that a queue
exists among the queues CUPS lists."""

from __future__ import annotations

from core.errors import DeviceNotFound
from plugins.printers.spooler.base import Spooler


class CupsQueueCheck:
    """`Spooler.check_queue` for a CUPS spooler: the queue must be one of `queues()`."""

    def check_queue(self: Spooler, queue: str, timeout: float) -> None:
        names = [info.name for info in self.queues(timeout)]
        if queue not in names:
            raise DeviceNotFound(
                f"no queue {queue!r} in {self.where}; queues: {', '.join(names) or 'none'}",
                queue=queue,
            )
