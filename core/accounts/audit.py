"""Audit trail: every login, permission change, token and later every sensitive action."""

from __future__ import annotations

from collections.abc import Iterable
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
