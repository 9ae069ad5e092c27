"""Helper processes started with `spawn` (safe beside threads, unlike `fork`).

A spawned process normally imports the parent's main script first, so that functions
defined there can be found. orderhub's helpers (render workers, sync readers) run only
library code, and the main script is often the `orderhub` command itself, whose import
pulls in every command module: seconds per helper on a small machine, spent before the
helper can even notice that its parent is gone. `main_not_rerun` hides the main module's
origin while helpers start, so they import only what their tasks need.

`die_with_parent` is the helper's side: a helper must not outlive the process it works
for, even when that one is killed with SIGKILL and can clean nothing up.

`end_processes` is the parent's side: SIGTERM, a bounded wait, then SIGKILL — no join of
a helper may wait without a limit, or a stuck helper keeps the command alive.
`shut_down_pool` does the same for a process pool, whose manager thread must end too.

`class_at` finds in a helper the plugin class the parent named by module and qualified name
(a class object itself does not travel: only its address does).
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from multiprocessing import connection
from multiprocessing.process import BaseProcess
from typing import Any

log = logging.getLogger("orderhub.runtime")

_MAIN_LOCK = threading.Lock()


@contextmanager
def main_not_rerun() -> Iterator[None]:
    """Start spawned processes inside this block: they will not import `__main__`.
    Only the start is affected: the module is restored on leaving the block."""
    main = sys.modules.get("__main__")
    with _MAIN_LOCK:
        if main is None:
            yield
            return
        saved_spec = getattr(main, "__spec__", None)
        had_file = hasattr(main, "__file__")
        saved_file = getattr(main, "__file__", None)
        main.__spec__ = None
        if had_file:
            del main.__file__
        try:
            yield
        finally:
            main.__spec__ = saved_spec
            if had_file:
                main.__file__ = saved_file


PR_SET_PDEATHSIG = 1
#: Seconds between the watchdog's looks at the parent.
WATCH_SECONDS = 1.0


def class_at(module: str, qualname: str) -> Any:
    """The object `qualname` (dotted for nested classes) names in `module`, imported.
    Raises ImportError or AttributeError when there is none."""
    found: Any = importlib.import_module(module)
    for name in qualname.split("."):
        found = getattr(found, name)
    return found


def end_processes(
    processes: Iterable[BaseProcess], timeout: float = 5.0, *, kill: bool = False
) -> list[BaseProcess]:
    """End helper processes within about 2 × `timeout`: SIGTERM (SIGKILL at once with
    `kill`), wait up to `timeout` for all of them, SIGKILL whichever is left, wait again.
    Returns those still alive after that (logged: only an unkillable process is)."""
    alive = list(processes)
    for signal_first in (True, False):
        for process in alive:
            with contextlib.suppress(OSError, ValueError, AttributeError, AssertionError):
                process.kill() if kill or not signal_first else process.terminate()
        alive = wait_for_exit(alive, timeout)
        if not alive:
            break
    for process in alive:
        log.error("helper process %s (pid %s) did not end", process.name, process.pid)
    return alive


def shut_down_pool(pool: Executor, timeout: float, *, grace: float, name: str) -> None:
    """Shut a `ProcessPoolExecutor` down with every wait bounded: drop what is queued,
    give its workers `grace` seconds to finish their task in hand and leave, end the rest
    (`end_processes`), and join the pool's manager thread for at most `timeout`.

    A worker killed while writing its result (larger than a pipe's buffer) leaves half a
    message in the result pipe, and the manager thread would wait for the rest for ever —
    a thread the interpreter joins, without a limit, at exit. So once any worker had to
    be killed, this process's copy of the result pipe's write end is closed: with every
    writer gone, that read ends in EOF and the manager gives up on the pool."""
    processes = list((getattr(pool, "_processes", None) or {}).values())
    manager = getattr(pool, "_executor_manager_thread", None)
    writer = getattr(getattr(pool, "_result_queue", None), "_writer", None)  # gone after shutdown
    pool.shutdown(wait=False, cancel_futures=True)
    stragglers = wait_for_exit(processes, grace)
    if stragglers:
        end_processes(stragglers, timeout)
        if writer is not None:
            with contextlib.suppress(OSError):
                writer.close()
    if manager is not None:
        manager.join(timeout)
        if manager.is_alive():
            log.error("%s: the pool's manager thread did not stop within %.0f s", name, timeout)


def wait_for_exit(processes: Iterable[BaseProcess], timeout: float) -> list[BaseProcess]:
    """Wait up to `timeout` for `processes` to exit; those still running, in order.

    Watches each process's sentinel (ready once it has exited) instead of joining it:
    another thread — a pool's manager — may reap the same child, and a join that loses
    that race sees the process as running for ever."""
    waiting = {}
    for process in processes:
        with contextlib.suppress(ValueError, AttributeError):  # closed or never started
            waiting[process.sentinel] = process
    deadline = time.monotonic() + timeout
    while waiting:
        left = deadline - time.monotonic()
        for sentinel in connection.wait(list(waiting), timeout=max(0.0, left)):
            process = waiting.pop(sentinel)  # type: ignore[call-overload]
            with contextlib.suppress(ValueError, AssertionError, OSError):
                process.join(0)  # reap it when it is ours to reap
        if left <= 0:
            break
    return list(waiting.values())


def die_with_parent(parent_pid: int) -> None:
    """Linux: the kernel kills this process when its parent dies (PR_SET_PDEATHSIG).
    Everywhere: a watchdog thread exits when the parent is gone. Call it first thing in a
    helper process, with the parent's pid as the parent saw it."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):  # no prctl: the watchdog works
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:  # the parent died before prctl took effect
        os._exit(1)
    threading.Thread(target=_watch, args=(parent_pid,), name="parent-watch", daemon=True).start()


def _watch(parent_pid: int) -> None:
    while True:
        time.sleep(WATCH_SECONDS)
        if os.getppid() != parent_pid:
            os._exit(1)
