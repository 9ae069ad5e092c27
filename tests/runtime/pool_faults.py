"""Tasks for `test_pool_shutdown`, in a module of their own so that spawned workers can
import them (a test module's fixtures and plugins are not for workers)."""

from __future__ import annotations

import os
import struct
import sys
import time


def pid() -> int:
    return os.getpid()


def half_written_result() -> None:
    """Leave half a result in the pool's result pipe, as a worker killed in the middle of
    writing a large one does, then hang (the worker never finishes on its own)."""
    frame = sys._getframe(1)
    while frame is not None and "result_queue" not in frame.f_locals:
        frame = frame.f_back
    assert frame is not None, "not running in a ProcessPoolExecutor worker"
    writer = frame.f_locals["result_queue"]._writer
    os.write(writer.fileno(), struct.pack("!i", 1_000_000) + b"\x80" * 16)
    time.sleep(3600)


def sleep(seconds: float) -> float:
    time.sleep(seconds)
    return seconds
