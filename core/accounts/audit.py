"""Audit trail: every login, permission change, token and later every sensitive action.

Reading it needs `settings.manage` (`list_events` for the CLI, `audit_page` for the API:
newest first, a page at a time by a keyset cursor, filtered by action, target and time).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts import authz
from core.actor import Actor
from core.errors import ValidationError
from core.models import AuditEvent

if TYPE_CHECKING:
    from core.app import App


def record(
    session: Session,
    action: str,
    *,
    actor: Actor | None = None,
    org_id: int | None = None,
    actor_label: str | None = None,
    target_type: str = "",
    target_id: object = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    detail: str = "",
) -> AuditEvent:
    """Append one event in the caller's transaction, so it commits or rolls back with the act.

    Failed logins are the exception: callers commit those on their own (see `core.accounts.auth`).
    """
    event = AuditEvent(
        org_id=org_id if org_id is not None else (actor.org_id if actor else None),
        actor_user_id=actor.user_id if actor else None,
        actor_label=actor_label or (actor.label if actor else "anonymous"),
        action=action,
        target_type=target_type,
        target_id=str(target_id) if target_id != "" else "",
        before=before,
        after=after,
        detail=detail,
    )
    session.add(event)
    session.flush()
    return event


def record_each(
    session: Session,
    action: str,
    targets: Iterable[tuple[str, object, str, dict[str, Any] | None, dict[str, Any] | None]],
    *,
    actor: Actor | None = None,
    org_id: int | None = None,
    actor_label: str = "",
) -> int:
    """One event per target of a batch act, so that each order's own trail shows it,
    written with a single flush. A target is `(target_type, target_id, detail, before,
    after)`. The act is a person's (`actor`) or the system's (`org_id` and `actor_label`,
    e.g. a sync or the rules). Returns how many events were written."""
    rows = [
        AuditEvent(
            org_id=actor.org_id if actor else org_id,
            actor_user_id=actor.user_id if actor else None,
            actor_label=actor.label if actor else actor_label,
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            before=before,
            after=after,
            detail=detail,
        )
        for target_type, target_id, detail, before, after in targets
    ]
    session.add_all(rows)
    session.flush()
    return len(rows)


def events(
    session: Session, org_id: int, *, action: str | None = None, limit: int = 100
) -> list[AuditEvent]:
    """Newest first, scoped to one org."""
    stmt = select(AuditEvent).where(AuditEvent.org_id == org_id)
    if action:
        stmt = stmt.where(AuditEvent.action == action)
    stmt = stmt.order_by(AuditEvent.id.desc()).limit(limit)
    return list(session.scalars(stmt))


def list_events(
    app: App, actor: Actor, *, action: str | None = None, limit: int = 100
) -> list[AuditEvent]:
    """The org's audit trail, newest first; reading it needs settings.manage."""

    if not 1 <= limit <= 10_000:
        raise ValidationError("limit must be 1 to 10000", field="limit")
    with app.tx() as session:
        authz.require(session, actor, "settings.manage")
        return events(session, actor.org_id, action=action, limit=limit)


MAX_PAGE = 500
_CURSOR_DIGITS = 18


@dataclass(frozen=True)
class AuditEntry:
    """One event of the trail as front ends show it (no ORM row)."""

    id: int
    at: datetime
    actor: str
    action: str
    target_type: str
    target_id: str
    detail: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@dataclass(frozen=True)
class AuditPage:
    entries: tuple[AuditEntry, ...]
    next_cursor: str | None  # give it as `after` for the next (older) page


def audit_page(
    app: App,
    actor: Actor,
    *,
    after: str | None = None,
    limit: int = 100,
    action: str | None = None,
    target_type: str | None = None,
    target_id: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> AuditPage:
    """A page of the org's audit trail, newest first (settings.manage). `after` is the
    previous page's `next_cursor`; `since` (inclusive) and `until` (exclusive) bound the
    time, `action`, `target_type` and `target_id` must match exactly."""
    if not 1 <= limit <= MAX_PAGE:
        raise ValidationError(f"limit must be 1 to {MAX_PAGE}", field="limit")
    cursor = _cursor(after)
    for name, moment in (("since", since), ("until", until)):
        if moment is not None and moment.tzinfo is None:
            raise ValidationError(f"{name}: give a time zone (e.g. Z or +08:00)", field=name)
    with app.tx() as session:
        authz.require(session, actor, "settings.manage")
        stmt = select(AuditEvent).where(AuditEvent.org_id == actor.org_id)
        if cursor is not None:
            stmt = stmt.where(AuditEvent.id < cursor)
        for column, value in (
            (AuditEvent.action, action),
            (AuditEvent.target_type, target_type),
            (AuditEvent.target_id, target_id),
        ):
            if value is not None:
                stmt = stmt.where(column == value)
        if since is not None:
            stmt = stmt.where(AuditEvent.at >= since)
        if until is not None:
            stmt = stmt.where(AuditEvent.at < until)
        rows = list(session.scalars(stmt.order_by(AuditEvent.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    entries = tuple(
        AuditEntry(
            e.id,
            e.at,
            e.actor_label,
            e.action,
            e.target_type,
            e.target_id,
            e.detail,
            e.before,
            e.after,
        )
        for e in rows[:limit]
    )
    return AuditPage(entries, str(entries[-1].id) if more else None)


def _cursor(after: str | None) -> int | None:
    if after is None:
        return None
    text = after.strip()
    if not (text.isascii() and text.isdigit()) or len(text) > _CURSOR_DIGITS:
        raise ValidationError(
            f"after: {after[:20]!r} is not a cursor of this list (use next_cursor)",
            field="after",
        )
    return int(text)
