"""The print-jobs history: the org's jobs, newest first (`core.printing.history.list_jobs`),
with their kind, status, counts, printers and who ran them. Enter picks one for the print
screen, where a paused job is resumed and its uncertain items settled."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import DataTable

from core import clock
from core.printing.history import JobInfo, list_jobs
from tui.actions import ScreenAction
from tui.errors import Reported
from tui.i18n import t
from tui.screens.base import OrderhubScreen
from tui.widgets.common.header import TopBar
from tui.widgets.common.key_bar import KeyBar
from tui.widgets.printing.progress import STATUS_STYLES

LIMIT = 200
COLUMNS = ("job", "kind", "status", "progress", "problems", "printers", "user", "created")


class PrintJobsScreen(OrderhubScreen[int | None]):
    ACTIONS: ClassVar = (
        ScreenAction("open_job", "enter", "printing.jobs.open", "printing.jobs.open.help"),
        ScreenAction("refresh", "g", "printing.jobs.refresh", "printing.jobs.refresh.help"),
        ScreenAction("back", "escape", "app.back"),
    )

    def __init__(self) -> None:
        super().__init__()
        self.jobs: list[JobInfo] = []

    def compose(self) -> ComposeResult:
        yield TopBar(t("printing.jobs.title"))
        yield DataTable(id="jobs-table", cursor_type="row", zebra_stripes=True)
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for key in COLUMNS:
            table.add_column(t(f"printing.jobs.{key}"), key=key)
        self.action_refresh()
        table.focus()

    def action_refresh(self) -> None:
        hub = self.hub
        found = hub.attempt(lambda: list_jobs(hub.core, hub.actor, limit=LIMIT))
        if isinstance(found, Reported):
            return
        self.jobs = found
        table = self.query_one(DataTable)
        table.clear()
        for job in found:
            problems = []
            if job.failed:
                problems.append(t("printing.count.failed", count=job.failed))
            if job.uncertain:
                problems.append(t("printing.count.uncertain", count=job.uncertain))
            table.add_row(
                str(job.id),
                t(f"printing.kind.{job.kind}"),
                Text(t(f"printing.status.{job.status}"), style=STATUS_STYLES.get(job.status, "")),
                f"{job.done}/{job.total}",
                Text("  ".join(problems), style="red" if problems else ""),
                ", ".join(job.printers),
                job.user,
                clock.local_text(job.created_at),
                key=str(job.id),
            )

    @on(DataTable.RowSelected)
    def _selected(self) -> None:
        self.action_open_job()

    def action_open_job(self) -> None:
        table = self.query_one(DataTable)
        if self.jobs and table.cursor_row < len(self.jobs):
            self.dismiss(self.jobs[table.cursor_row].id)

    def action_back(self) -> None:
        self.dismiss(None)
