"""Ship-back as one more pass of `orderhub worker`'s schedule.

The sync worker (`core.sync.worker.Worker`) runs extra passes it is handed after its
sync and 审单 passes each round; `cli/cmd_worker.py` hands it a `ShipbackPass`. (The
worker cannot import this package: `sync` sits below `shipback` in core's layers.)

Each round drains what is due — batch after batch — for at most `ROUND_SECONDS`, so the
shops' syncs keep their schedule while a large outbox drains over several rounds. The
backlog check runs at most every `BACKLOG_CHECK_SECONDS`. The first round gives back the
rows a previous life of this worker id still held (`outbox.release_owner`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from core.app import App
from core.shipback import alerts, outbox
from core.shipback.drain import DrainReport, drain

log = logging.getLogger("orderhub.shipback")

ROUND_SECONDS = 30.0
BACKLOG_CHECK_SECONDS = 60.0


class ShipbackPass:
    """Callable once per worker round; `stop` is the worker's stop request."""

    name = "shipback"  # in the worker registry

    def __init__(self, app: App, worker_id: str, stop: Callable[[], bool] = lambda: False) -> None:
        self.app, self.worker_id, self.stop = app, worker_id, stop
        self._backlog_at: float | None = None
        self._first = True
        self.total = DrainReport()

    def __call__(self) -> None:
        started = time.monotonic()
        if self._first:
            self._first = False
            taken_back = outbox.release_owner(self.app, self.worker_id)
            if taken_back:
                log.info("回传: took back %d row(s) of this worker's previous run", taken_back)

        def enough() -> bool:
            return self.stop() or time.monotonic() - started > ROUND_SECONDS

        report = drain(self.app, self.worker_id, stop=enough)
        if report.claimed:
            log.info(
                "回传: %d sent, %d already shipped, %d held, %d need a person, %d to retry%s",
                report.sent,
                report.already_shipped,
                report.held,
                report.needs_person,
                report.retrying,
                f" ({report.errors[0]})" if report.errors else "",
            )
            for name in ("sent", "already_shipped", "held", "needs_person", "retrying"):
                setattr(self.total, name, getattr(self.total, name) + getattr(report, name))
        now = time.monotonic()
        if self._backlog_at is None or now - self._backlog_at >= BACKLOG_CHECK_SECONDS:
            self._backlog_at = now
            alerts.check_backlog(self.app)
