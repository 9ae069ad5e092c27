"""The period a report covers: whole days in Asia/Shanghai, stored as UTC instants.

A report is asked for `--from` and `--to` (both days included, in Shanghai time) and
reads timestamps stored in UTC. Instead of converting every row's timestamp to a Shanghai
day in SQL (a date function per row, different on each backend, and a sort of every row
for the GROUP BY), the period is cut into its days here: each day's UTC bounds are
computed once with zoneinfo, and the report's query runs per day with
`col >= :lo AND col < :hi` on an indexed column. The SQL is the same on SQLite and
PostgreSQL, a day is exactly a Shanghai day (an order paid at 23:30 +08:00 on 1 January
counts on 1 January), and each query sorts a day's rows instead of the whole range's.
Weeks (Monday to Sunday) and months are built from days.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from core.clock import SHANGHAI
from core.errors import ValidationError

#: Ten years of days: enough for any report, and a bound on the per-day queries.
MAX_DAYS = 3660
#: The days a report may cover: a day's UTC bounds and its week must stay inside what
#: `datetime` holds (0001-01-01 in Shanghai starts in year 0 UTC).
FIRST_DAY, LAST_DAY = date(1970, 1, 1), date(9998, 12, 31)
TIME_BUCKETS = ("day", "week", "month")


@dataclass(frozen=True)
class Period:
    first: date  # included
    last: date  # included

    @property
    def days(self) -> int:
        return (self.last - self.first).days + 1

    def bounds(self) -> tuple[datetime, datetime]:
        """The UTC instants [start of `first`, start of the day after `last`)."""
        return day_start(self.first), day_start(self.last + timedelta(days=1))

    def each_day(self) -> Iterator[tuple[date, datetime, datetime]]:
        """Every day of the period with its UTC bounds [lo, hi)."""
        day = self.first
        lo = day_start(day)
        while day <= self.last:
            following = day + timedelta(days=1)
            hi = day_start(following)
            yield day, lo, hi
            day, lo = following, hi

    def buckets(self, by: str) -> list[str]:
        """Every bucket label of the period, in order (so empty days show as 0)."""
        seen: dict[str, None] = {}
        for day, _, _ in self.each_day():
            seen[bucket_of(day, by)] = None
        return list(seen)

    def __str__(self) -> str:
        return f"{self.first.isoformat()} – {self.last.isoformat()}"


def day_start(day: date) -> datetime:
    """The UTC instant a Shanghai day starts."""
    return datetime.combine(day, time(0), tzinfo=SHANGHAI).astimezone(UTC)


def bucket_of(day: date, by: str) -> str:
    """The label of the day/week/month bucket a Shanghai day falls in."""
    if by == "day":
        return day.isoformat()
    if by == "week":  # the Monday that starts it
        return (day - timedelta(days=day.weekday())).isoformat()
    if by == "month":
        return day.strftime("%Y-%m")
    raise ValueError(f"not a time bucket: {by!r}")


def parse_day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(str(text).strip())
    except ValueError:
        raise ValidationError(
            f"{field}: {str(text)[:40]!r} is not a date (YYYY-MM-DD, e.g. 2026-01-31)",
            field=field,
        ) from None


def period(first: date | str, last: date | str) -> Period:
    """A checked period: `first` ≤ `last`, at most `MAX_DAYS` days."""
    a = first if isinstance(first, date) else parse_day(first, "from")
    b = last if isinstance(last, date) else parse_day(last, "to")
    for day, name in ((a, "from"), (b, "to")):
        if not FIRST_DAY <= day <= LAST_DAY:
            raise ValidationError(f"{name}: {day} is outside {FIRST_DAY} … {LAST_DAY}", field=name)
    if b < a:
        raise ValidationError(f"the period ends ({b}) before it starts ({a})", field="to")
    if (b - a).days + 1 > MAX_DAYS:
        raise ValidationError(
            f"a report covers at most {MAX_DAYS} days, not {(b - a).days + 1}", field="to"
        )
    return Period(a, b)
