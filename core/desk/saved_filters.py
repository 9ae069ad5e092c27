"""常用筛选: named filters of one user, shareable with the whole org.

A saved filter is stored in the filter language's canonical form (`core.desk.query`), so
it was valid when saved and reads the same in every front end. Rules (decided here):

- anyone with `order.view` saves, lists, renames, shares and deletes their own filters;
  a filter belongs to a user, so the host's system actor (the CLI without `--as`) can
  list them all but save none;
- a user sees their own filters and those others shared; another user's shared filter is
  named `owner/name`, and a private one of someone else is never found;
- only the owner renames, shares or unshares a filter; the owner deletes it, and so may a
  holder of `settings.manage` when it is shared (an org admin tidying the list);
- every change is audited (`saved_filter.*`, target `saved_filter` and the row's id).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core import clock
from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.desk.query import parse
from core.errors import Conflict, NotFound, PermissionDenied, ValidationError
from core.models import SavedFilter, User

MAX_NAME = 64
MAX_FILTERS = 200  # per user


@dataclass(frozen=True)
class SavedFilterInfo:
    id: int
    name: str
    query: str
    shared: bool
    owner: str
    mine: bool
    updated_at: datetime


def save_filter(
    app: App, actor: Actor, name: str, query: str, *, shared: bool = False
) -> SavedFilterInfo:
    """Save `query` (validated, stored canonical) under `name` for the acting user."""
    name = _name(name)
    canonical = parse(query).format()
    with app.tx() as session:
        authz.require(session, actor, "order.view")
        owner = _owner(session, actor)
        if _own(session, actor, owner.id, name) is not None:
            raise Conflict(f"you already have a filter named {name!r}", field="name")
        count = session.query(SavedFilter).filter_by(org_id=actor.org_id, owner_id=owner.id).count()
        if count >= MAX_FILTERS:
            raise ValidationError(f"at most {MAX_FILTERS} saved filters per user", field="name")
        row = SavedFilter(
            org_id=actor.org_id, owner_id=owner.id, name=name, query=canonical, shared=shared
        )
        session.add(row)
        session.flush()
        _audit(session, actor, "saved_filter.save", row, after=_state(row))
        return _info(row, owner.username, mine=True)


def list_filters(app: App, actor: Actor) -> list[SavedFilterInfo]:
    """The actor's own filters, then those others shared (every one for the system actor)."""
    with app.tx() as session:
        authz.require(session, actor, "order.view")
        stmt = (
            select(SavedFilter, User.username)
            .join(User, User.id == SavedFilter.owner_id)
            .where(SavedFilter.org_id == actor.org_id)
        )
        if not actor.is_system:
            stmt = stmt.where(
                or_(SavedFilter.owner_id == actor.user_id, SavedFilter.shared.is_(True))
            )
        rows = session.execute(stmt.order_by(User.username, SavedFilter.name)).all()
        found = [_info(f, owner, mine=f.owner_id == actor.user_id) for f, owner in rows]
    return sorted(found, key=lambda f: (not f.mine, f.owner, f.name))


def filter_query(app: App, actor: Actor, name: str) -> str:
    """The query of the filter `name` (own) or `owner/name` (shared by another user)."""
    with app.tx() as session:
        authz.require(session, actor, "order.view")
        return _visible(session, actor, name).query


def rename_filter(app: App, actor: Actor, name: str, new_name: str) -> SavedFilterInfo:
    new_name = _name(new_name)
    with app.tx() as session:
        authz.require(session, actor, "order.view")
        owner = _owner(session, actor)
        row = _own_or_missing(session, actor, owner.id, name)
        if new_name != row.name and _own(session, actor, owner.id, new_name) is not None:
            raise Conflict(f"you already have a filter named {new_name!r}", field="name")
        before = _state(row)
        row.name = new_name
        row.updated_at = clock.now()
        session.flush()
        _audit(session, actor, "saved_filter.rename", row, before=before, after=_state(row))
        return _info(row, owner.username, mine=True)


def set_shared(app: App, actor: Actor, name: str, shared: bool) -> SavedFilterInfo:
    """Share a filter of the acting user with the org, or take it back."""
    with app.tx() as session:
        authz.require(session, actor, "order.view")
        owner = _owner(session, actor)
        row = _own_or_missing(session, actor, owner.id, name)
        before = _state(row)
        row.shared = shared
        row.updated_at = clock.now()
        session.flush()
        action = "saved_filter.share" if shared else "saved_filter.unshare"
        _audit(session, actor, action, row, before=before, after=_state(row))
        return _info(row, owner.username, mine=True)


def delete_filter(app: App, actor: Actor, name: str) -> None:
    """Delete an own filter, or (`settings.manage`) another user's shared one, `owner/name`."""
    with app.tx() as session:
        authz.require(session, actor, "order.view")
        row = _visible(session, actor, name)
        others = row.owner_id != actor.user_id and not actor.is_system
        if others and not authz.has(session, actor, "settings.manage"):
            raise PermissionDenied(
                f"{actor.label} may delete only their own filters; deleting another "
                "user's shared filter needs settings.manage",
                permission="settings.manage",
            )
        _audit(session, actor, "saved_filter.delete", row, before=_state(row))
        session.delete(row)


# ---------------------------------------------------------------- helpers


def _name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise ValidationError(f"a filter name is 1 to {MAX_NAME} characters", field="name")
    if any(ord(c) < 32 or c == "\x7f" for c in name) or "/" in name:
        raise ValidationError("a filter name holds no control characters and no '/'", field="name")
    return name


def _owner(session: Session, actor: Actor) -> User:
    if actor.is_system:
        raise ValidationError(
            "saved filters belong to a user: act as one (`--as USER`)", field="user"
        )
    user = session.get(User, actor.user_id)
    assert user is not None  # authz.require has checked the account
    return user


def _own(session: Session, actor: Actor, owner_id: int, name: str) -> SavedFilter | None:
    return session.scalars(
        select(SavedFilter).where(
            SavedFilter.org_id == actor.org_id,
            SavedFilter.owner_id == owner_id,
            SavedFilter.name == name,
        )
    ).first()


def _own_or_missing(session: Session, actor: Actor, owner_id: int, name: str) -> SavedFilter:
    row = _own(session, actor, owner_id, (name or "").strip())
    if row is None:
        raise NotFound(f"you have no saved filter named {name!r}")
    return row


def _visible(session: Session, actor: Actor, name: str) -> SavedFilter:
    """Own filter `name`, or `owner/name` shared by another user (any for the system)."""
    owner_name, _, short = (name or "").strip().rpartition("/")
    stmt = (
        select(SavedFilter)
        .join(User, User.id == SavedFilter.owner_id)
        .where(SavedFilter.org_id == actor.org_id, SavedFilter.name == short.strip())
    )
    if owner_name:
        stmt = stmt.where(User.username == owner_name.strip().lower())
        if not actor.is_system:
            stmt = stmt.where(
                or_(SavedFilter.owner_id == actor.user_id, SavedFilter.shared.is_(True))
            )
    elif not actor.is_system:
        stmt = stmt.where(SavedFilter.owner_id == actor.user_id)
    found = list(session.scalars(stmt.limit(2)))
    if not found:
        raise NotFound(f"no saved filter {name!r} (another user's shared one is owner/name)")
    if len(found) > 1:
        raise ValidationError(f"several users have a filter {name!r}; say owner/name", field="name")
    return found[0]


def _state(row: SavedFilter) -> dict[str, object]:
    return {"name": row.name, "query": row.query, "shared": row.shared}


def _audit(session: Session, actor: Actor, action: str, row: SavedFilter, **change) -> None:  # type: ignore[no-untyped-def]
    audit.record(
        session, action, actor=actor, target_type="saved_filter", target_id=row.id, **change
    )


def _info(row: SavedFilter, owner: str, *, mine: bool) -> SavedFilterInfo:
    return SavedFilterInfo(
        row.id, row.name, row.query, row.shared, owner, mine, clock.as_utc(row.updated_at)
    )
