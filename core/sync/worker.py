"""The schedule loop behind `orderhub worker`.

Each round syncs every due shop (`scheduler.run_due`), at most every
`AUDIT_PASS_SECONDS` runs the 审单 pass (`core.auditing.engine.run_due`: orders whose wait
after payment has ended are approved), at most every `ALERTS_PASS_SECONDS` the alert
passes (`core.alertdesk.passes.run_due`: overdue-to-ship check, forwarding new alerts to
the notifiers), then the extra passes it was handed (`passes`: callables from layers above
sync, e.g. ship-back's outbox drain and print spooling, which `orderhub worker` hands it),
and then sleeps `poll_seconds`. A pass may have a `name` (shown in the registry), a
`registry` dict (more registry fields), `exclusive = True` (never run by two workers at
once, `core.workers.exclusive`; the alert passes are too), `wait()` (`once`: its
background work finishes before the worker exits) and `close()` (called when the worker
stops).
While it runs the worker is in the registry (`core.workers.registry`), heartbeating from a
thread of its own; `orderhub status` lists it with the leases it holds.
SIGTERM or SIGINT asks it to stop: the window in hand is finished and committed, the
shop is released (due again at once) and the loop ends; a second signal interrupts at
once (the leases then time out after `[sync] lease_seconds`). A worker killed outright
(SIGKILL, power cut) leaves its leases to expire the same way, and committed windows are
never lost — the next pass resumes at the shop's cursor.

Worker ids must be unique among running workers: the default `host:pid` is. A worker
started again under an explicit `--worker-id` takes back the leases its previous life
held instead of waiting for them to expire.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import FrameType

from sqlalchemy.exc import SQLAlchemyError

from core.alertdesk import passes as alert_passes
from core.app import App
from core.auditing import engine as auditing
from core.sync import lease as leases
from core.sync.scheduler import Control, PassReport, run_due
from core.workers.exclusive import exclusive
from core.workers.registry import Registration

log = logging.getLogger("orderhub.worker")

#: Seconds to wait after the database could not be reached before trying again.
DATABASE_RETRY_SECONDS = 5.0
#: Seconds between two 审单 passes of one worker (every round with `once`).
AUDIT_PASS_SECONDS = 60.0
#: Seconds between two alert passes of one worker (every round with `once`).
ALERTS_PASS_SECONDS = 60.0


@dataclass
class WorkerTotals:
    rounds: int = 0
    passes: int = 0
    failed: int = 0
    windows: int = 0
    seen: int = 0
    new: int = 0
    updated: int = 0
    reports: list[PassReport] = field(default_factory=list)

    def add(self, report: PassReport) -> None:
        self.passes += 1
        self.failed += report.status == "failed"
        self.windows += len(report.windows)
        self.seen += report.seen
        self.new += report.new
        self.updated += report.updated


class Worker:
    """Runs the schedule until stopped. `control` is shared with the passes it runs."""

    def __init__(
        self,
        app: App,
        worker_id: str | None = None,
        *,
        poll_seconds: float = 5.0,
        control: Control | None = None,
        passes: Sequence[Callable[[], object]] = (),
    ) -> None:
        self.app = app
        self.passes = tuple(passes)
        self.worker_id = worker_id or leases.default_worker_id()
        self.poll_seconds = max(0.05, poll_seconds)
        self.control = control or Control()
        self.totals = WorkerTotals()
        self._audited_at: float | None = None  # monotonic time of the last 审单 pass
        self._alerted_at: float | None = None  # monotonic time of the last alert pass

    def run(self, *, once: bool = False) -> WorkerTotals:
        """Loop until stopped (or one round with `once`); leases are released on the way
        out, whatever ends the loop. The worker is in the registry while it runs."""
        taken_back = leases.release_all(self.app, self.worker_id)
        if taken_back:
            log.info(
                "worker %s took back %d lease(s) of its previous run", self.worker_id, taken_back
            )
        registration = self._registration().start()
        log.info("worker %s started (%s)", self.worker_id, ", ".join(registration.passes))
        try:
            while not self.control.stopping():
                self._round()
                if once:
                    self._wait_for_passes()
                    break
                self.control.wait(self.poll_seconds)
        finally:
            self._close_passes()
            registration.stop()
            released = leases.release_all(self.app, self.worker_id)
            log.info(
                "worker %s stopped after %d pass(es), %d order(s) seen%s",
                self.worker_id,
                self.totals.passes,
                self.totals.seen,
                f"; released {released} lease(s)" if released else "",
            )
        return self.totals

    def _registration(self) -> Registration:
        """This worker's registry row: its passes (each pass's `name`) and what the passes
        add (`registry`: the print pass's printers and lease owner)."""
        names = ["sync", "audit", "alerts"]
        extra: dict = {}
        for p in self.passes:
            names.append(str(getattr(p, "name", type(p).__name__)))
            extra.update(getattr(p, "registry", None) or {})
        return Registration(self.app, self.worker_id, names, **extra)

    def _wait_for_passes(self) -> None:
        """`once`: let passes that work in the background (printing) finish their work."""
        for p in self.passes:
            wait = getattr(p, "wait", None)
            if callable(wait):
                wait()

    def _close_passes(self) -> None:
        for p in self.passes:
            close = getattr(p, "close", None)
            if callable(close):
                try:
                    close()
                except Exception:  # the others must still close, the leases be released
                    log.exception("worker %s: closing a pass failed", self.worker_id)

    def _round(self) -> None:
        self.totals.rounds += 1
        try:
            reports = run_due(self.app, self.worker_id, self.control)
            self._audit_pass()
            self._alerts_pass()
            for extra in self.passes:
                self._extra(extra)
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            log.error(
                "worker %s: database error: %s; retrying in %.0f s",
                self.worker_id,
                reason,
                DATABASE_RETRY_SECONDS,
            )
            self.control.wait(DATABASE_RETRY_SECONDS)
            return
        except Exception:  # a bug must not stop the schedule for every other shop
            log.exception("worker %s: unexpected error; carrying on", self.worker_id)
            self.control.wait(DATABASE_RETRY_SECONDS)
            return
        for report in reports:
            self.totals.add(report)
            log.info(
                "shop %s (%s): %s, %d window(s), %d seen, %d new, %d updated%s",
                report.shop_id,
                report.shop_name,
                report.status,
                len(report.windows),
                report.seen,
                report.new,
                report.updated,
                f": {report.error}" if report.error else "",
            )

    def _extra(self, extra: Callable[[], object]) -> None:
        """One handed pass; one marked `exclusive` only while no other worker runs it."""
        if not getattr(extra, "exclusive", False):
            extra()
            return
        with exclusive(self.app, str(getattr(extra, "name", type(extra).__name__))) as mine:
            if mine:
                extra()

    def _audit_pass(self) -> None:
        """Approve the orders whose wait has ended, at most every `AUDIT_PASS_SECONDS`."""
        started = time.monotonic()
        if self._audited_at is not None and started - self._audited_at < AUDIT_PASS_SECONDS:
            return
        self._audited_at = started
        report = auditing.run_due(self.app)
        if report.approved:
            log.info("审单: %d order(s) approved after their wait", len(report.approved))

    def _alerts_pass(self) -> None:
        """Raise overdue-to-ship alerts and forward new alerts, at most every
        `ALERTS_PASS_SECONDS`, and never in two workers at once (`exclusive`)."""
        started = time.monotonic()
        if self._alerted_at is not None and started - self._alerted_at < ALERTS_PASS_SECONDS:
            return
        with exclusive(self.app, "alerts") as mine:
            if not mine:
                return  # another worker is running it; try again next round
            self._alerted_at = started
            report = alert_passes.run_due(self.app)
        if report.raised or report.forwarded:
            log.info(
                "alerts: %d overdue alert(s) raised, %d alert(s) forwarded",
                len(report.raised),
                report.forwarded,
            )


@contextmanager
def stop_on_signals(control: Control) -> Iterator[None]:
    """While inside: the first SIGTERM/SIGINT asks `control` to stop (the window in hand
    is finished), a second one interrupts at once (`KeyboardInterrupt`). The previous
    handlers come back on the way out. Outside the main thread (where Python allows no
    handlers) this does nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    received: list[int] = []

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        received.append(signum)
        if len(received) > 1:
            raise KeyboardInterrupt
        log.warning(
            "%s received: finishing the current window, then stopping (again to abort)",
            signal.Signals(signum).name,
        )
        control.stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
