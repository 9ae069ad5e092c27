"""Time: stored as timezone-aware UTC, shown in Asia/Shanghai.

One `now()` for the whole code base so tests can move time (lockout expiry, token expiry,
TOTP windows) without sleeping.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")

_now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731


def now() -> datetime:
    """Current time, timezone-aware UTC."""
    return _now()


def set_clock(func: Callable[[], datetime] | None) -> None:
    """Replace the clock (tests); `None` restores the wall clock."""
    global _now
    _now = func if func is not None else (lambda: datetime.now(UTC))


def as_utc(value: datetime) -> datetime:
    """Normalise to aware UTC; naive values are taken to be UTC already (as SQLite returns them)."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def local_text(value: datetime) -> str:
    """How a time is shown to people: Asia/Shanghai, to the minute."""
    return as_utc(value).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")
