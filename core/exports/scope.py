"""What every export shares: the request, the batches, the receiver columns, the audit.

- **The request.** The filter is the desk's (`core.desk.query.parse`: its keys, its errors
  pointing at the token). `sort:` may only be `id` or `-id` — an export walks ids, which
  is what lets it stream (see below) — and `limit:` caps the orders. The date range is two
  Beijing dates (or `YYYY-MM-DDTHH:MM` times) as the desk writes them, both ends
  included; each export says which of its times the range is on.
- **Batches.** Rows are read by keyset — ids after the last one seen, `BATCH` at a time,
  each batch in its own short transaction — and handed to the writer before the next
  batch is read. Memory holds one batch whatever the row count, no transaction stays open
  while the file is written, and an order arriving meanwhile is simply in or out.
- **Receivers.** Name, phone and address are the stored masked copies. With `reveal`
  (needs `pii.view`) they are decrypted — except those of platform-encrypted orders,
  which only the platform decrypts, one order at a time for display (`core.desk.show`):
  they stay masked and the audit event counts them. An export in clear writes one audit
  event naming the export, the filter, the range and the row count — written even when
  the export fails part way, with the rows handed to the writer until then.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, BinaryIO

from sqlalchemy import ColumnElement, Select
from sqlalchemy.orm import InstrumentedAttribute, Session

from core import clock
from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.desk import predicates
from core.desk.query import Query, parse, parse_time
from core.errors import ValidationError
from core.models import Order
from core.tabular.writing import Cell, write_table

FORMATS = ("csv", "xlsx")
#: Ids of one batch: a few queries each; 1,000 keeps `IN (…)` lists well under both
#: backends' limits and a batch's rows to a few megabytes.
BATCH = 1000
SORTS = ("id", "-id")
RECEIVER_HEADERS = ("收货人", "手机", "详细地址")

Row = list[Cell]


@dataclass(frozen=True)
class Request:
    """An export's filter and range, checked: the parsed query, its text as the desk
    writes it, and the range as [start, end) in UTC (None: open)."""

    query: Query
    start: datetime | None
    end: datetime | None
    fmt: str
    reveal: bool
    range_given: str = ""  # the range as given ("2026-12-01 – 2026-12-07"), for messages

    @property
    def filter_text(self) -> str:
        return self.query.format()

    @property
    def descending(self) -> bool:
        return self.query.sort == "-id"


@dataclass(frozen=True)
class Exported:
    kind: str  # orders | packages | waybills | prints | catalogue | mappings
    rows: int  # data rows written
    filter: str  # the filter in canonical form ("" for all)
    revealed: bool  # receivers in clear (audited)
    masked: int = 0  # rows whose receiver stayed masked although revealed (platform-encrypted)


def request(
    query: str | None,
    since: str | date | None,
    until: str | date | None,
    fmt: str,
    *,
    reveal: bool = False,
) -> Request:
    """The request checked, before anything is read or written."""
    if fmt not in FORMATS:
        raise ValidationError(f"format must be csv or xlsx, not {fmt!r}", field="format")
    found = parse(query)
    if found.sort and found.sort not in SORTS:
        raise ValidationError(
            f"filter: an export goes by id (sort:id or sort:-id), not sort:{found.sort}; "
            "leave sort out",
            field="filter",
        )
    start = _bound(since, "from", 0)
    end = _bound(until, "to", 1)
    if start is not None and end is not None and end <= start:
        raise ValidationError(f"the range ends ({until}) before it starts ({since})", field="to")
    given = ""
    if start is not None or end is not None:
        given = f"{_shown(since)} – {_shown(until)}"
    return Request(found, start, end, fmt, reveal, given)


def _shown(value: str | date | None) -> str:
    if value is None or value == "":
        return "…"
    return value.isoformat() if isinstance(value, date) else str(value).strip()


def _bound(value: str | date | None, field: str, side: int) -> datetime | None:
    if value is None or value == "":
        return None
    text = value.isoformat() if isinstance(value, date) else str(value).strip()
    if isinstance(value, datetime):
        text = clock.as_utc(value).astimezone(clock.SHANGHAI).strftime("%Y-%m-%dT%H:%M:%S")
    if parse_time(text) is None:
        raise ValidationError(
            f"--{field} {text!r} is not a date YYYY-MM-DD or time YYYY-MM-DDTHH:MM (Beijing)",
            field=field,
        )
    return predicates.bounds(text)[side]


def in_range(column: InstrumentedAttribute, req: Request) -> list[ColumnElement[bool]]:
    """`column` within the request's range (no clause for an open end)."""
    found: list[ColumnElement[bool]] = []
    if req.start is not None:
        found.append(column >= req.start)
    if req.end is not None:
        found.append(column < req.end)
    return found


def order_clauses(req: Request, actor: Actor, app: App) -> list[ColumnElement[bool]]:
    """The desk's WHERE for the actor's org and the request's filter (terms only)."""
    scope = predicates.Scope(actor.org_id, app.keyring, clock.now())
    return predicates.where(req.query, scope)


def check_reveal(session: Session, actor: Actor, req: Request) -> None:
    if req.reveal:
        authz.require(session, actor, "pii.view")


def batches(
    app: App,
    base: Select[Any],
    column: InstrumentedAttribute,
    build: Callable[[Session, list[int]], list[Row]],
    *,
    descending: bool = False,
    most: int | None = None,
) -> Iterator[Row]:
    """The rows `build` makes of `base`'s ids (a SELECT of `column`), `BATCH` ids at a
    time in id order, each batch read in its own transaction; at most `most` ids."""
    last: int | None = None
    left = most
    while left is None or left > 0:
        size = BATCH if left is None else min(BATCH, left)
        stmt = base
        if last is not None:
            stmt = stmt.where(column < last if descending else column > last)
        stmt = stmt.order_by(column.desc() if descending else column).limit(size)
        with app.tx() as session:
            ids = list(session.scalars(stmt))
            rows = build(session, ids) if ids else []
        yield from rows
        if len(ids) < size:
            return
        last = ids[-1]
        if left is not None:
            left -= len(ids)


def receiver_columns(reveal: bool) -> tuple[Any, ...]:
    """What to select for the receiver: the masked copies, and the ciphertext to decrypt."""
    masked = (
        Order.receiver_name_masked,
        Order.receiver_phone_masked,
        Order.receiver_address_masked,
    )
    if not reveal:
        return masked
    clear = (
        Order.receiver_name,
        Order.receiver_phone,
        Order.receiver_address,
        Order.receiver_is_platform_encrypted,
    )
    return masked + clear


def receiver_cells(values: Sequence[Any], reveal: bool) -> tuple[list[Cell], bool]:
    """The three receiver cells of a row selected with `receiver_columns`, and whether
    they stayed masked although `reveal` asked for them in clear."""
    if not reveal:
        return list(values[:3]), False
    if values[6]:  # platform ciphertext: the platform alone decrypts it
        return list(values[:3]), True
    return [values[3] or "", values[4] or "", values[5] or ""], False


def write(
    app: App,
    actor: Actor,
    out: BinaryIO,
    req: Request,
    kind: str,
    columns: Sequence[str],
    rows: Iterator[Row],
    masked: Callable[[], int] = lambda: 0,
) -> Exported:
    """Write the rows; with `reveal`, record the one audit event, even on failure."""
    counter = _Counter(rows)
    failure = ""
    try:
        written = write_table(out, req.fmt, columns, counter, sheet=kind)  # type: ignore[arg-type]
    except BaseException as exc:
        failure = f"; stopped by {type(exc).__name__}"
        raise
    finally:
        if req.reveal:
            _record(app, actor, req, kind, counter.count, masked(), failure)
    return Exported(kind, written, req.filter_text, req.reveal, masked())


class _Counter:
    """The rows, counted as the writer takes them."""

    def __init__(self, rows: Iterator[Row]) -> None:
        self.rows, self.count = rows, 0

    def __iter__(self) -> Iterator[Row]:
        for row in self.rows:
            self.count += 1
            yield row


def _record(
    app: App, actor: Actor, req: Request, kind: str, rows: int, masked: int, failure: str
) -> None:
    shown = f"filter {req.filter_text!r}" if req.filter_text else "no filter"
    if req.range_given:
        shown += f", {req.range_given}"
    kept = f", {masked} platform-encrypted left masked" if masked else ""
    with app.tx() as session:
        audit.record(
            session,
            "export.reveal",
            actor=actor,
            target_type="org",
            target_id=actor.org_id,
            after={"export": kind, "filter": req.filter_text, "rows": rows, "format": req.fmt},
            detail=f"{kind} exported with receivers in clear ({req.fmt}, {shown}): "
            f"{rows} rows{kept}{failure}",
        )
