"""How a long service reports its progress without knowing who is watching.

Sync passes, imports, waybill allocation and the like take an optional `progress`
argument (a `Progress`; `NO_PROGRESS` by default) and call it at natural points:

    progress.start(len(windows), "windows", f"shop {shop.id} {shop.name}")
    for window in windows:
        ...                                   # the work of one unit
        progress.advance(1, new=report.new, updated=report.updated)
    progress.finish()                         # on the way out of a report, not a raise

- `start(total, unit, label, done=0)` opens a task: `total` units (None when unknown, as
  for a file read as it streams), the plural `unit` shown beside the numbers, a short
  `label`; `done` counts units finished before this run (a resumed job) without counting
  them in the rate. `start` may follow `finish` again: one task per phase or per shop.
- `advance(n=1, **counts)`: `n` more units are done; `counts` are named running totals
  so far (not increments), e.g. `new=120, failed=2`, shown beside the bar.
- `finish()`: the task ended (completed, or failed or stopped with a report to show);
  safe to call twice, and without `start`. A service that raises need not call it: the
  front end closes its display, without a summary, before it shows the error.

The CLI renders it (`cli.progress`: a live bar on a terminal, a line now and then
otherwise, nothing with `--json`); a test or another front end may give any object with
these three methods. A service wraps what it is given in `guarded` so that a renderer
that raises is logged and ignored: work never stops for a progress bar. Calls may come
from any one thread at a time; a service with several threads serialises them.

Nothing here knows a terminal: core never imports rich or the CLI.
"""

from __future__ import annotations

import logging
from typing import Protocol

log = logging.getLogger("orderhub.progress")


class Progress(Protocol):
    """What a long service tells its watcher (see the module docstring)."""

    def start(self, total: int | None, unit: str, label: str, *, done: int = 0) -> None: ...

    def advance(self, n: int = 1, **counts: int) -> None: ...

    def finish(self) -> None: ...


class NoProgress:
    """Nobody is watching: every call does nothing."""

    def start(self, total: int | None, unit: str, label: str, *, done: int = 0) -> None:
        pass

    def advance(self, n: int = 1, **counts: int) -> None:
        pass

    def finish(self) -> None:
        pass


NO_PROGRESS: Progress = NoProgress()


class _Guarded:
    """Passes every call on; an exception from the watcher is logged, never raised."""

    def __init__(self, inner: Progress) -> None:
        self.inner = inner

    def start(self, total: int | None, unit: str, label: str, *, done: int = 0) -> None:
        try:
            self.inner.start(total, unit, label, done=done)
        except Exception:
            log.exception("progress display failed (start)")

    def advance(self, n: int = 1, **counts: int) -> None:
        try:
            self.inner.advance(n, **counts)
        except Exception:
            log.exception("progress display failed (advance)")

    def finish(self) -> None:
        try:
            self.inner.finish()
        except Exception:
            log.exception("progress display failed (finish)")


def guarded(progress: Progress | None) -> Progress:
    """`progress` made harmless (`NO_PROGRESS` for None): see the module docstring."""
    if progress is None:
        return NO_PROGRESS
    if isinstance(progress, NoProgress | _Guarded):
        return progress
    return _Guarded(progress)
