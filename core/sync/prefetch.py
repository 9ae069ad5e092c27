"""Fetching the next window while the current one is stored.

A pass spends its time in two places: waiting for the platform's pages (the gateway's
time, the network) and storing orders (mapping, encryption, the upsert). A background
thread reads the windows of a plan in order, one ahead of the thread that stores them, so
the wait overlaps the storing. Nothing about correctness changes: each window is still
paged by one thread from its last page back, and windows are still committed strictly
in order, each with its cursor move — a window read ahead but never committed (a crash,
a stop, a failure before it) is simply read again by the next pass.

The reader never touches the database except through the shop's token refresh, which
takes its own short transaction. Errors reach the storing thread in order: a window that
could not be read fails the pass only after every window before it was committed.

`handed_over`, the storing thread's side of the hand-over (waiting, renewing the lease while
it waits, stopping on request), serves the reader processes of `core.sync.parallel` too.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from core import clock
from core.contracts.platform import OrderWindow
from core.sync.engine import FetchedWindow, ShopFeed, fetch_window

_DONE = object()
#: How often a consumer waiting for a window looks at its stop request.
POLL_SECONDS = 0.2


@dataclass
class ReadWindow:
    """A window as the reader left it: its orders, or the error that stopped it."""

    window: OrderWindow
    started_at: datetime
    fetched: FetchedWindow | None = None
    error: BaseException | None = None


def handed_over(
    poll: Callable[[], ReadWindow | None],
    *,
    idle: Callable[[], object],
    every: float,
    stopped: Callable[[], bool],
) -> Iterator[ReadWindow]:
    """The consuming side of both window readers (`WindowReader`, and
    `parallel.ParallelWindowReader`): the windows `poll` hands over, in plan order, up to
    and including the first with an `error`.

    `poll()` waits at most `POLL_SECONDS` for the next window and returns it, returns None
    when there are no more, or raises `queue.Empty` when none came in time. While it keeps
    coming back empty, `idle()` is called every `every` seconds, and the iteration ends as
    soon as `stopped()` is true.
    """
    waited = 0.0
    while True:
        try:
            item = poll()
        except queue.Empty:
            if stopped():
                return
            waited += POLL_SECONDS
            if waited >= every:
                idle()
                waited = 0.0
            continue
        waited = 0.0
        if item is None:
            return
        yield item
        if item.error is not None:
            return


class WindowReader:
    """Iterate `ReadWindow`s in plan order, the reading `ahead` windows early; the first
    one with an `error` is the last.

    `idle()` is called by the consuming thread each time it has waited `every` seconds
    for a window (lease renewal while a slow window is read); iteration ends early when
    `stopped()` turns true while it waits. `close()` stops the reader after the window it
    is reading; its result is dropped.
    """

    def __init__(
        self,
        feed: ShopFeed,
        windows: Sequence[OrderWindow],
        *,
        ahead: int = 1,
        idle: Callable[[], object] = lambda: None,
        every: float = 30.0,
        stopped: Callable[[], bool] = lambda: False,
    ) -> None:
        self._feed = feed
        self._windows = list(windows)
        self._queue: queue.Queue[ReadWindow | object] = queue.Queue(maxsize=max(1, ahead))
        self._closed = threading.Event()
        self._idle = idle
        self._every = every
        self._stopped = stopped
        self._thread = threading.Thread(target=self._read, name="sync-reader", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        for window in self._windows:
            if self._closed.is_set():
                break
            item = ReadWindow(window, clock.now())
            try:
                item.fetched = fetch_window(self._feed, window)
            except BaseException as exc:  # handed to the consumer, in order
                item.error = exc
            self._put(item)
            if item.error is not None:
                return
        self._put(_DONE)

    def _put(self, item: ReadWindow | object) -> None:
        while not self._closed.is_set():
            try:
                self._queue.put(item, timeout=0.2)
                return
            except queue.Full:
                continue

    def __iter__(self) -> Iterator[ReadWindow]:
        return handed_over(self._poll, idle=self._idle, every=self._every, stopped=self._stopped)

    def _poll(self) -> ReadWindow | None:
        """The next window, None after the last; `queue.Empty` if none came in time."""
        item = self._queue.get(timeout=POLL_SECONDS)
        if item is _DONE:
            return None
        assert isinstance(item, ReadWindow)
        return item

    def close(self, timeout: float = 5.0) -> None:
        """Stop reading ahead; waits briefly for the reader (a page call in flight ends by
        its own timeout; the thread is a daemon and never blocks the process's exit)."""
        self._closed.set()
        self._thread.join(timeout)
