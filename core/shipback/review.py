"""The outbox as people see and steer it: `ship status`, `ship retry`,
`ship mark-shipped-outside`.

- `outbox_status` (order.view): counts by state and the rows of one state (or every
  open and failed one), newest first, with the last error and its class.
- `outbox_page` (order.view): every row or one state's, a keyset page at a time (the
  HTTP API's list), with the counts by state.
- `retry` (ship.confirm): rows that need a person, or held rows whose order is no
  longer on hold, go back to pending, due now; a held row's package is shipped again.
  `retry_row` does the same for one row named by its id.
- `mark_shipped_outside` (ship.confirm): the order was shipped by other means (the
  platform's back office, another tool); the row stops, its packages count as synced.

Rows are named by platform order number and must be the org's (`NotFound` otherwise);
rows being sent right now (claimed) are refused by name. Each change is audited.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from core import clock
from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.db import open_write_transaction
from core.errors import Conflict, NotFound, ValidationError
from core.models import Order, Package, ShipmentOutbox
from core.models.shipback import OUTBOX_STATES
from core.shipback import outbox

MAX_ROWS = 1000
#: What `outbox_status` lists when no state is named: everything not settled.
UNSETTLED = ("pending", "sending", "held", "needs_person")
RETRYABLE = ("needs_person", "held")
STOPPABLE = ("pending", "held", "needs_person")


@dataclass(frozen=True)
class OutboxRow:
    """One outbox row as front ends show it (no ORM object)."""

    id: int
    order_number: str
    package_id: int
    tracking_number: str
    logistics_company_id: str
    extra_numbers: tuple[str, ...]
    state: str
    outcome: str
    attempts: int
    next_attempt_at: datetime | None
    last_error_class: str
    last_error: str
    created_at: datetime
    done_at: datetime | None


@dataclass
class OutboxStatus:
    counts: dict[str, int]
    rows: list[OutboxRow]
    oldest_open: datetime | None


@dataclass
class ReviewResult:
    changed: list[str] = field(default_factory=list)
    refused: dict[str, str] = field(default_factory=dict)


def outbox_status(
    app: App, actor: Actor, *, state: str | None = None, limit: int = 50
) -> OutboxStatus:
    """Counts by state, the oldest open row's age, and up to `limit` rows."""
    if state is not None and state not in OUTBOX_STATES:
        raise ValidationError(
            f"state must be one of {', '.join(OUTBOX_STATES)}, not {state!r}", field="state"
        )
    if not 0 <= limit <= MAX_ROWS:
        raise ValidationError(f"limit must be 0–{MAX_ROWS}, not {limit}", field="limit")
    with app.tx() as session:
        authz.require(session, actor, "order.view")
        org = ShipmentOutbox.org_id == actor.org_id
        counts = dict(
            session.execute(
                select(ShipmentOutbox.state, func.count()).where(org).group_by(ShipmentOutbox.state)
            ).all()
        )
        oldest = session.scalar(
            select(func.min(ShipmentOutbox.created_at)).where(
                org, ShipmentOutbox.state.in_(("pending", "sending"))
            )
        )
        states = (state,) if state else UNSETTLED
        rows = session.scalars(
            select(ShipmentOutbox)
            .where(org, ShipmentOutbox.state.in_(states))
            .order_by(ShipmentOutbox.id.desc())
            .limit(limit)
        ).all()
        return OutboxStatus(
            counts={s: counts.get(s, 0) for s in OUTBOX_STATES},
            rows=[_view(r) for r in rows],
            oldest_open=clock.as_utc(oldest) if oldest else None,
        )


@dataclass(frozen=True)
class OutboxPage:
    """One page of outbox rows, newest first; `next_cursor` continues it (None: the
    end). `counts` are the org's rows by state, all of them, whatever the filter."""

    items: list[OutboxRow]
    next_cursor: str | None
    counts: dict[str, int]


def outbox_page(
    app: App,
    actor: Actor,
    *,
    state: str | None = None,
    after: str | None = None,
    limit: int = 50,
) -> OutboxPage:
    """The org's outbox a page at a time (the API's list; `order.view`), newest row
    first: rows of `state`, or every row. Keyset paging on the row id: `after` is the
    previous page's `next_cursor`."""
    if state is not None and state not in OUTBOX_STATES:
        raise ValidationError(
            f"state must be one of {', '.join(OUTBOX_STATES)}, not {state!r}", field="state"
        )
    if isinstance(limit, bool) or not 1 <= limit <= MAX_ROWS:
        raise ValidationError(f"limit must be 1–{MAX_ROWS}, not {limit}", field="limit")
    before = _cursor_id(after)
    with app.tx() as session:
        authz.require(session, actor, "order.view")
        org = ShipmentOutbox.org_id == actor.org_id
        counts = dict(
            session.execute(
                select(ShipmentOutbox.state, func.count()).where(org).group_by(ShipmentOutbox.state)
            ).all()
        )
        query = select(ShipmentOutbox).where(org).order_by(ShipmentOutbox.id.desc())
        if state is not None:
            query = query.where(ShipmentOutbox.state == state)
        if before is not None:
            query = query.where(ShipmentOutbox.id < before)
        rows = [_view(r) for r in session.scalars(query.limit(limit + 1))]
    more = len(rows) > limit
    rows = rows[:limit]
    return OutboxPage(
        items=rows,
        next_cursor=str(rows[-1].id) if more else None,
        counts={s: counts.get(s, 0) for s in OUTBOX_STATES},
    )


def _cursor_id(after: str | None) -> int | None:
    if after is None or after == "":
        return None
    text = after.strip()
    # A cursor is a row id: an INTEGER column (32-bit on PostgreSQL, which refuses a
    # larger number outright rather than finding nothing).
    if not text.isascii() or not text.isdigit() or len(text) > 10 or int(text) > 2**31 - 1:
        raise ValidationError(
            f"after: {after!r} is not a cursor this list gave out; start from the first page",
            field="after",
        )
    return int(text)


def retry(app: App, actor: Actor, order_numbers: Iterable[str]) -> ReviewResult:
    """Send these rows again (needs_person, or held once their order is released)."""
    numbers = _numbers(order_numbers)
    result = ReviewResult()
    with app.tx() as session:
        authz.require(session, actor, "ship.confirm")
        open_write_transaction(session)
        rows = _rows(session, actor.org_id, numbers)
        on_hold = _orders_on_hold(session, [r.order_id for r in rows.values()])
        for number in numbers:
            why = _retry_row(session, actor, rows[number], on_hold)
            if why:
                result.refused[number] = why
            else:
                result.changed.append(number)
    return result


def retry_row(app: App, actor: Actor, row_id: int) -> OutboxRow:
    """`retry` for one row named by its id (the API's `…/outbox/{id}/retry`): the row as
    it is now, pending and due; `Conflict` with the reason when it cannot be retried,
    `NotFound` when it is not the org's."""
    with app.tx() as session:
        authz.require(session, actor, "ship.confirm")
        open_write_transaction(session)
        row = session.get(ShipmentOutbox, row_id)
        if row is None or row.org_id != actor.org_id:
            raise NotFound(f"no shipment confirmation with id {row_id}")
        why = _retry_row(session, actor, row, _orders_on_hold(session, [row.order_id]))
        if why:
            raise Conflict(why, field="state")
        session.flush()
        return _view(row)


def _retry_row(session: Session, actor: Actor, row: ShipmentOutbox, on_hold: dict[int, str]) -> str:
    """Put one row back to pending, due now (a held row's package shipped again); or
    say why it may not be."""
    number = row.order_number
    if row.state not in RETRYABLE:
        return f"order {number} is {row.state}: nothing to retry"
    if row.state == "held" and row.order_id in on_hold:
        return (
            f"order {number} is on hold ({on_hold[row.order_id]}); release it first "
            f"(`orderhub orders release {number}`) once the refund is closed"
        )
    now = clock.now()
    if row.state == "held":
        session.execute(
            update(Package)
            .where(Package.id == row.package_id, Package.status == "on_hold")
            .values(status="shipped", hold_reason="", updated_at=now)
        )
    before = {"state": row.state, "error": row.last_error_class}
    row.state, row.next_attempt_at, row.updated_at = "pending", now, now
    _audit(session, actor, "ship.retry", row, before)
    return ""


def mark_shipped_outside(
    app: App, actor: Actor, order_numbers: Iterable[str], *, note: str = ""
) -> ReviewResult:
    """These orders left by other means: their rows stop, their packages are synced."""
    numbers = _numbers(order_numbers)
    note = note.strip()[:500]
    result = ReviewResult()
    now = clock.now()
    with app.tx() as session:
        authz.require(session, actor, "ship.confirm")
        open_write_transaction(session)
        rows = _rows(session, actor.org_id, numbers)
        for number in numbers:
            row = rows[number]
            if row.state not in STOPPABLE:
                why = (
                    "being sent right now; try again in a minute"
                    if row.state == "sending"
                    else row.state
                )
                result.refused[number] = f"order {number} is {why}"
                continue
            before = {"state": row.state, "error": row.last_error_class}
            row.state, row.outcome, row.done_at, row.updated_at = "shipped_outside", "", now, now
            row.last_error = note or "shipped by other means (marked by a person)"
            row.last_error_class = ""
            session.execute(
                update(Package)
                .where(Package.id == row.package_id, Package.status == "on_hold")
                .values(status="shipped", hold_reason="", updated_at=now)
            )
            result.changed.append(number)
            _audit(session, actor, "ship.mark_shipped_outside", row, before, note)
        session.flush()
        ids = [rows[n].order_id for n in result.changed]
        if ids:
            outbox.mark_synced(session, ids, now)
    return result


def _numbers(order_numbers: Iterable[str]) -> list[str]:
    numbers = list(dict.fromkeys(n.strip() for n in order_numbers if n and n.strip()))
    if not numbers:
        raise ValidationError("name at least one order number", field="orders")
    if len(numbers) > MAX_ROWS:
        raise ValidationError(f"at most {MAX_ROWS} orders at once", field="orders")
    return numbers


def _rows(session: Session, org_id: int, numbers: list[str]) -> dict[str, ShipmentOutbox]:
    rows = session.scalars(
        select(ShipmentOutbox).where(
            ShipmentOutbox.org_id == org_id, ShipmentOutbox.order_number.in_(numbers)
        )
    ).all()
    found = {r.order_number: r for r in rows}
    missing = [n for n in numbers if n not in found]
    if missing:
        raise NotFound(
            f"no shipment confirmation for order {', '.join(missing[:10])}", orders=missing
        )
    return found


def _orders_on_hold(session: Session, order_ids: list[int]) -> dict[int, str]:
    rows = session.execute(
        select(Order.id, Order.hold_reason).where(Order.id.in_(order_ids), Order.on_hold.is_(True))
    ).all()
    return {order_id: reason or "on hold" for order_id, reason in rows}


def _audit(
    session: Session,
    actor: Actor,
    action: str,
    row: ShipmentOutbox,
    before: dict[str, str],
    note: str = "",
) -> None:
    audit.record(
        session,
        action,
        actor=actor,
        target_type="order",
        target_id=row.order_id,
        before=before,
        after={"state": row.state},
        detail=f"{row.order_number} {note}".strip(),
    )


def _view(row: ShipmentOutbox) -> OutboxRow:
    return OutboxRow(
        id=row.id,
        order_number=row.order_number,
        package_id=row.package_id,
        tracking_number=row.tracking_number,
        logistics_company_id=row.logistics_company_id,
        extra_numbers=tuple(row.extra_numbers or ()),
        state=row.state,
        outcome=row.outcome,
        attempts=row.attempts,
        next_attempt_at=clock.as_utc(row.next_attempt_at) if row.next_attempt_at else None,
        last_error_class=row.last_error_class,
        last_error=row.last_error,
        created_at=clock.as_utc(row.created_at),
        done_at=clock.as_utc(row.done_at) if row.done_at else None,
    )
