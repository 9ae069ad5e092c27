"""The sync log as people read it: recent sync runs of the org's shops, and the passes
running right now.

Every window a pass stores, and every failure, is a `SyncRun` row (`core.sync.engine`,
`core.sync.runs`); a pass in progress is a shop whose lease is held and not expired
(`core.sync.lease`), and its progress is how far the shop's cursor has come. Front ends
(`orderhub` TUI settings, later the API) read both here rather than from the tables.
Reading needs `order.view` or `shop.bind`, like the shop list; another org's shop is
simply not found.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core import clock
from core.accounts import authz
from core.actor import Actor
from core.app import App
from core.errors import NotFound, PermissionDenied, ValidationError
from core.models import Shop, SyncRun

READ_PERMISSIONS = frozenset({"order.view", "shop.bind"})
MAX_RUNS = 500
RUN_STATUSES = ("running", "ok", "failed")


@dataclass(frozen=True)
class SyncRunInfo:
    """One row of the sync log: a window stored, or a failure with its error."""

    id: int
    shop_id: int
    shop_name: str
    kind: str  # scheduled | manual | backfill
    status: str  # running | ok | failed
    window_start: datetime
    window_end: datetime
    pages: int
    seen: int
    new: int
    updated: int
    error: str
    worker: str
    started_at: datetime
    duration_ms: int | None


@dataclass(frozen=True)
class RunningPass:
    """A shop being synced now: which worker holds it, until when, and its cursor."""

    shop_id: int
    shop_name: str
    worker: str
    lease_expires_at: datetime
    cursor: datetime | None


def _require_read(session: Session, actor: Actor) -> None:
    if not authz.permissions_of(session, actor) & READ_PERMISSIONS:
        raise PermissionDenied(
            f"{actor.label} lacks permission order.view or shop.bind", permission="order.view"
        )


def recent_runs(
    app: App, actor: Actor, *, shop_id: int | None = None, limit: int = 50
) -> list[SyncRunInfo]:
    """The org's newest sync runs (of one shop with `shop_id`), newest first."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_RUNS:
        raise ValidationError(f"limit must be 1 to {MAX_RUNS}, not {limit!r}", field="limit")
    with app.tx() as session:
        _require_read(session, actor)
        stmt = (
            select(SyncRun, Shop.name)
            .join(Shop, Shop.id == SyncRun.shop_id)
            .where(SyncRun.org_id == actor.org_id)
            .order_by(SyncRun.started_at.desc(), SyncRun.id.desc())
            .limit(limit)
        )
        if shop_id is not None:
            shop = session.get(Shop, shop_id)
            if shop is None or shop.org_id != actor.org_id:
                raise NotFound(f"no shop with id {shop_id}")
            stmt = stmt.where(SyncRun.shop_id == shop_id)
        return [_info(run, name) for run, name in session.execute(stmt)]


@dataclass(frozen=True)
class SyncRunPage:
    """One page of the sync log, newest first; `next_cursor` continues it (None: the end)."""

    items: list[SyncRunInfo]
    next_cursor: str | None


def runs_page(
    app: App,
    actor: Actor,
    *,
    shop_id: int | None = None,
    status: str | None = None,
    after: str | None = None,
    limit: int = 50,
) -> SyncRunPage:
    """The org's sync log a page at a time (the API's list), newest row first.

    Keyset paging on the row id (rows are written as windows commit, so the id order is
    the order they were logged): `after` is the previous page's `next_cursor`, and a page
    never repeats or skips a row when new runs are logged meanwhile. `shop_id` keeps one
    shop's runs (another org's shop is not found), `status` one status.
    """
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_RUNS:
        raise ValidationError(f"limit must be 1 to {MAX_RUNS}, not {limit!r}", field="limit")
    if status is not None and status not in RUN_STATUSES:
        raise ValidationError(
            f"status must be one of {', '.join(RUN_STATUSES)}, not {status!r}", field="status"
        )
    before = _cursor_id(after)
    with app.tx() as session:
        _require_read(session, actor)
        stmt = (
            select(SyncRun, Shop.name)
            .join(Shop, Shop.id == SyncRun.shop_id)
            .where(SyncRun.org_id == actor.org_id)
            .order_by(SyncRun.id.desc())
            .limit(limit + 1)
        )
        if shop_id is not None:
            shop = session.get(Shop, shop_id)
            if shop is None or shop.org_id != actor.org_id:
                raise NotFound(f"no shop with id {shop_id}")
            stmt = stmt.where(SyncRun.shop_id == shop_id)
        if status is not None:
            stmt = stmt.where(SyncRun.status == status)
        if before is not None:
            stmt = stmt.where(SyncRun.id < before)
        rows = [_info(run, name) for run, name in session.execute(stmt)]
    more = len(rows) > limit
    rows = rows[:limit]
    return SyncRunPage(rows, str(rows[-1].id) if more else None)


def _cursor_id(after: str | None) -> int | None:
    """The row id a `next_cursor` names (a page's last id), or None for the first page."""
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


def running_passes(app: App, actor: Actor) -> list[RunningPass]:
    """The org's shops a worker holds right now (lease not expired), by shop id."""
    now = clock.now()
    with app.tx() as session:
        _require_read(session, actor)
        rows = session.scalars(
            select(Shop)
            .where(
                Shop.org_id == actor.org_id,
                Shop.lease_owner.is_not(None),
                Shop.lease_expires_at > now,
            )
            .order_by(Shop.id)
        )
        return [
            RunningPass(
                shop_id=shop.id,
                shop_name=shop.name,
                worker=shop.lease_owner or "",
                lease_expires_at=clock.as_utc(shop.lease_expires_at),  # type: ignore[arg-type]
                cursor=clock.as_utc(shop.sync_cursor) if shop.sync_cursor else None,
            )
            for shop in rows
        ]


def _info(run: SyncRun, shop_name: str) -> SyncRunInfo:
    return SyncRunInfo(
        id=run.id,
        shop_id=run.shop_id,
        shop_name=shop_name,
        kind=run.kind,
        status=run.status,
        window_start=clock.as_utc(run.window_start),
        window_end=clock.as_utc(run.window_end),
        pages=run.pages,
        seen=run.seen,
        new=run.new,
        updated=run.updated,
        error=run.error,
        worker=run.worker,
        started_at=clock.as_utc(run.started_at),
        duration_ms=run.duration_ms,
    )
