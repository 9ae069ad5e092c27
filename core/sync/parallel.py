"""Reading a long pass's windows in other processes while this one writes.

A first sync, a backfill or a shop catching up after an outage walks many windows. One
process doing everything is CPU-bound: reading a window (HTTP, JSON, the plugin's mapping,
encoding rows and encrypting buyer data) costs about twice what writing it does. Reader
processes (`core.sync.reader_process`) take windows in plan order and hand back prepared
rows; this process writes them strictly in order, each window with its cursor move, as
the single-process path does — so invariant 2 holds unchanged: a window read but never
committed (a crash, a stop, a failure before it) is simply read again by the next pass.

Starting a reader costs about a second (a fresh interpreter opens the app), so until the
first one is up a thread of this process reads the first windows itself. At most `ahead`
windows wait, read but not written: memory stays bounded. The first window that fails to
read is handed over in its place in the order and ends the iteration there.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from core import clock
from core.config import SyncSettings
from core.contracts.platform import OrderWindow
from core.errors import ExternalError
from core.runtime.processes import main_not_rerun, shut_down_pool
from core.sync import reader_process
from core.sync.engine import FetchedWindow, ShopFeed, fetch_window
from core.sync.prefetch import POLL_SECONDS, ReadWindow, handed_over

log = logging.getLogger("orderhub.sync")

#: Readers at most when `[sync] read_processes` is left to the default (one per CPU).
MAX_AUTO_READERS = 4


def reader_count(sync: SyncSettings, windows: int) -> int:
    """Reader processes for a pass of `windows` windows (0: read in a thread here)."""
    if windows < max(2, sync.parallel_min_windows):
        return 0
    wanted = sync.read_processes
    if wanted < 0:
        wanted = min(MAX_AUTO_READERS, os.cpu_count() or 1)
    return max(0, wanted)


class ParallelWindowReader:
    """Iterate `ReadWindow`s in plan order, read by `processes` reader processes (and a
    local thread until the first of them is up). Same contract as `WindowReader`:
    `idle()` runs every `every` seconds the consumer waits, iteration ends early when
    `stopped()` turns true while it waits, `close()` stops everything at once."""

    def __init__(
        self,
        feed: ShopFeed,
        windows: Sequence[OrderWindow],
        setup: reader_process.ReaderSetup,
        *,
        processes: int,
        keep: bool = False,
        idle: Callable[[], object] = lambda: None,
        every: float = 30.0,
        stopped: Callable[[], bool] = lambda: False,
    ) -> None:
        self._feed = feed
        self._windows = list(windows)
        self._keep = keep
        self._idle, self._every, self._stopped = idle, every, stopped
        self._in_flight = 2 * processes  # each reader has one window queued behind its own
        self._ahead = 3 * processes + 1
        self._cond = threading.Condition()
        self._next = 0  # next window to hand to a reader
        self._yielded = 0  # windows handed to the consumer
        self._results: dict[int, ReadWindow] = {}
        self._closed = False
        self._failed = False
        self._pool_up = threading.Event()
        self._opened = time.perf_counter()
        #: Seconds the writer waited for the next window: near 0 means the readers keep up.
        self.starved_s = 0.0
        self._pool = ProcessPoolExecutor(
            processes,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=reader_process.start,
            initargs=(setup,),
        )
        with main_not_rerun():  # every reader starts here, one per warm-up task
            self._started = [self._pool.submit(reader_process.ready) for _ in range(processes)]
        self._threads = [
            threading.Thread(target=self._read_here, name="sync-reader", daemon=True),
            threading.Thread(target=self._dispatch, name="sync-dispatch", daemon=True),
        ]
        for thread in self._threads:
            thread.start()

    # ------------------------------------------------------------------ readers

    def _take(self, *, wait: bool = True) -> int | None:
        """The next window's index for a reader, waiting (unless not `wait`) while too many
        wait unwritten; None when there is none (now, or at all)."""
        with self._cond:
            while True:
                if self._closed or self._failed or self._next >= len(self._windows):
                    return None
                if self._next < self._yielded + self._ahead:
                    self._next += 1
                    return self._next - 1
                if not wait:
                    return None
                self._cond.wait(POLL_SECONDS)

    def _put(self, index: int, item: ReadWindow) -> None:
        with self._cond:
            self._results[index] = item
            if item.error is not None:
                self._failed = True
            self._cond.notify_all()

    def _read_here(self) -> None:
        """Read windows in this process until a reader process is up."""
        while not self._pool_up.is_set():
            index = self._take()
            if index is None:
                return
            item = ReadWindow(self._windows[index], clock.now())
            try:
                item.fetched = fetch_window(self._feed, item.window)
            except BaseException as exc:  # handed to the consumer, in order
                item.error = exc
            self._put(index, item)

    def _dispatch(self) -> None:
        """Hand windows to the reader processes once one is up, keeping `_in_flight` of
        them submitted (so no reader idles between windows), results collected in order.
        Whatever stops it early (the pool broke, a bug) is handed to the consumer as the
        next window's error: the consumer never waits for a window nobody reads."""
        queued: deque[tuple[int, ReadWindow, Future[Any]]] = deque()
        try:
            self._dispatch_until_done(queued)
        except BaseException as exc:
            if not self._closed:
                for index, item, _future in queued:
                    item.error = _explained(exc)
                    self._put(index, item)
                    break
                else:
                    self._fail_next(exc)

    def _dispatch_until_done(self, queued: deque[tuple[int, ReadWindow, Future[Any]]]) -> None:
        while True:  # every wait here is bounded: close() must end this thread
            done, _ = wait(self._started, timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
            if self._closed or any(f.cancelled() for f in done):  # closed before a reader
                return
            if done:
                break
        failure = next((f.exception() for f in done if f.exception() is not None), None)
        if failure is not None:  # the pool could not start: fail the next window
            self._fail_next(failure)
            return
        self._pool_up.set()
        while True:
            while len(queued) < self._in_flight:
                index = self._take(wait=not queued)
                if index is None:
                    break
                window = self._windows[index]
                item = ReadWindow(window, clock.now())
                try:
                    future = self._pool.submit(
                        reader_process.read, window.start, window.end, self._keep
                    )
                except BaseException as exc:  # the pool broke (or was shut down)
                    item.error = _explained(exc)
                    self._put(index, item)
                    break
                queued.append((index, item, future))
            if not queued:
                return
            index, item, future = queued[0]
            try:
                pages, sweeps, prepared, unreadable = self._result(future)
                item.fetched = FetchedWindow([], pages, sweeps, prepared, unreadable)
            except _Closed:
                return
            except BaseException as exc:
                item.error = _explained(exc)
            queued.popleft()
            self._put(index, item)

    def _result(self, future: Future[Any]) -> Any:
        """The future's result, looking at `close()` every `POLL_SECONDS`."""
        while True:
            try:
                return future.result(timeout=POLL_SECONDS)
            except TimeoutError:
                if self._closed:
                    raise _Closed from None

    def _fail_next(self, exc: BaseException) -> None:
        index = self._take()
        if index is None and not self._closed:  # every window is out: fail the first unread
            with self._cond:
                index = self._yielded if self._yielded not in self._results else None
        if index is not None:
            item = ReadWindow(self._windows[index], clock.now(), error=_explained(exc))
            self._put(index, item)

    # ------------------------------------------------------------------ consumer

    def __iter__(self) -> Iterator[ReadWindow]:
        return handed_over(self._poll, idle=self._idle, every=self._every, stopped=self._stopped)

    def _poll(self) -> ReadWindow | None:
        """The next window in plan order, None after the last; `queue.Empty` if it did not
        come within `POLL_SECONDS`. The time spent here counts in `starved_s`."""
        if self._yielded >= len(self._windows):
            return None
        began = time.perf_counter()
        with self._cond:
            item = self._results.pop(self._yielded, None)
            if item is None:
                self._cond.wait(POLL_SECONDS)
                item = self._results.pop(self._yielded, None)
            if item is not None:
                self._yielded += 1
                self._cond.notify_all()
        self.starved_s += time.perf_counter() - began
        if item is None and not any(thread.is_alive() for thread in self._threads):
            item = self._orphaned()
        if item is None:
            raise queue.Empty
        return item

    def _orphaned(self) -> ReadWindow | None:
        """The next window when both reading threads have ended without handing it over
        (a bug, or a pool that broke at the wrong moment): an error, so that the pass
        fails instead of waiting for ever. None if it came after all."""
        with self._cond:
            if self._closed or self._yielded >= len(self._windows):
                return None
            item = self._results.pop(self._yielded, None)
            if item is None:
                item = ReadWindow(
                    self._windows[self._yielded],
                    clock.now(),
                    error=ExternalError(
                        "the sync readers stopped before reading this window", retryable=True
                    ),
                )
            self._yielded += 1
            self._cond.notify_all()
        return item

    def close(self, timeout: float = 5.0) -> None:
        """Stop reading: pending windows are dropped, reader processes are ended. Every
        wait is bounded: a reader that does not end on SIGTERM within `timeout` gets
        SIGKILL; this process's reading thread may still be in a page call, which ends by
        the client's own timeout (a daemon thread: it never holds the process's exit)."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        log.info(
            "read %d of %d windows in %.1f s; the writer waited %.1f s for them",
            self._yielded,
            len(self._windows),
            time.perf_counter() - self._opened,
            self.starved_s,
        )
        # A reader may be in a page call that takes its client's whole timeout: no grace.
        shut_down_pool(self._pool, timeout, grace=0.0, name="sync readers")
        for thread in self._threads:
            thread.join(timeout)


class _Closed(Exception):
    """`close()` was called while the dispatcher waited for a reader."""


def _explained(exc: BaseException) -> BaseException:
    """A reader process that died (killed, out of memory) says so in the sync log."""

    if isinstance(exc, BrokenProcessPool):
        return ExternalError(f"a sync reader process stopped unexpectedly ({exc})", retryable=True)
    return exc
