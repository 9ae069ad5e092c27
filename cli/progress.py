"""Progress of long commands on the terminal: a live bar, plain lines, or nothing.

Services report through `core.runtime.progress.Progress` (start, advance, finish); this
module renders those calls on **stderr**, so stdout stays the command's output:

- stderr is a terminal: a Rich live bar with the label, done/total and the unit, the
  rate, the time left (the time taken once finished) and the running counts;
- stderr is a file or a pipe (cron, CI, `2>log`): a line each 10 % or every
  `LINE_EVERY` seconds, whichever comes first, and one at the end with the duration and
  rate (none for a task that did nothing);
- `--json` (or `--quiet`): nothing at all, so scripts see exactly what they saw before.

A command opens it around the service call and hands it over:

    from cli.progress import progress_for

    def _drain(args):
        app = open_cli_app(args)
        with progress_for(args) as progress:
            report = outbox.drain(app, actor, progress=progress)
        emit(args, report.as_dict())          # after the bar is gone

and the service (core side, e.g. an outbox drain) reports at its natural points:

    def drain(app, actor, *, progress: Progress | None = None) -> DrainReport:
        progress = guarded(progress)          # core.runtime.progress
        progress.start(len(pending), "messages", "outbox")
        for message in pending:
            ...                               # send it
            progress.advance(1, sent=report.sent, failed=report.failed)
        progress.finish()
        return report

The `with` block stops the live display when the service raises, and writes no last
line then, so the error line that follows stands alone (a service that raises need not
call `finish`). `ProgressEvents` adapts a callback of absolute counters
(the print runner's) to the same display. In tests, a service's calls are recorded by
`tests.progress_watch.Recorder`; a command run through `cli.main.main` with capsys is in
plain-line mode (capsys is not a terminal), and `tests/test_progress.py` shows how to
force the bar.
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO

from rich.console import Console
from rich.progress import (
    BarColumn,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.progress import Progress as RichProgress
from rich.table import Column
from rich.text import Text

from core.runtime.progress import NO_PROGRESS, Progress

#: Plain-line mode: at most this many seconds between two lines of a running task.
LINE_EVERY = 10.0
#: Plain-line mode: a line each time another tenth of the total is done.
LINE_STEPS = 10


def progress_mode(args: argparse.Namespace, stream: IO[str]) -> str:
    """`off` (--json, --quiet), `bar` (a terminal) or `lines` (anything else)."""
    if getattr(args, "json", False) or getattr(args, "quiet", False):
        return "off"
    isatty = getattr(stream, "isatty", None)
    return "bar" if isatty is not None and isatty() else "lines"


def make_progress(args: argparse.Namespace, stream: IO[str] | None = None) -> Progress:
    """The renderer for this command's options and stderr (see the module docstring)."""
    stream = stream if stream is not None else sys.stderr
    mode = progress_mode(args, stream)
    if mode == "off":
        return NO_PROGRESS
    if mode == "bar":
        # While the bar is live, lines printed to stderr (a failed label) go above it; so
        # do those to stdout, but only when stdout is the same screen: a piped stdout keeps
        # its own bytes.
        own = stream is sys.stderr
        return BarProgress(
            Console(file=stream),
            redirect_stdout=own and sys.stdout.isatty(),
            redirect_stderr=own,
        )
    return LineProgress(stream)


@contextmanager
def progress_for(args: argparse.Namespace, stream: IO[str] | None = None) -> Iterator[Progress]:
    """`make_progress`, closed on the way out: the live bar stopped, a plain task left
    unfinished by an error ended without its last line."""
    progress = make_progress(args, stream)
    try:
        yield progress
    finally:
        close = getattr(progress, "close", None)
        if close is not None:
            close()


def counts_text(counts: dict[str, int]) -> str:
    """`{"new": 3, "updated": 1}` → `3 new, 1 updated` (in the order given)."""
    return ", ".join(f"{value:,} {name.replace('_', ' ')}" for name, value in counts.items())


def rate_text(per_second: float, unit: str) -> str:
    shown = f"{per_second:,.1f}" if per_second < 10 else f"{per_second:,.0f}"
    return f"{shown} {unit}/s" if unit else f"{shown}/s"


def duration_text(seconds: float) -> str:
    """`8.2s`, `3m05s`, `1h02m`."""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


# ---------------------------------------------------------------- a live bar


class _CountColumn(ProgressColumn):
    """`30/48 windows`, or `3,000 rows` when the total is not known."""

    def render(self, task: Task) -> Text:
        unit = task.fields.get("unit", "")
        done = int(task.completed)
        text = f"{done:,} {unit}" if task.total is None else f"{done:,}/{int(task.total):,} {unit}"
        return Text(text, style="progress.download")


class _RateColumn(ProgressColumn):
    """Units per second, over Rich's recent samples (the whole run once finished)."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        if speed is None:
            return Text("", style="progress.data.speed")
        return Text(rate_text(speed, ""), style="progress.data.speed")


class BarProgress:
    """A Rich live bar on `console`, one per task (`start` … `finish`)."""

    def __init__(
        self,
        console: Console,
        *,
        redirect_stdout: bool = False,
        redirect_stderr: bool = False,
        get_time: Callable[[], float] | None = None,
    ) -> None:
        self.console = console
        self.redirect_stdout, self.redirect_stderr = redirect_stdout, redirect_stderr
        self.get_time = get_time
        self._bar: RichProgress | None = None
        self._task: object = None

    def start(self, total: int | None, unit: str, label: str, *, done: int = 0) -> None:
        self.finish()
        if total == 0:
            return  # nothing to do: no bar
        self._bar = RichProgress(
            # Fits 80 columns: the bar (at most 30 wide) gives way to the numbers.
            TextColumn("[bold]{task.description}", table_column=Column(no_wrap=True)),
            BarColumn(bar_width=30),
            _CountColumn(table_column=Column(no_wrap=True)),
            _RateColumn(table_column=Column(no_wrap=True)),
            TimeRemainingColumn(compact=True, elapsed_when_finished=True),
            TextColumn(
                "{task.fields[counts]}", table_column=Column(no_wrap=True, overflow="ellipsis")
            ),
            console=self.console,
            redirect_stdout=self.redirect_stdout,
            redirect_stderr=self.redirect_stderr,
            refresh_per_second=4,
            get_time=self.get_time,
        )
        self._task = self._bar.add_task(label, total=total, completed=done, unit=unit, counts="")
        self._bar.start()

    def advance(self, n: int = 1, **counts: int) -> None:
        bar = self._bar
        if bar is None:
            return
        if counts:
            bar.update(self._task, advance=n, counts=counts_text(counts))  # type: ignore[arg-type]
        else:
            bar.update(self._task, advance=n)  # type: ignore[arg-type]

    def finish(self) -> None:
        bar, self._bar = self._bar, None
        if bar is None:
            return
        task = bar.tasks[0]
        if task.total is None:  # an open-ended task ends full
            bar.update(task.id, total=task.completed)
        bar.refresh()
        bar.stop()

    close = finish


# ---------------------------------------------------------------- plain lines


class LineProgress:
    """Occasional lines on a stream that is not a terminal (see the module docstring)."""

    def __init__(
        self,
        stream: IO[str],
        *,
        every: float = LINE_EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.stream, self.every, self.clock = stream, every, clock
        self._lock = threading.Lock()
        self._open = False

    def start(self, total: int | None, unit: str, label: str, *, done: int = 0) -> None:
        with self._lock:
            self._end()
            if total == 0:
                return
            self.total, self.unit, self.label = total, unit, label
            self.done = self.base = done
            self.counts: dict[str, int] = {}
            self.began = self.last = self.clock()
            self.step = 1
            self._open = True
            self._mark_passed()

    def advance(self, n: int = 1, **counts: int) -> None:
        with self._lock:
            if not self._open:
                return
            self.done += n
            self.counts.update(counts)
            now = self.clock()
            if self.total is not None and self.done >= self.total:
                return  # the end line says it
            if self._mark_passed() or now - self.last >= self.every:
                self.last = now
                self._write(self._running(now))

    def finish(self) -> None:
        with self._lock:
            self._end()

    def close(self) -> None:
        """Stop without a last line: the command failed, and its error says so."""
        with self._lock:
            self._open = False

    def _mark_passed(self) -> bool:
        """Whether another tenth of the total was reached since the last line."""
        if not self.total:
            return False
        passed = False
        while self.step <= LINE_STEPS and self.done * LINE_STEPS >= self.step * self.total:
            self.step += 1
            passed = True
        return passed

    def _running(self, now: float) -> str:
        elapsed = now - self.began
        rate = (self.done - self.base) / elapsed if elapsed > 0 else 0.0
        parts = [self._count()]
        if rate > 0:
            parts.append(rate_text(rate, self.unit))
            if self.total is not None:
                parts.append(f"ETA {duration_text((self.total - self.done) / rate)}")
        return self._line(", ".join(parts))

    def _end(self) -> None:
        """The last line, unless nothing was done (no noise before an error line)."""
        if not self._open:
            return
        self._open = False
        if self.done == self.base:
            return
        elapsed = self.clock() - self.began
        rate = (self.done - self.base) / elapsed if elapsed > 0 else 0.0
        speed = f" ({rate_text(rate, self.unit)})" if rate > 0 else ""
        self._write(self._line(f"{self._count()} in {duration_text(elapsed)}{speed}"))

    def _count(self) -> str:
        if self.total is None:
            return f"{self.done:,} {self.unit}"
        percent = 100 * self.done // self.total
        return f"{self.done:,}/{self.total:,} {self.unit} ({percent}%)"

    def _line(self, text: str) -> str:
        counts = counts_text(self.counts)
        return f"{self.label}: {text}" + (f"; {counts}" if counts else "")

    def _write(self, line: str) -> None:
        self.stream.write(line + "\n")
        self.stream.flush()


# ---------------------------------------------------------------- absolute counters


class ProgressEvents:
    """Feeds a `Progress` from snapshots of absolute counters (done so far, total), as a
    callback like the print runner's gives them: the first snapshot starts the task, from
    `before` (what was done before this run) when the caller knows it."""

    def __init__(self, progress: Progress, unit: str, label: str) -> None:
        self.progress, self.unit, self.label = progress, unit, label
        self.done: int | None = None

    def update(
        self, done: int, total: int | None, *, before: int | None = None, **counts: int
    ) -> None:
        if self.done is None:
            self.done = done if before is None else min(before, done)
            self.progress.start(total, self.unit, self.label, done=self.done)
        step, self.done = done - self.done, max(done, self.done)
        if step > 0 or counts:
            self.progress.advance(max(step, 0), **counts)

    def finish(self) -> None:
        if self.done is not None:
            self.progress.finish()
