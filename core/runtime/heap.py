"""Keeping Python's cyclic garbage collector off long-lived objects during bulk work.

A bulk sync pass allocates millions of short-lived objects (parsed pages, prepared rows);
every few thousand allocations the collector runs, and each of its
oldest-generation runs walks every object the process holds — the app, plugins,
SQLAlchemy's metadata. `gc.freeze()` moves what exists now out of its sight, so those
runs only see the pass's own objects. Thawing afterwards hands the frozen objects back,
so nothing that became garbage meanwhile is kept for the life of a long-running worker.
(Child processes that live only for one job, such as sync and import readers, simply
call `gc.freeze()` once they are set up.)
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_lock = threading.Lock()
_holders = 0


@contextmanager
def frozen_heap() -> Iterator[None]:
    """Freeze the heap for the block; passes in several threads thaw on the last exit."""
    global _holders
    with _lock:
        _holders += 1
        gc.freeze()
    try:
        yield
    finally:
        with _lock:
            _holders -= 1
            if _holders == 0:
                gc.unfreeze()
