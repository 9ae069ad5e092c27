"""Simulated platform time.

Sandbox time is `core.clock.now()` plus an offset that only moves forward (`advance`).
Following core's clock means a test that freezes or moves time moves the sandbox with it;
the offset lets a test (or the demo) fast-forward the platform alone — new orders, late
updates, token expiry — without touching the client's clock. Times are whole Unix seconds,
the gateway's resolution.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

from core import clock

BEIJING_OFFSET = 8 * 3600  # China has no daylight saving: Beijing time is always UTC+8.


class SandboxClock:
    def __init__(self, offset: int = 0) -> None:
        self._offset = offset
        self._lock = threading.Lock()

    @property
    def offset(self) -> int:
        """Seconds the sandbox runs ahead of the wall (or test) clock."""
        return self._offset

    def wall(self) -> int:
        """The client's clock (core's clock), Unix seconds, without the sandbox offset."""
        return int(clock.now().timestamp())

    def now(self) -> int:
        """Sandbox time, Unix seconds."""
        return self.wall() + self._offset

    def advance(self, seconds: int) -> int:
        if seconds < 0:
            raise ValueError(f"the sandbox clock only moves forward, not by {seconds} s")
        with self._lock:
            self._offset += int(seconds)
        return self.now()


_DAY_TEXT: dict[int, str] = {}


def beijing_text(ts: int | None) -> str:
    """Unix seconds → `yyyy-MM-dd HH:mm:ss` in Beijing time; None → '' (a time not reached).

    Called several times per generated order, so the date part is cached per day.
    """
    if ts is None:
        return ""
    day, second = divmod(ts + BEIJING_OFFSET, 86400)
    prefix = _DAY_TEXT.get(day)
    if prefix is None:
        prefix = _DAY_TEXT[day] = time.strftime("%Y-%m-%d ", time.gmtime(day * 86400))
    hour, rest = divmod(second, 3600)
    return f"{prefix}{hour:02d}:{rest // 60:02d}:{rest % 60:02d}"


def parse_beijing(text: str) -> int:
    """Inverse of `beijing_text`."""
    naive = datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
    return int(naive.replace(tzinfo=UTC).timestamp()) - BEIJING_OFFSET


_DATE_CODE: dict[int, str] = {}


def date_code(ts: int) -> str:
    """`yymmdd` of a Beijing date, the prefix of an order number (cached per day)."""
    day = (ts + BEIJING_OFFSET) // 86400
    code = _DATE_CODE.get(day)
    if code is None:
        code = _DATE_CODE[day] = time.strftime("%y%m%d", time.gmtime(day * 86400))
    return code
