"""Claiming due outbox rows and recording what became of them.

A claim is four columns on the row: `state = 'sending'`, `claim_owner` (the worker),
`claim_token` (fresh per claim) and `claim_until`; `next_attempt_at` is set to
`claim_until` too, so the one partial index over open rows finds both the rows that are
due and the rows whose claimer died (their claim ran out). Taking rows is a conditional
UPDATE that re-checks "still due" on each row, atomic on both backends; on PostgreSQL
the candidates are first picked with `FOR UPDATE SKIP LOCKED`, so workers on several
machines pass each other instead of queueing on the same rows. On SQLite the database
has one writer at a time, which serialises claims.

Every outcome is written `WHERE claim_token = mine AND state = 'sending'`: a worker whose
claim ran out and whose rows another worker took writes nothing (`record` says how many
rows it really changed), so a stalled worker never overwrites the newer truth.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.orm import Session

from core import clock
from core.app import App
from core.db import open_write_transaction
from core.models import Order, Package, PackageLine, ShipmentOutbox
from core.models.shipback import OPEN_OUTBOX_STATES

OUTBOX, PACKAGES, ORDERS, LINES = (
    ShipmentOutbox.__table__,
    Package.__table__,
    Order.__table__,
    PackageLine.__table__,
)
#: Outbox states after which a package counts as told to its platform.
SETTLED = ("done", "shipped_outside")


@dataclass(frozen=True)
class Claimed:
    """One claimed row, as the drain needs it (no ORM object outlives the claim's tx)."""

    id: int
    org_id: int
    shop_id: int
    order_id: int
    order_number: str
    package_id: int
    logistics_company_id: str
    tracking_number: str
    attempts: int
    token: str


@dataclass(frozen=True)
class Outcome:
    """What happened to one claimed row: its new state and, for failures, why."""

    row: Claimed
    state: str  # pending (retry later) | done | held | needs_person
    outcome: str = ""  # done: sent | already_shipped
    error: str = ""
    error_class: str = ""
    retry_at: datetime | None = None
    hold_reason: str = ""  # held: put the order and its package on hold with this


def due_condition(now: datetime):  # type: ignore[no-untyped-def]
    """SQL: an open row whose time has come (a due pending row, or a lapsed claim)."""
    return and_(OUTBOX.c.state.in_(OPEN_OUTBOX_STATES), OUTBOX.c.next_attempt_at <= now)


def claim_due(
    app: App,
    owner: str,
    limit: int,
    lease: timedelta,
    *,
    org_id: int | None = None,
    due_by: datetime | None = None,
) -> list[Claimed]:
    """Claim up to `limit` rows for `owner` (of one org with `org_id`) that are due now —
    or were due by `due_by`, so a pass does not take again what it just put back — oldest
    due first; [] when none is."""
    now = clock.now()
    until = now + lease
    if due_by is not None:
        now = min(now, due_by)
    token = secrets.token_hex(8)
    if not _any_due(app, now, org_id):
        return []  # the usual idle round: no write lock taken (SQLite has one writer)
    with app.tx() as session:
        postgres = session.get_bind().dialect.name == "postgresql"
        if not postgres:
            open_write_transaction(session)
        query = (
            select(OUTBOX.c.id)
            .where(due_condition(now))
            .order_by(OUTBOX.c.next_attempt_at, OUTBOX.c.id)
            .limit(limit)
        )
        if org_id is not None:
            query = query.where(OUTBOX.c.org_id == org_id)
        if postgres:
            query = query.with_for_update(skip_locked=True)
        ids = list(session.scalars(query))
        if not ids:
            return []
        rows = session.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id.in_(ids), due_condition(now))
            .values(
                state="sending",
                claim_owner=owner,
                claim_token=token,
                claim_until=until,
                next_attempt_at=until,
                attempts=OUTBOX.c.attempts + 1,
                updated_at=now,
            )
            .returning(
                OUTBOX.c.id,
                OUTBOX.c.org_id,
                OUTBOX.c.shop_id,
                OUTBOX.c.order_id,
                OUTBOX.c.order_number,
                OUTBOX.c.package_id,
                OUTBOX.c.logistics_company_id,
                OUTBOX.c.tracking_number,
                OUTBOX.c.attempts,
            )
        ).all()
    claimed = [Claimed(*row, token=token) for row in rows]
    return sorted(claimed, key=lambda c: c.id)


def _any_due(app: App, now: datetime, org_id: int | None) -> bool:
    query = select(OUTBOX.c.id).where(due_condition(now)).limit(1)
    if org_id is not None:
        query = query.where(OUTBOX.c.org_id == org_id)
    with app.tx() as session:
        return session.scalar(query) is not None


def count_due(app: App, org_id: int) -> int:
    """Rows of the org due now: what a drain run by a person has ahead of it."""
    query = (select(func.count()).select_from(OUTBOX).where(due_condition(clock.now()))).where(
        OUTBOX.c.org_id == org_id
    )
    with app.tx() as session:
        return int(session.scalar(query) or 0)


def release(app: App, rows: Sequence[Claimed]) -> int:
    """Give rows back untouched (due now) — a worker stopping before it sent them."""
    if not rows:
        return 0
    now = clock.now()
    with app.tx() as session:
        return session.execute(
            update(OUTBOX)
            .where(
                OUTBOX.c.id.in_([r.id for r in rows]),
                OUTBOX.c.claim_token == rows[0].token,
                OUTBOX.c.state == "sending",
            )
            .values(
                state="pending",
                claim_owner=None,
                claim_token=None,
                claim_until=None,
                next_attempt_at=now,
                attempts=OUTBOX.c.attempts - 1,
                updated_at=now,
            )
        ).rowcount


def release_owner(app: App, owner: str) -> int:
    """Give back every row `owner` holds: a worker restarted under the same id takes
    back what its previous life claimed instead of waiting for the claims to run out
    (a row sent but not recorded then meets "already shipped" on its next try)."""
    now = clock.now()
    with app.tx() as session:
        return session.execute(
            update(OUTBOX)
            .where(OUTBOX.c.claim_owner == owner, OUTBOX.c.state == "sending")
            .values(
                state="pending",
                claim_owner=None,
                claim_token=None,
                claim_until=None,
                next_attempt_at=now,
                updated_at=now,
            )
        ).rowcount


def record(app: App, outcomes: Sequence[Outcome]) -> list[Outcome]:
    """Write the outcomes (one transaction), fenced by each row's claim; packages whose
    orders are all settled become `synced`, held orders and their packages go on hold.
    Returns the outcomes that were written (a row taken over by another worker is not)."""
    if not outcomes:
        return []
    now = clock.now()
    written: list[Outcome] = []
    # Outcomes alike (most often: a batch's "done, sent") share one UPDATE whose
    # RETURNING names the rows that were still ours.
    groups: dict[tuple, list[Outcome]] = {}
    for item in outcomes:
        key = (item.row.token, item.state, item.outcome, item.error, item.error_class)
        groups.setdefault((*key, item.retry_at), []).append(item)
    with app.tx() as session:
        for (token, state, outcome, error, error_class, retry_at), items in groups.items():
            values: dict[str, object] = {
                "state": state,
                "claim_owner": None,
                "claim_token": None,
                "claim_until": None,
                "last_error": error,
                "last_error_class": error_class,
                "updated_at": now,
            }
            if state == "pending":
                values["next_attempt_at"] = retry_at or now
            if state == "done":
                values.update(outcome=outcome, done_at=now)
            moved = set(
                session.scalars(
                    update(OUTBOX)
                    .where(
                        OUTBOX.c.id.in_([i.row.id for i in items]),
                        OUTBOX.c.claim_token == token,
                        OUTBOX.c.state == "sending",
                    )
                    .values(**values)
                    .returning(OUTBOX.c.id)
                )
            )
            written += [i for i in items if i.row.id in moved]
        held = [o for o in written if o.state == "held"]
        if held:
            hold(session, held, now)
        done = sorted({o.row.order_id for o in written if o.state == "done"})
        if done:
            mark_synced(session, done, now)
    return written


def hold(session: Session, held: Sequence[Outcome], now: datetime) -> None:
    """A refund or closure found at send time: the order and its package go on hold, so
    the desk and the pack station show it (拦截) and nothing else ships it."""
    for item in held:
        reason = item.hold_reason[:255]
        session.execute(
            update(ORDERS)
            .where(ORDERS.c.id == item.row.order_id, ORDERS.c.on_hold.is_(False))
            .values(on_hold=True, hold_reason=reason, version=ORDERS.c.version + 1)
        )
        session.execute(
            update(PACKAGES)
            .where(PACKAGES.c.id == item.row.package_id, PACKAGES.c.status == "shipped")
            .values(status="on_hold", hold_reason=reason, updated_at=now)
        )


def mark_synced(session: Session, order_ids: Sequence[int], now: datetime) -> None:
    """The packages of these orders (a split order's too) whose orders' rows are all
    settled: shipped → synced."""
    package_ids = select(LINES.c.package_id).where(LINES.c.order_id.in_(order_ids))
    unsettled = exists().where(
        LINES.c.package_id == PACKAGES.c.id,
        OUTBOX.c.order_id == LINES.c.order_id,
        OUTBOX.c.state.not_in(SETTLED),
    )
    session.execute(
        update(PACKAGES)
        .where(PACKAGES.c.id.in_(package_ids), PACKAGES.c.status == "shipped", ~unsettled)
        .values(status="synced", updated_at=now)
    )
