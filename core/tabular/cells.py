"""Cell text → values import formats share: Beijing (or any zone's) times, piece counts."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, tzinfo
from functools import lru_cache

_LOCAL_TIME = re.compile(
    r"(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})"
    r"(?:(?:\s+|T)(\d{1,2}):(\d{1,2})(?::(\d{1,2})(?:\.(\d{1,6}))?)?)?"
)


def parse_time(text: str, zone: tzinfo, fmt: str = "") -> datetime:
    """Cell text → aware UTC. Without `fmt`: `yyyy-MM-dd HH:mm:ss` and the variants
    spreadsheets write when they re-save (`2024/1/2 9:05`, no seconds, date only), or ISO
    8601 with an offset (which then wins over `zone`). With `fmt`: a `strptime` pattern,
    or `unix` / `unix_ms` for epoch numbers. Naive times are in `zone`.

    Raises `ValueError` with a message fit for a report.
    """
    value = text.strip()
    if not fmt and len(value) == 19 and value[4] == "-" and value[10] == " ":
        try:  # the export's own `yyyy-MM-dd HH:mm:ss`: the C parser, no regex
            naive = datetime.fromisoformat(value)
        except ValueError:
            pass  # reported below with the general message
        else:
            offset = _hour_offset(zone, value[:13])
            try:
                if offset is not None:
                    return (naive - offset).replace(tzinfo=UTC)
                return naive.replace(tzinfo=zone).astimezone(UTC)
            except OverflowError:
                raise _out_of_range(value) from None
    if not value:
        raise ValueError("time is empty")
    if fmt in ("unix", "unix_ms"):
        try:
            seconds = float(value) / (1000 if fmt == "unix_ms" else 1)
            return datetime.fromtimestamp(seconds, UTC)
        except (ValueError, OverflowError, OSError):
            raise ValueError(f"{value!r} is not a {fmt} timestamp") from None
    try:
        if fmt:
            parsed = datetime.strptime(value, fmt)
        elif match := _LOCAL_TIME.fullmatch(value):
            y, mo, d, h, mi, s, frac = match.groups()
            parsed = datetime(
                int(y),
                int(mo),
                int(d),
                int(h or 0),
                int(mi or 0),
                int(s or 0),
                int((frac or "0").ljust(6, "0")),
            )
        else:
            parsed = datetime.fromisoformat(value)
    except ValueError:
        wanted = f"format {fmt!r}" if fmt else "yyyy-MM-dd HH:mm:ss"
        raise ValueError(f"{value!r} is not a time ({wanted})") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:
        raise _out_of_range(value) from None


def _out_of_range(value: str) -> ValueError:
    """A local time so close to year 1 or 9999 that UTC cannot hold it (seen in
    spreadsheets as a blank date saved as `0001-01-01`)."""
    return ValueError(f"{value!r} is out of range (in UTC it falls outside years 1–9999)")


@lru_cache(maxsize=4096)
def _hour_offset(zone: tzinfo, hour: str) -> timedelta | None:
    """`zone`'s UTC offset throughout the hour `yyyy-MM-dd HH`, or None when it changes
    inside that hour (a DST switch): then the caller converts the time exactly. Orders
    cluster in hours, so this saves a time-zone lookup per cell."""
    start = datetime.fromisoformat(hour + ":00:00")
    first = start.replace(tzinfo=zone).utcoffset()
    last = (start + timedelta(minutes=59, seconds=59)).replace(tzinfo=zone).utcoffset()
    return first if first == last else None


class TimeReader:
    """`parse_time` for the time cells of many rows in one zone (an export of 100,000 rows
    has 400,000): the export's own `yyyy-MM-dd HH:mm:ss` costs one C parse and a dict
    lookup, a time repeated in the row's next column is parsed once, and every other text
    goes through `parse_time` itself. The answers are `parse_time`'s, errors included."""

    MAX_HOURS = 100_000  # distinct hours remembered (11 years of them)

    def __init__(self, zone: tzinfo) -> None:
        self.zone = zone
        self._offsets: dict[str, timedelta | None] = {}

    def read(self, texts: Sequence[str]) -> tuple[list[datetime | None], list[tuple[int, str]]]:
        """Each text as aware UTC (None when empty or bad), and (index, message) for each
        bad one, in order."""
        values: list[datetime | None] = []
        errors: list[tuple[int, str]] = []
        offsets = self._offsets
        last_text, last = "", None
        for text in texts:
            value = text.strip()
            if not value:
                values.append(None)
                continue
            if value == last_text:
                values.append(last)
                continue
            when: datetime | None = None
            if len(value) == 19 and value[4] == "-" and value[10] == " " and value[13] == ":":
                offset = offsets.get(value[:13], _UNKNOWN)
                if offset is _UNKNOWN:
                    offset = self._offset(value[:13])
                if offset is not None:
                    # Read as UTC, then moved by the zone's offset: no time-zone arithmetic.
                    try:  # noqa: SIM105 - suppress() costs a context manager per cell
                        when = datetime.fromisoformat(value + "+00:00") - offset
                    except (ValueError, OverflowError):
                        pass  # parse_time below gives the message
            if when is None:
                try:
                    when = parse_time(value, self.zone)
                except ValueError as exc:
                    values.append(None)
                    errors.append((len(values) - 1, str(exc)))
                    continue
            values.append(when)
            last_text, last = value, when
        return values, errors

    def _offset(self, hour: str) -> timedelta | None:
        """`_hour_offset` remembered in a dict (None also for a text that is no hour)."""
        if len(self._offsets) >= self.MAX_HOURS:
            self._offsets.clear()
        try:
            offset = _hour_offset(self.zone, hour)
        except ValueError:
            offset = None
        self._offsets[hour] = offset
        return offset


_UNKNOWN = timedelta.min  # not an offset any zone has: "not looked up yet"


def parse_count(text: str) -> int:
    """A whole positive number of pieces (`"2"`, `" 2\\t"`, `"2.0"` from a spreadsheet)."""
    value = text.strip()
    whole, dot, fraction = value.partition(".")
    if not whole.isdigit() or (dot and fraction.strip("0")) or not whole.isascii():
        raise ValueError(f"{value!r} is not a whole number" if value else "quantity is empty")
    return int(whole)
