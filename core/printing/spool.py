"""Print spooling as one more pass of `orderhub worker`: jobs created elsewhere (the HTTP
API's `POST /v1/print-jobs`, `orderhub print --no-run`) get printed by a worker.

Each round the pass looks for a job waiting for a runner (`lease.claim_next`: `queued`
and free, or `running` under a lease whose runner died) whose unfinished items all go to
printers this worker serves, and runs it (`runner.run_job`) on a thread of its own, so
the worker's syncs and ship-back keep their schedule while a long batch prints. One job at
a time per worker; run more workers for more printers printing at once.

Which printers a worker serves (`[worker] printers`): by default every printer a worker
can reach from any machine — network (raw 9100), spooler (CUPS / Windows), file (PDF into
a folder) and third-party drivers — but not `usb` and `pinduoduo-component`, which are
attached to, or run on, one PC; a worker on that PC lists them by name (`"*"`: all).

Exactly once: the job's lease (renewed at every label, fenced on every write) keeps any
other runner off it; a worker killed mid-job leaves its lease to run out after
`[worker] print_lease_seconds` (at once for a worker of the same host, whose pid is seen
gone), and the next worker's run turns the labels that were in flight into `uncertain` —
reported on the job for an operator to settle — and prints the rest. A worker that is
stopped (SIGTERM) finishes the labels in flight and hands the job back `queued`.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

from sqlalchemy import select

from core.actor import Actor
from core.app import App
from core.errors import OrderhubError
from core.models import Printer
from core.printing import lease as leases
from core.printing.progress import ProgressCallback
from core.printing.runner import RunResult, run_job

log = logging.getLogger("orderhub.printing")

#: Drivers of printers attached to, or running on, one PC: not served unless named.
MACHINE_LOCAL_DRIVERS = frozenset({"usb", "pinduoduo-component"})
#: Seconds a stopping worker waits for its job's labels in flight.
HAND_BACK_SECONDS = 90.0


def served_printer_ids(app: App, names: Sequence[str]) -> set[int] | None:
    """The ids of the printers a worker with `[worker] printers = names` serves (None:
    every printer, for `"*"`)."""
    wanted = {n.strip() for n in names if n.strip()}
    if "*" in wanted:
        return None
    with app.tx() as session:
        rows = session.execute(select(Printer.id, Printer.name, Printer.driver)).all()
    if wanted:
        return {row.id for row in rows if row.name in wanted}
    return {row.id for row in rows if row.driver not in MACHINE_LOCAL_DRIVERS}


class PrintPass:
    """Callable once per worker round (see the module docstring); `close` when the worker
    stops. `stop` is the worker's stop request."""

    name = "print"

    def __init__(
        self,
        app: App,
        worker_id: str,
        stop: Callable[[], bool] = lambda: False,
        *,
        printers: Sequence[str] | None = None,
        owner: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> None:
        self.app, self.worker_id, self.stop = app, worker_id, stop
        self.printers = tuple(app.settings.worker.printers if printers is None else printers)
        self.owner = owner or leases.new_owner()
        self.lease_seconds = app.settings.worker.print_lease_seconds
        self.on_progress = on_progress
        self.hand_back = threading.Event()
        self.results: list[RunResult] = []
        self._thread: threading.Thread | None = None

    @property
    def registry(self) -> dict:
        return {"printers": list(self.printers), "print_owner": self.owner}

    @property
    def busy(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def __call__(self) -> None:
        if self.busy or self.stop() or self.hand_back.is_set():
            return
        lease = leases.claim_next(
            self.app,
            self.owner,
            self.lease_seconds,
            printers=served_printer_ids(self.app, self.printers),
        )
        if lease is None:
            return
        log.info("print job %d: taken by worker %s", lease.job_id, self.worker_id)
        self._thread = threading.Thread(
            target=self._run, args=(lease,), name=f"print-job-{lease.job_id}", daemon=True
        )
        self._thread.start()

    def wait(self, timeout: float | None = None) -> None:
        """Until the job in hand (if any) has stopped (tests, `--once`)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def close(self) -> None:
        """The worker stops: the job in hand stops after its labels in flight and goes
        back to `queued` for the next worker."""
        self.hand_back.set()
        self.wait(HAND_BACK_SECONDS)

    def _run(self, lease: leases.JobLease) -> None:
        actor = Actor.system(lease.org_id, f"worker {self.worker_id}")
        try:
            result = run_job(
                self.app,
                actor,
                lease.job_id,
                owner=self.owner,
                lease_seconds=lease.seconds,
                hand_back=self.hand_back,
                on_progress=self.on_progress,
            )
        except OrderhubError as exc:  # taken over, cancelled meanwhile: nothing to do
            log.warning("print job %d: not run: %s", lease.job_id, exc.message)
            return
        except Exception:
            log.exception("print job %d: the run failed", lease.job_id)
            return
        self.results.append(result)
        log.info(
            "print job %d: %s, %d sent now, %d done, %d failed, %d uncertain of %d%s",
            result.job_id,
            result.status,
            result.sent,
            result.done,
            result.failed,
            result.uncertain,
            result.total,
            f": {result.error}" if result.error else "",
        )
