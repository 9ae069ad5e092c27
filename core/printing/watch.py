"""Following a print job from another process: its state polled from the database.

`orderhub print` sees its own job's progress through the runner's callback
(`core.printing.progress`); a front end that did not start the runner (the HTTP API's
server-sent events: the job is printed by `orderhub worker`) polls instead. `watch_job`
checks the job and the permission at once (a `NotFound` for another org's job is raised by
the call, not at the first `next`), then yields the job's detail first as it is, again
each time its status, item counts or message change, and stops after a final state.
With `heartbeat`, a job unchanged that many seconds is yielded again: the same object as
last time (a front end's cue to show it is still there, e.g. an SSE keep-alive).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

from core.actor import Actor
from core.app import App
from core.printing.history import JobDetail, job_detail

#: A job in one of these changes no more by itself (a failed job may be resumed by hand).
FINAL = ("done", "failed", "cancelled")
INTERVAL_SECONDS = 0.5


def watch_job(
    app: App,
    actor: Actor,
    job_id: int,
    *,
    interval: float = INTERVAL_SECONDS,
    timeout: float | None = None,
    heartbeat: float | None = None,
) -> Iterator[JobDetail]:
    """The job's detail now, then after every change, until it is final (or `timeout`
    seconds passed); `order.view` or `print.run`."""
    first = job_detail(app, actor, job_id)
    return _follow(app, actor, first, interval, timeout, heartbeat)


def _follow(
    app: App,
    actor: Actor,
    last: JobDetail,
    interval: float,
    timeout: float | None,
    heartbeat: float | None,
) -> Iterator[JobDetail]:
    deadline = None if timeout is None else time.monotonic() + timeout
    shown = last
    yield shown
    quiet_since = time.monotonic()
    while last.status not in FINAL:
        if deadline is not None and time.monotonic() >= deadline:
            return
        time.sleep(interval)
        current = job_detail(app, actor, last.id)
        if (current.status, current.states, current.error) != (
            last.status,
            last.states,
            last.error,
        ):
            shown = current
            yield shown
            quiet_since = time.monotonic()
        elif heartbeat is not None and time.monotonic() - quiet_since >= heartbeat:
            yield shown  # the very object yielded last: nothing new
            quiet_since = time.monotonic()
        last = current
