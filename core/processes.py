"""Helper processes started with `spawn` (safe beside threads, unlike `fork`).

A spawned process normally imports the parent's main script first, so that functions
defined there can be found. orderhub's helpers (render workers, sync readers) run only
library code, and the main script is often the `orderhub` command itself, whose import
pulls in every command module: seconds per helper on a small machine, spent before the
helper can even notice that its parent is gone. `main_not_rerun` hides the main module's
origin while helpers start, so they import only what their tasks need.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

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
