"""Progress of a running print job: the events front ends and plugins see.

A runner reports after every committed step: to the Python callback its front end gave
(the CLI's progress line, the TUI's bar, the API's server-sent events) and to plugins
through the `print_job_progress` hook. Both are called after the commit they describe,
from the thread of the printer concerned, one at a time (a lock keeps them in order).
A callback that raises is logged and ignored: printing never stops for a progress bar.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger("orderhub.printing")


@dataclass(frozen=True)
class ProgressEvent:
    """The job's counters after one step, and what that step did."""

    org_id: int
    job_id: int
    status: str  # the job's: running, paused, done, failed, cancelled
    done: int
    failed: int
    uncertain: int
    total: int
    printer: str = ""
    position: int | None = None  # the item this event is about, if one
    item_state: str = ""
    message: str = ""
    #: Items settled (done, failed, uncertain) before this run began: a bar's starting point.
    before: int = 0


ProgressCallback = Callable[[ProgressEvent], None]


class Progress:
    """Counters of one run, updated by printer threads, reported in order."""

    def __init__(
        self,
        app,  # type: ignore[no-untyped-def]
        org_id: int,
        job_id: int,
        counts: dict[str, int],
        callback: ProgressCallback | None,
    ) -> None:
        self.app, self.org_id, self.job_id, self.callback = app, org_id, job_id, callback
        self.total = sum(counts.values())
        self.done = counts.get("done", 0)
        self.failed = counts.get("failed", 0)
        self.uncertain = counts.get("uncertain", 0)
        self.before = self.done + self.failed + self.uncertain
        self.sent_now = 0
        self._lock = threading.Lock()

    def report(
        self,
        status: str,
        *,
        done: int = 0,
        failed: int = 0,
        uncertain: int = 0,
        printer: str = "",
        position: int | None = None,
        item_state: str = "",
        message: str = "",
    ) -> None:
        with self._lock:
            self.done += done
            self.failed += failed
            self.uncertain += uncertain
            self.sent_now += done
            event = ProgressEvent(
                self.org_id,
                self.job_id,
                status,
                self.done,
                self.failed,
                self.uncertain,
                self.total,
                printer,
                position,
                item_state,
                message,
                self.before,
            )
            if self.callback is not None:
                try:
                    self.callback(event)
                except Exception:  # a front end's problem must not stop the printers
                    log.exception("print progress callback failed")
            self.app.plugins.emit(
                "print_job_progress",
                org_id=self.org_id,
                job_id=self.job_id,
                state=status,
                done=self.done,
                failed=self.failed,
                total=self.total,
            )
