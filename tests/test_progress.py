"""The progress protocol (`core.runtime.progress`) and its CLI renderers (`cli.progress`):
a Rich bar on a terminal, occasional plain lines otherwise, nothing with --json."""

from __future__ import annotations

import argparse
import io
import logging
import re
import sys

import pytest
from rich.console import Console

from cli.progress import (
    BarProgress,
    LineProgress,
    ProgressEvents,
    make_progress,
    progress_for,
    progress_mode,
)
from core.runtime.progress import NO_PROGRESS, guarded

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def args(**options: object) -> argparse.Namespace:
    return argparse.Namespace(**options)


def screen(console_file: io.StringIO) -> str:
    """The last frame Rich drew, escape codes removed."""
    frames = ANSI.sub("", console_file.getvalue()).replace("\r", "\n").splitlines()
    return [line for line in frames if line.strip()][-1]


def test_the_mode_follows_the_options_and_the_stream() -> None:
    assert progress_mode(args(), Tty()) == "bar"
    assert progress_mode(args(), io.StringIO()) == "lines"
    assert progress_mode(args(json=True), Tty()) == "off"
    assert progress_mode(args(quiet=True), Tty()) == "off"
    assert make_progress(args(json=True), Tty()) is NO_PROGRESS
    assert isinstance(make_progress(args(), Tty()), BarProgress)
    assert isinstance(make_progress(args(), io.StringIO()), LineProgress)


def test_a_terminal_gets_a_bar_with_counts_rate_and_time() -> None:
    out, clock = io.StringIO(), Clock()
    bar = BarProgress(Console(file=out, force_terminal=True, width=140), get_time=clock)
    bar.start(144, "windows", "shop 3 旗舰店")
    for n in range(1, 145):
        clock.now += 0.25
        bar.advance(1, seen=n * 10, new=n * 9, updated=n)
    bar.finish()
    last = screen(out)
    assert "shop 3 旗舰店" in last and "144/144 windows" in last
    assert " 4.0/s " in last  # one window each quarter second
    assert "00:36" in last  # the time it took, once finished
    assert "1,440 seen, 1,296 new, 144 updated" in last
    assert "━" in last
    narrow = io.StringIO()
    bar = BarProgress(Console(file=narrow, force_terminal=True, width=80), get_time=clock)
    bar.start(48, "windows", "shop 1 小麦优选旗舰店")
    bar.advance(30, seen=87, new=87, updated=0)
    bar.finish()
    assert "30/48 windows" in screen(narrow) and "87 seen, 87 new, 0 updated" in screen(narrow)


def test_a_line_written_to_stderr_under_the_bar_is_shown_above_it(monkeypatch) -> None:
    terminal = Tty()
    monkeypatch.setattr(sys, "stderr", terminal)
    with progress_for(args()) as progress:
        progress.start(4, "labels", "job 1")
        progress.advance(1)
        print("[failed] item 2: paper out", file=sys.stderr)
        progress.advance(3)
        progress.finish()
    assert sys.stderr is terminal  # given back
    shown = ANSI.sub("", terminal.getvalue()).replace("\r", "\n").splitlines()
    assert "[failed] item 2: paper out" in shown  # a whole line, not drawn over
    assert "4/4 labels" in [line for line in shown if line.strip()][-1]


def test_an_open_ended_task_ends_full_and_nothing_to_do_draws_nothing() -> None:
    out, clock = io.StringIO(), Clock()
    bar = BarProgress(Console(file=out, force_terminal=True, width=120), get_time=clock)
    bar.start(0, "labels", "job 1")
    bar.advance(1)
    bar.finish()
    assert out.getvalue() == ""
    bar.start(None, "rows", "orders.csv")
    clock.now += 2
    bar.advance(3000, new=2990, unchanged=10)
    bar.finish()
    assert "3,000/3,000 rows" in screen(out) and "2,990 new, 10 unchanged" in screen(out)


def test_plain_lines_come_every_tenth_and_end_with_a_summary() -> None:
    out, clock = io.StringIO(), Clock()
    lines = LineProgress(out, clock=clock)
    lines.start(144, "windows", "shop 3 旗舰店")
    for n in range(1, 145):
        clock.now += 0.25
        lines.advance(1, new=n)
    lines.finish()
    lines.finish()  # twice is harmless
    text = out.getvalue().splitlines()
    assert len(text) == 9 + 1  # 10 % … 90 %, the end
    assert text[0].startswith("shop 3 旗舰店: 15/144 windows (10%)")
    assert text[4] == "shop 3 旗舰店: 72/144 windows (50%), 4.0 windows/s, ETA 18.0s; 72 new"
    assert text[-1] == "shop 3 旗舰店: 144/144 windows (100%) in 36.0s (4.0 windows/s); 144 new"


def test_plain_lines_of_a_slow_task_come_every_few_seconds() -> None:
    out, clock = io.StringIO(), Clock()
    lines = LineProgress(out, every=10, clock=clock)
    lines.start(None, "rows", "orders.csv")
    for _ in range(25):
        clock.now += 1
        lines.advance(100)
    lines.finish()
    assert out.getvalue().splitlines() == [
        "orders.csv: 1,000 rows, 100 rows/s",
        "orders.csv: 2,000 rows, 100 rows/s",
        "orders.csv: 2,500 rows in 25.0s (100 rows/s)",
    ]


def test_a_resumed_task_counts_its_rate_from_now() -> None:
    out, clock = io.StringIO(), Clock()
    events = ProgressEvents(LineProgress(out, clock=clock), "labels", "job 7")
    events.update(50, 100, failed=0)
    for done in range(51, 101):
        clock.now += 0.5
        events.update(done, 100, failed=0)
    events.finish()
    text = out.getvalue().splitlines()
    assert text[0] == "job 7: 60/100 labels (60%), 2.0 labels/s, ETA 20.0s; 0 failed"
    assert text[-1] == "job 7: 100/100 labels (100%) in 25.0s (2.0 labels/s); 0 failed"


def test_a_job_done_in_one_step_still_gets_its_last_line() -> None:
    out, clock = io.StringIO(), Clock()
    events = ProgressEvents(LineProgress(out, clock=clock), "slips", "job 2")
    events.update(4, 4, before=0, printed=4, failed=0)  # one PDF for the whole batch
    events.finish()
    assert out.getvalue() == "job 2: 4/4 slips (100%) in 0.0s; 4 printed, 0 failed\n"


def test_a_failed_or_empty_task_writes_no_line_before_the_error() -> None:
    out = io.StringIO()
    with pytest.raises(ValueError), progress_for(args(), out) as progress:
        progress.start(None, "orders", "orders.csv")
        progress.finish()  # nothing was done: nothing to say
        progress.start(None, "orders", "orders.csv")
        progress.advance(1000)
        raise ValueError("row 1,001: a quote never closes")
    assert out.getvalue() == ""


def test_progress_for_closes_the_bar_when_the_command_fails() -> None:
    stream = Tty()
    with pytest.raises(RuntimeError), progress_for(args(), stream) as progress:
        assert isinstance(progress, BarProgress)
        progress.start(10, "packages", "waybills")
        progress.advance(2)
        raise RuntimeError("carrier down")
    assert progress._bar is None
    assert stream.getvalue().endswith("\x1b[?25h")  # the cursor is shown again


def test_a_broken_display_never_stops_the_work(caplog) -> None:
    class Broken:
        def start(self, *a: object, **k: object) -> None:
            raise ValueError("no terminal")

        advance = finish = start

    progress = guarded(Broken())  # type: ignore[arg-type]
    with caplog.at_level(logging.ERROR, "orderhub.progress"):
        progress.start(3, "rows", "x")
        progress.advance(1, new=1)
        progress.finish()
    assert len(caplog.records) == 3
    assert guarded(None) is NO_PROGRESS and guarded(progress) is progress
