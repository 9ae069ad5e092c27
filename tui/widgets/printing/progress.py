"""`JobProgress`: a running print job at a glance — its status, a bar of the items
settled out of the job's, labels per second and the time left, and the counts of done,
failed and uncertain items. Fed the runner's `ProgressEvent`s (`core.printing.progress`).

The rate counts only what this run settled (`ProgressEvent.before` is where a resumed
job started), over the time since its first event: a resumed job does not look fast.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.widgets import ProgressBar, Static

from core.printing.progress import ProgressEvent
from tui.i18n import t

#: Status → style of the status word.
STATUS_STYLES = {
    "running": "bold cyan",
    "done": "bold green",
    "paused": "bold yellow",
    "failed": "bold red",
    "cancelled": "dim",
    "lost": "bold red",
}


@dataclass
class RateMeter:
    """Items per second of one run, and the time left at that pace."""

    clock: object = time.monotonic
    started: float | None = None
    first: int = 0
    settled: int = 0
    total: int = 0
    marks: list[float] = field(default_factory=list)

    def update(self, settled: int, total: int, before: int) -> None:
        now = self.clock()  # type: ignore[operator]
        if self.started is None:
            self.started, self.first = now, before
        self.settled, self.total = settled, total
        self.marks.append(now)

    @property
    def rate(self) -> float:
        if self.started is None:
            return 0.0
        elapsed = self.marks[-1] - self.started
        made = self.settled - self.first
        return made / elapsed if elapsed > 0 and made > 0 else 0.0

    @property
    def seconds_left(self) -> float | None:
        rate = self.rate
        return (self.total - self.settled) / rate if rate > 0 else None


def clock_text(seconds: float | None) -> str:
    """0:42, 12:05, 1:02:03; a dash while the pace is unknown."""
    if seconds is None:
        return "–"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class JobProgress(Vertical):
    def __init__(self, **kwargs: object) -> None:
        super().__init__(**kwargs)  # type: ignore[arg-type]
        self.meter = RateMeter()

    def compose(self) -> ComposeResult:
        yield Static(t("printing.job.none"), id="job-status")
        yield ProgressBar(total=None, show_eta=False, id="job-bar")
        yield Static("", id="job-counts")

    def on_mount(self) -> None:
        self.query_one("#job-bar", ProgressBar).display = False  # until there is a job

    def reset(self, job_id: int, total: int, note: str = "") -> None:
        self.meter = RateMeter()
        self.query_one("#job-bar", ProgressBar).display = True
        self.query_one("#job-bar", ProgressBar).update(total=total or None, progress=0)
        self._status(job_id, "queued", note)
        self.query_one("#job-counts", Static).update("")

    def show_job(
        self,
        job_id: int,
        status: str,
        done: int,
        failed: int,
        uncertain: int,
        total: int,
        note: str = "",
    ) -> None:
        """A job's counters as stored (one picked from the history)."""
        self.meter = RateMeter()
        self.query_one("#job-bar", ProgressBar).display = True
        self.query_one("#job-bar", ProgressBar).update(
            total=total or None, progress=done + failed + uncertain
        )
        self._status(job_id, status, note)
        self._counts(done, failed, uncertain, total, rate=False)

    def event(self, event: ProgressEvent) -> None:
        settled = event.done + event.failed + event.uncertain
        self.meter.update(settled, event.total, event.before)
        self.query_one("#job-bar", ProgressBar).update(total=event.total, progress=settled)
        self._status(event.job_id, event.status, event.message)
        self._counts(event.done, event.failed, event.uncertain, event.total, rate=True)

    def _status(self, job_id: int, status: str, note: str) -> None:
        text = Text.from_markup(t("printing.job.title", job=job_id) + "  ")
        text.append(t(f"printing.status.{status}"), style=STATUS_STYLES.get(status, "bold"))
        if note:
            text.append(f"  {note}", style="dim")
        self.query_one("#job-status", Static).update(text)

    def _counts(self, done: int, failed: int, uncertain: int, total: int, *, rate: bool) -> None:
        text = Text()
        text.append(t("printing.count.done", count=done, total=total), style="green")
        text.append("  ")
        text.append(t("printing.count.failed", count=failed), style="red" if failed else "")
        text.append("  ")
        text.append(
            t("printing.count.uncertain", count=uncertain), style="yellow" if uncertain else ""
        )
        if rate:
            meter = self.meter
            text.append("  ")
            text.append(t("printing.rate", rate=f"{meter.rate:.1f}"), style="bold")
            text.append("  ")
            text.append(t("printing.eta", left=clock_text(meter.seconds_left)))
        self.query_one("#job-counts", Static).update(text)
