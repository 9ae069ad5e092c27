"""Permission and tenant checks, called at the top of every service function."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts.permissions import PERMISSIONS
from core.actor import Actor
from core.errors import AuthenticationFailed, PermissionDenied
from core.models import Org, RolePermission, User, UserRole


def permissions_of(session: Session, actor: Actor) -> frozenset[str]:
    """The actor's permissions as stored *now* (no cache: changes apply on the next action).

    A disabled user, a disabled org, or a user moved out of the org has none: their
    sessions stop working at the next call rather than at expiry.
    """
    if actor.is_system:
        return frozenset(PERMISSIONS)
    user = session.get(User, actor.user_id)
    if user is None or user.org_id != actor.org_id or user.status != "active":
        raise AuthenticationFailed("this account is disabled or no longer exists; log in again")
    org = session.get(Org, actor.org_id)
    if org is None or org.status != "active":
        raise AuthenticationFailed("this merchant account is not active")
    rows = session.scalars(
        select(RolePermission.permission)
        .join(UserRole, UserRole.role_id == RolePermission.role_id)
        .where(UserRole.user_id == actor.user_id)
    )
    return frozenset(rows)


def require(session: Session, actor: Actor, permission: str) -> None:
    """Raise PermissionDenied naming the missing permission."""
    if permission not in permissions_of(session, actor):
        raise PermissionDenied(
            f"{actor.label} lacks permission {permission} "
            f"({PERMISSIONS.get(permission, permission)})",
            permission=permission,
        )


def has(session: Session, actor: Actor, permission: str) -> bool:
    return permission in permissions_of(session, actor)
