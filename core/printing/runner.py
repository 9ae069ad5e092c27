"""Running a print job: claim it, recover what a crash left, send the unfinished items,
and leave the job `done`, `failed` (items that cannot print), or `paused` (a printer
failed, items are uncertain, or an operator paused it).

`run_job` is what `orderhub print` and `orderhub print resume` call; it returns when the
job stops. Resuming is the same call: the lease makes it safe from any process (a second
runner gets `Conflict`), items a crashed runner left in `sending` become `uncertain`
first, failed items are tried again, and each printer continues from its first `queued`
item. A batch over several printers runs one thread per printer, each fed its share of
the items in position order; a failure of one printer pauses them all after their current
label (the job has one state an operator acts on).

Documents are rendered one at a time (constant memory); PDF, which a printer takes as a
document of many pages, goes `pdf_chunk` labels per document (each label still its own
item: a failure marks the whole chunk, never more).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from sqlalchemy import select, update

from core import clock
from core.accounts import authz
from core.actor import Actor
from core.app import App
from core.errors import Conflict, NotFound, ValidationError
from core.models import Printer, PrintJob, PrintJobItem
from core.printing import lease as leases
from core.printing.interception import RefundCheck
from core.printing.printers import PrinterConfig
from core.printing.progress import Progress, ProgressCallback
from core.printing.render_pool import MAX_REQUESTED, MIN_ITEMS, RenderPool, default_processes
from core.printing.run_state import Run
from core.printing.states import recount, recover, requeue_failed
from core.printing.worker import PrinterWorker


@dataclass(frozen=True)
class RunResult:
    job_id: int
    status: str  # done | failed | paused | cancelled | lost | queued (handed back)
    done: int
    failed: int
    uncertain: int
    total: int
    sent: int  # items sent by this run
    error: str = ""


def run_job(
    app: App,
    actor: Actor,
    job_id: int,
    *,
    on_progress: ProgressCallback | None = None,
    owner: str | None = None,
    lease_seconds: int = leases.LEASE_SECONDS,
    retry_failed: bool = True,
    render_processes: int | None = None,
    hand_back: threading.Event | None = None,
) -> RunResult:
    """Print every unfinished item of job `job_id` (`print.run`); see the module docstring.
    `render_processes`: render pool size (default: one per spare core; 0: render here).
    `hand_back` (a worker stopping): once set, the printers stop after the labels in
    flight and the job goes back to `queued` for another runner, nothing else changed."""
    if render_processes is not None and not 0 <= render_processes <= MAX_REQUESTED:
        raise ValidationError(
            f"render processes must be 0 to {MAX_REQUESTED}, not {render_processes}",
            field="render_processes",
        )
    with app.tx() as session:
        authz.require(session, actor, "print.run")
    lease = leases.claim(app, actor.org_id, job_id, owner or leases.new_owner(), lease_seconds)
    try:
        with app.tx() as session:
            leases.fence(session, lease)
            recovered = recover(session, job_id)
            if retry_failed:
                requeue_failed(session, job_id)
            counts = recount(session, job_id)
            job = session.get(PrintJob, job_id)
            assert job is not None
            job.status, job.error = "running", ""
            job.started_at = job.started_at or clock.now()
            job.finished_at = None
            printer_ids = sorted(
                set(
                    session.scalars(
                        select(PrintJobItem.printer_id)
                        .where(PrintJobItem.job_id == job_id, PrintJobItem.state == "queued")
                        .distinct()
                    )
                )
            )
            configs = [
                PrinterConfig.of(p)
                for p in session.scalars(select(Printer).where(Printer.id.in_(printer_ids)))
            ]
        progress = Progress(app, actor.org_id, job_id, counts, on_progress)
        run = Run(app, lease, job, progress)
        run.hand_back = hand_back
        run.refund_check = RefundCheck(  # 退款拦截: a step ahead of every printer
            app,
            actor.org_id,
            job_id,
            run.stop,
            on_found=lambda found: progress.report("running", message=found.message()),
        ).start()
        if recovered:
            progress.report(
                "running", message=f"{recovered} item(s) left sending by a crash are uncertain"
            )
        processes = default_processes() if render_processes is None else render_processes
        if processes > 0 and counts.get("queued", 0) >= MIN_ITEMS:
            run.pool = RenderPool(processes)
        try:
            _run_printers(run, configs)
        finally:
            run.refund_check.finish()
            if run.pool is not None:
                run.pool.close()
        return _finish(run)
    except BaseException:
        _release_quietly(app, lease)
        raise


def _run_printers(run: Run, configs: list[PrinterConfig]) -> None:
    disabled = [c.name for c in configs if not c.enabled]
    if disabled:
        run.pause(f"printer {', '.join(disabled)} is disabled; enable it or move its items")
        return
    workers = [PrinterWorker(run, c) for c in configs]
    if len(workers) == 1:
        workers[0]()
        return
    threads = [
        threading.Thread(target=w, name=f"print-{run.job_id}-{w.config.name}", daemon=True)
        for w in workers
    ]
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    except BaseException:  # Ctrl-C: every printer stops after its current label
        run.pause("interrupted")
        for thread in threads:
            thread.join(timeout=60)
        raise


def _finish(run: Run) -> RunResult:
    """Decide the job's status from its items and give the lease back."""
    if run.lost:
        p = run.progress
        return RunResult(
            run.job_id, "lost", p.done, p.failed, p.uncertain, p.total, p.sent_now, run.lost
        )
    with run.app.tx() as session:
        counts = recount(session, run.job_id)
        job = session.get(PrintJob, run.job_id)
        assert job is not None
        status, error = _verdict(run, job.status, counts)
        finished = clock.now() if status in ("done", "failed", "cancelled") else None
        if not leases.release(session, run.lease, status=status, error=error, finished_at=finished):
            status, error = "lost", f"runner {run.lease.owner} lost its lease before finishing"
    total = sum(counts.values())
    done, failed, uncertain = (counts.get(k, 0) for k in ("done", "failed", "uncertain"))
    run.progress.report(status, message=error)
    return RunResult(
        run.job_id, status, done, failed, uncertain, total, run.progress.sent_now, error
    )


def _verdict(run: Run, current: str, counts: dict[str, int]) -> tuple[str, str]:
    if current == "cancelled" or run.stopped_by == "cancelled":
        return "cancelled", "cancelled by an operator"
    if run.stopped_by == "paused" or current == "paused":
        return "paused", "paused by an operator"
    if run.pause_reason:
        return "paused", run.pause_reason
    if run.handing_back and counts.get("queued") and not counts.get("sending"):
        return "queued", "handed back by a stopping worker; the next one continues it"
    if counts.get("queued") or counts.get("sending"):
        return "paused", "stopped before every item was sent; resume the job"
    if counts.get("uncertain"):
        return "paused", (
            f"{counts['uncertain']} item(s) may or may not have printed: settle them with "
            "reprint or skip, then resume"
        )
    if counts.get("failed"):
        return "failed", f"{counts['failed']} item(s) failed; see the job's items for why"
    return "done", ""


def _release_quietly(app: App, lease: leases.JobLease) -> None:
    try:
        with app.tx() as session:
            leases.release(session, lease, status="paused", error="the runner stopped on an error")
    except Exception:  # the lease expires by itself; never hide the original error
        pass


# ---------------------------------------------------------------- operator actions


def pause_job(app: App, actor: Actor, job_id: int) -> str:
    """Ask a job to stop after its current label (`print.run`)."""
    return _set_status(app, actor, job_id, "paused", ("queued", "running"))


def cancel_job(app: App, actor: Actor, job_id: int) -> str:
    """Cancel a job: its queued and failed items will not print (`print.run`). A label
    being sent right now still finishes; uncertain items stay for the operator."""
    status = _set_status(app, actor, job_id, "cancelled", ("queued", "running", "paused", "failed"))
    with app.tx() as session:
        session.execute(
            update(PrintJobItem)
            .where(PrintJobItem.job_id == job_id, PrintJobItem.state.in_(("queued", "failed")))
            .values(state="cancelled")
        )
        recount(session, job_id)
    return status


def resume_job(app: App, actor: Actor, job_id: int) -> str:
    """Queue a paused or failed job again, for a worker to print (`print.run`): the
    runner continues it from its first unfinished item and tries failed items again. A
    job whose runner died (`running` with an expired or dead lease) is queued too; one a
    live runner holds, or that ended, is a `Conflict`."""
    with app.tx() as session:
        authz.require(session, actor, "print.run")
        job = session.get(PrintJob, job_id, with_for_update=True)
        if job is None or job.org_id != actor.org_id:
            raise NotFound(f"no print job {job_id}")
        held = (
            job.lease_owner
            and not leases.holder_is_dead(job.lease_owner)
            and job.lease_expires_at is not None
            and clock.as_utc(job.lease_expires_at) > clock.now()
        )
        if held:
            raise Conflict(f"print job {job_id} is being printed by {job.lease_owner}")
        if job.status not in ("paused", "failed", "running", "queued"):
            raise Conflict(f"print job {job_id} is {job.status}; there is nothing to resume")
        job.status, job.error, job.finished_at = "queued", "", None
        return job.status


def _set_status(app: App, actor: Actor, job_id: int, status: str, allowed: tuple[str, ...]) -> str:
    with app.tx() as session:
        authz.require(session, actor, "print.run")
        job = session.get(PrintJob, job_id)
        if job is None or job.org_id != actor.org_id:
            raise NotFound(f"no print job {job_id}")
        if job.status not in allowed:
            raise Conflict(f"print job {job_id} is {job.status}; it cannot be {status}")
        job.status = status
        if status == "cancelled" and not job.lease_owner:
            job.finished_at = clock.now()
        return status


def settle_crashed(app: App, actor: Actor, job_id: int) -> int:
    """For a job no live runner holds: items left `sending` become `uncertain` now (so an
    operator can settle them before resuming; `print.run`). Returns how many."""
    with app.tx() as session:
        authz.require(session, actor, "print.run")
        job = session.get(PrintJob, job_id)
        if job is None or job.org_id != actor.org_id:
            raise NotFound(f"no print job {job_id}")
        alive = job.lease_owner and not leases.holder_is_dead(job.lease_owner)
        if alive and job.lease_expires_at and clock.as_utc(job.lease_expires_at) > clock.now():
            return 0
        moved = recover(session, job_id)
        if moved:
            recount(session, job_id)
        return moved


__all__ = ["RunResult", "cancel_job", "pause_job", "resume_job", "run_job", "settle_crashed"]
