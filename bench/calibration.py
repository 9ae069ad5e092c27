"""The machine's speed, for reading a bench's figures across machines: seconds a plain
20,000,000-step pure-Python loop takes here. VMs of one kind differ by several times;
compare a figure with the loop printed beside it (bench/README.md)."""

from __future__ import annotations

import time


def loop_seconds() -> float:
    """Seconds of a plain 20,000,000-step loop (run for 5,000,000 steps, times four)."""
    started = time.perf_counter()
    total = 0
    for i in range(5_000_000):
        total += i
    return round(4 * (time.perf_counter() - started), 3)


def line() -> str:
    """One line for a bench's header."""
    return f"calibration: a plain 20,000,000-step loop takes {loop_seconds():.2f} s here"
