"""Planning update-time windows for one shop: pure functions, no I/O.

A *pass* walks windows oldest first. Scheduled passes start `overlap` before the shop's
cursor — the platform publishes some writes late (Pinduoduo: orders seen through push
messages may not be queryable for minutes), so the stretch just behind the cursor is read
again on the next pass — and end `MIN_LAG` behind the platform's clock, never nearer "now".
Windows inside one pass are contiguous: they are all fetched at about the same moment, so
overlapping them with each other would re-read orders without catching anything new.

Backfill is an explicit `[since, until)` range split the same way; it may only move the
cursor forward, and only where it joins the cursor (see `cursor_after`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from core.contracts.platform import OrderWindow
from core.contracts.types import utc
from core.errors import ValidationError

#: Windows per scheduled pass at most, so one shop catching up on weeks of history cannot
#: starve the other shops of a worker; the next pass, due at once, carries on. (A manual
#: pass goes all the way.)
MAX_WINDOWS_PER_PASS = 96


@dataclass(frozen=True)
class WindowRules:
    """What a platform allows (`MAX_WINDOW`, `MIN_LAG`) and what the settings ask for."""

    max_window: timedelta
    min_lag: timedelta
    overlap: timedelta
    initial: timedelta

    def __post_init__(self) -> None:
        if self.max_window <= timedelta(0):
            raise ValidationError(f"max window must be positive, got {self.max_window}")
        for name in ("min_lag", "overlap", "initial"):
            if getattr(self, name) < timedelta(0):
                raise ValidationError(f"{name} must not be negative, got {getattr(self, name)}")
        if self.overlap >= self.max_window:
            raise ValidationError(
                f"overlap ({self.overlap}) must be shorter than the longest window "
                f"({self.max_window}), or a pass could never move the cursor forward"
            )


@dataclass(frozen=True)
class Plan:
    """The windows of one pass, oldest first; `more` is True when the pass was cut short
    by `MAX_WINDOWS_PER_PASS` and the shop should be synced again at once."""

    windows: tuple[OrderWindow, ...]
    more: bool = False

    @property
    def start(self) -> datetime | None:
        return self.windows[0].start if self.windows else None

    @property
    def end(self) -> datetime | None:
        return self.windows[-1].end if self.windows else None


def horizon(platform_now: datetime, rules: WindowRules) -> datetime:
    """The latest instant a window may end: the platform's clock minus `MIN_LAG`, to the
    whole second (Pinduoduo's windows are Unix seconds)."""
    end = utc(platform_now, "platform_now") - rules.min_lag
    return end.replace(microsecond=0)


def plan_pass(
    cursor: datetime | None,
    platform_now: datetime,
    rules: WindowRules,
    *,
    limit: int | None = MAX_WINDOWS_PER_PASS,
) -> Plan:
    """The windows of a scheduled (or manual, no range) pass; at most `limit` of them.

    From `cursor - overlap` (or `platform_now - initial` for a shop never synced) up to
    `horizon(platform_now)`. Nothing to do (an empty plan) when the cursor is already
    there, e.g. right after the previous pass.
    """
    end = horizon(platform_now, rules)
    start = end - rules.initial if cursor is None else utc(cursor, "cursor") - rules.overlap
    return _split(start, end, rules.max_window, limit)


def plan_backfill(
    since: datetime,
    until: datetime,
    platform_now: datetime,
    rules: WindowRules,
    *,
    limit: int | None = None,
) -> Plan:
    """The windows of a backfill over `[since, until)`; `until` is clipped to the horizon
    so a backfill cannot read the stretch the platform may still be writing."""
    since = utc(since, "since")
    until = utc(until, "until")
    if until <= since:
        raise ValidationError(
            f"backfill range ends ({until.isoformat()}) before it starts ({since.isoformat()})",
            field="until",
        )
    end = min(until, horizon(platform_now, rules))
    if end <= since:
        raise ValidationError(
            f"backfill range starts at {since.isoformat()}, after the latest time the "
            f"platform can be read up to ({end.isoformat()}: its clock minus "
            f"{int(rules.min_lag.total_seconds())} s)",
            field="since",
        )
    return _split(since, end, rules.max_window, limit)


def cursor_after(
    cursor: datetime | None, window: OrderWindow, *, backfill: bool
) -> datetime | None:
    """The cursor once `window`'s orders are stored.

    A pass's windows run contiguously from before the cursor, so the cursor simply moves
    to the window's end (never back). A backfill window moves it only when the window
    covers the cursor (`start <= cursor < end`): every update before `end` is then
    stored; a backfill that stops short of the cursor, or lies wholly after it with a gap
    in between, leaves the cursor where it is, and a shop never synced keeps no cursor.
    """
    if cursor is None:
        return None if backfill else window.end
    cursor = utc(cursor, "cursor")
    if backfill and not window.start <= cursor:
        return cursor
    return max(cursor, window.end)


def _split(start: datetime, end: datetime, longest: timedelta, limit: int | None) -> Plan:
    if end <= start:
        return Plan(())
    windows = OrderWindow(start, end).split(longest)
    if limit is not None and len(windows) > limit:
        return Plan(windows[:limit], more=True)
    return Plan(windows)
