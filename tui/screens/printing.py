"""The print screen (打印): a batch of orders onto one or more printers, watched live.

The operator names the orders (typed or scanned, or handed over by the order desk through
`open_print`), the kind of document (label, packing slip, pick list, product label), the
template and the printers. Printing is `core.printing.jobs.create_job` then
`core.printing.runner.run_job`, in a thread (`OrderhubApp.in_background`); the runner's
progress events arrive as messages (posting is thread-safe) and move the bar, the rate,
the time left and each item's state. The job is the core's: pausing (`pause_job`) stops
it after the current label, resuming is `run_job` again (failed items are tried again),
uncertain items are settled by skip or reprint (`core.printing.reprint.resolve_uncertain`,
a reprint asks for its reason), and a job from the history (`tui.screens.print_jobs`) is
picked up the same way. `v` shows the label the batch prints (`tui.screens.print_preview`).

A batch printed only on `file` printers is written one document per label (the job
option `pdf_chunk` = 1, as `orderhub demo` does): such a folder stands for a printer, and
the operator looks for one file per parcel in it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Select

from core.actor import Actor
from core.app import App as CoreApp
from core.orders import packages
from core.printing.history import ItemInfo, JobInfo, get_job, job_items
from core.printing.jobs import CreatedJob, create_job
from core.printing.lease import new_owner
from core.printing.preview import preview
from core.printing.printers import list_printers
from core.printing.progress import ProgressEvent
from core.printing.reprint import resolve_uncertain
from core.printing.runner import RunResult, cancel_job, pause_job, run_job, settle_crashed
from core.printing.template_store import list_templates
from tui.actions import ScreenAction
from tui.errors import REPORTED, Reported
from tui.i18n import t
from tui.screens.base import OrderhubScreen
from tui.screens.dialogs import ConfirmDialog, TextDialog
from tui.screens.print_jobs import PrintJobsScreen
from tui.screens.print_preview import PreviewDialog
from tui.widgets.common.header import TopBar
from tui.widgets.common.inputs import FieldInput
from tui.widgets.common.key_bar import KeyBar
from tui.widgets.printing.batch import Batch, BatchForm
from tui.widgets.printing.items import MAX_ROWS, JobItems
from tui.widgets.printing.progress import JobProgress

if TYPE_CHECKING:
    from tui.app import OrderhubApp

PROBLEMS = ("failed", "uncertain")
ONE_PER_LABEL = {"pdf_chunk": 1}
SETTLED = ("done", "cancelled")


class JobCreated(Message):
    def __init__(self, job: CreatedJob, items: list[ItemInfo]) -> None:
        super().__init__()
        self.job, self.items = job, items


class JobProgressed(Message):
    def __init__(self, event: ProgressEvent) -> None:
        super().__init__()
        self.event = event


class PrintScreen(OrderhubScreen[None]):
    ACTIONS: ClassVar = (
        ScreenAction("print", "p", "printing.print", "printing.print.help"),
        ScreenAction("pause", "x", "printing.pause", "printing.pause.help"),
        ScreenAction("resume", "c", "printing.resume", "printing.resume.help"),
        ScreenAction("skip", "s", "printing.skip", "printing.skip.help"),
        ScreenAction("reprint", "r", "printing.reprint", "printing.reprint.help"),
        ScreenAction("preview", "v", "printing.preview", "printing.preview.help"),
        ScreenAction("history", "h", "printing.history", "printing.history.help"),
        ScreenAction("problems", "f", "printing.problems", "printing.problems.help", footer=False),
        ScreenAction(
            "pick_list", "l", "printing.pick_list", "printing.pick_list.help", footer=False
        ),
        ScreenAction("slips", "o", "printing.slips", "printing.slips.help", footer=False),
        ScreenAction("cancel_job", "k", "printing.cancel", "printing.cancel.help", footer=False),
    )

    def __init__(self, order_numbers: Sequence[str] = ()) -> None:
        super().__init__()
        self.order_numbers = list(order_numbers)
        self.job_id: int | None = None
        self.status = ""
        self.uncertain = 0
        self.running = False
        self.drivers: dict[str, str] = {}  # printer name → driver

    def compose(self) -> ComposeResult:
        yield TopBar(t("printing.title"))
        with Horizontal(id="print-body"):
            yield BatchForm(id="print-form")
            with Vertical(id="print-job"):
                yield JobProgress(id="print-progress")
                yield JobItems(id="print-items")
        yield KeyBar()

    def on_mount(self) -> None:
        hub = self.hub
        found = hub.attempt(lambda: list_printers(hub.core, hub.actor))
        if not isinstance(found, Reported):
            self.drivers = {p.name: p.driver for p in found}
            self.form.set_printers(found)
        self._load_templates("label")
        if self.order_numbers:
            self._show_batch()
        else:
            self.query_one("#batch-orders").focus()

    @property
    def form(self) -> BatchForm:
        return self.query_one(BatchForm)

    @property
    def items(self) -> JobItems:
        return self.query_one(JobItems)

    def load_batch(self, order_numbers: Sequence[str]) -> None:
        """The orders to print (the desk's selection); the printers get the focus."""
        self.order_numbers = list(order_numbers)
        if self.is_mounted:  # else (just pushed) on_mount shows them
            self._show_batch()

    def _show_batch(self) -> None:
        self.form.set_orders(self.order_numbers)
        self.query_one("#batch-printers").focus()

    @on(FieldInput.Submitted, "#batch-orders")
    def _orders_typed(self) -> None:
        self.query_one("#batch-printers").focus()

    @on(Select.Changed, "#batch-kind")
    def _kind_changed(self, event: Select.Changed) -> None:
        self._load_templates(str(event.value))

    def _load_templates(self, kind: str) -> None:
        hub = self.hub
        found = hub.attempt(lambda: list_templates(hub.core, hub.actor, kind))
        if not isinstance(found, Reported):
            self.form.set_templates(found)

    # ------------------------------------------------------------ running a batch

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        idle = not self.running
        open_job = self.job_id is not None and self.status not in SETTLED
        return {
            "print": idle,
            "pick_list": idle,
            "slips": idle,
            "pause": self.running,
            "resume": idle and open_job,
            "skip": idle and self.uncertain > 0,
            "reprint": idle and self.uncertain > 0,
            "cancel_job": open_job,
            "problems": self.job_id is not None,
        }.get(action, True)

    def action_print(self) -> None:
        self._start(self.form.batch())

    def action_pick_list(self) -> None:
        self._start(self.form.batch("pick_list"))

    def action_slips(self) -> None:
        self._start(self.form.batch("packing_slip"))

    def _start(self, batch: Batch) -> None:
        if not batch.orders:
            self.hub.inform(t("printing.need_orders"))
            self.query_one("#batch-orders").focus()
            return
        if not batch.printers:
            self.hub.inform(t("printing.need_printer"))
            self.query_one("#batch-printers").focus()
            return
        core, actor = self.hub.core, self.hub.actor
        files = all(self.drivers.get(p) == "file" for p in batch.printers)
        options = ONE_PER_LABEL if files else None

        def work() -> RunResult:
            ids = list(packages.packages_for_orders(core, actor, batch.orders).values())
            runner = new_owner()  # this screen runs the job: no worker takes it meanwhile
            job = create_job(
                core,
                actor,
                ids,
                batch.printers,
                kind=batch.kind,
                template=batch.template,
                options=options,
                runner=runner,
            )
            self.post_message(JobCreated(job, job_items(core, actor, job.job_id, limit=MAX_ROWS)))
            return run_job(core, actor, job.job_id, on_progress=self._progressed, owner=runner)

        self._run(work)

    def _run(self, work: Callable[[], RunResult]) -> None:
        """`work` in the background; its end (or its failure, told in a notice) frees the screen."""
        self.running = True
        self.refresh_bindings()
        self.hub.in_background(
            work, self._finished, group="print-job", failed=lambda: self._finished(REPORTED)
        )

    def _progressed(self, event: ProgressEvent) -> None:  # a printer's thread
        self.post_message(JobProgressed(event))

    def on_job_created(self, message: JobCreated) -> None:
        job = message.job
        self.job_id, self.status, self.uncertain = job.job_id, "queued", 0
        note = t("printing.created", total=job.total, template=job.template)
        self.query_one(JobProgress).reset(job.job_id, job.total, note)
        self.items.show(message.items)
        if job.refused:
            first = job.refused[0]
            left = t("printing.refused", count=len(job.refused), what=first.what, why=first.reason)
            self.hub.inform(left, t("printing.title"))
        for warning in job.warnings:
            self.hub.inform(warning, t("printing.warning"))

    def on_job_progressed(self, message: JobProgressed) -> None:
        event = message.event
        self.query_one(JobProgress).event(event)
        if event.position is not None and event.item_state:
            self.items.set_state(event.position, event.item_state, event.message, event.printer)
        self.status, self.uncertain = event.status, event.uncertain

    def _finished(self, result: RunResult | Reported) -> None:
        self.running = False
        if not isinstance(result, Reported):
            self.status, self.uncertain = result.status, result.uncertain
            said = t(
                "printing.finished",
                job=result.job_id,
                status=t(f"printing.status.{result.status}"),
                done=result.done,
                total=result.total,
            )
            self.hub.inform(f"{said}\n{result.error}".strip(), t("printing.title"))
            self._show_items(PROBLEMS if result.failed or result.uncertain else ())
        self.refresh_bindings()

    # ------------------------------------------------------------ the job's items

    def action_pause(self) -> None:
        job_id, hub = self.job_id, self.hub
        if job_id is not None:
            hub.attempt(lambda: pause_job(hub.core, hub.actor, job_id))

    def action_resume(self) -> None:
        job_id, core, actor = self.job_id, self.hub.core, self.hub.actor
        if job_id is None:
            return

        def work() -> RunResult:
            items = job_items(core, actor, job_id, limit=MAX_ROWS)
            self.post_message(JobCreated(_resumed(core, actor, job_id), items))
            return run_job(core, actor, job_id, on_progress=self._progressed)

        self._run(work)

    def action_cancel_job(self) -> None:
        job_id, hub = self.job_id, self.hub
        if job_id is None:
            return

        def cancel(yes: bool | None) -> None:
            if yes and not isinstance(
                hub.attempt(lambda: cancel_job(hub.core, hub.actor, job_id)), Reported
            ):
                self.load_job(job_id)

        message = t("printing.cancel.confirm", job=job_id)
        self.app.push_screen(ConfirmDialog(t("printing.cancel"), message), cancel)

    def _positions(self) -> list[int] | None:
        """The uncertain item under the cursor, else None: every uncertain item."""
        position = self.items.current_position()
        if position is not None and self.items.state_at(position) == "uncertain":
            return [position]
        return None

    def action_skip(self) -> None:
        job_id, hub, positions = self.job_id, self.hub, self._positions()
        if job_id is None:
            return
        count = len(positions) if positions else self.uncertain

        def skip(yes: bool | None) -> None:
            if yes:
                self._settle(job_id, "skip", positions, "")

        message = t("printing.skip.confirm", count=count)
        hub.app.push_screen(ConfirmDialog(t("printing.skip"), message), skip)

    def action_reprint(self) -> None:
        job_id, positions = self.job_id, self._positions()
        if job_id is None:
            return
        count = len(positions) if positions else self.uncertain

        def reprint(reason: str | None) -> None:
            if reason:
                self._settle(job_id, "reprint", positions, reason)

        dialog = TextDialog(t("printing.reprint"), t("printing.reprint.reason", count=count))
        self.app.push_screen(dialog, reprint)

    def _settle(self, job_id: int, choice: str, positions: list[int] | None, reason: str) -> None:
        hub = self.hub  # the job was loaded (`load_job`): a crash's items are uncertain
        settle = resolve_uncertain
        done = hub.attempt(lambda: settle(hub.core, hub.actor, job_id, choice, positions, reason))
        if isinstance(done, Reported):
            return
        self.load_job(job_id)
        if choice == "reprint":
            self.action_resume()  # the reprint items print now

    def action_problems(self) -> None:
        """Only the failed and uncertain items, or every item again."""
        self.toggle_class("problems")
        self._show_items(PROBLEMS if self.has_class("problems") else ())

    def _show_items(self, states: tuple[str, ...]) -> None:
        job_id, hub = self.job_id, self.hub
        if job_id is None:
            return
        found = hub.attempt(
            lambda: job_items(hub.core, hub.actor, job_id, states=states, limit=MAX_ROWS)
        )
        if not isinstance(found, Reported):
            self.items.show(found)

    def load_job(self, job_id: int) -> None:
        """Show a stored job (from the history, or after settling its items)."""
        hub = self.hub

        def read() -> JobInfo:
            settle_crashed(hub.core, hub.actor, job_id)  # a dead runner's `sending`: uncertain
            return get_job(hub.core, hub.actor, job_id)

        job = hub.attempt(read)
        if isinstance(job, Reported):
            return
        self.job_id, self.status, self.uncertain = job.id, job.status, job.uncertain
        progress = self.query_one(JobProgress)
        progress.show_job(
            job.id, job.status, job.done, job.failed, job.uncertain, job.total, job.error
        )
        self._show_items(PROBLEMS if job.failed or job.uncertain else ())
        self.refresh_bindings()

    # ------------------------------------------------------------ preview and history

    def action_preview(self) -> None:
        hub, batch = self.hub, self.form.batch()
        first = batch.orders[0] if batch.orders else None
        found = hub.attempt(
            lambda: preview(
                hub.core, hub.actor, kind=batch.kind, template=batch.template, order_number=first
            )
        )
        if not isinstance(found, Reported):
            self.app.push_screen(PreviewDialog(found))

    def action_history(self) -> None:
        def picked(job_id: int | None) -> None:
            if job_id is not None and not self.running:
                self.load_job(job_id)

        self.app.push_screen(PrintJobsScreen(), picked)


def _resumed(core: CoreApp, actor: Actor, job_id: int) -> CreatedJob:
    """A stored job as `JobCreated` announces it, before its run resumes."""
    job = get_job(core, actor, job_id)
    return CreatedJob(job.id, job.kind, job.total, list(job.printers), "")


def open_print(hub: OrderhubApp, order_numbers: Sequence[str]) -> PrintScreen | Reported:
    """Show the print screen with `order_numbers` as its batch (the order desk's print
    action); a batch being printed is never replaced (REPORTED then, and the operator told)."""
    hub.action_go("print")
    screen = hub.destination_screen("print")
    assert isinstance(screen, PrintScreen)
    if screen.running:
        hub.inform(t("printing.busy"))
        return REPORTED
    screen.load_batch(order_numbers)
    return screen
