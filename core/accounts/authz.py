"""Permission and tenant checks, called at the top of every service function."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from core.accounts.permissions import PERMISSIONS
from core.actor import Actor
from core.db import plain_connection
from core.errors import AuthenticationFailed, PermissionDenied
from core.models import Org, RolePermission, User, UserRole

#: The user's and the org's status with every permission of the user's roles, in one round
#: trip; built once, as every service call runs it.
_PERMISSIONS = (
    select(User.org_id, User.status, Org.status, RolePermission.permission)
    .join(Org, Org.id == User.org_id)
    .outerjoin(UserRole, UserRole.user_id == User.id)
    .outerjoin(RolePermission, RolePermission.role_id == UserRole.role_id)
    .where(User.id == bindparam("user"))
)


def permissions_of(session: Session, actor: Actor) -> frozenset[str]:
    """The actor's permissions as stored *now* (no cache: changes apply on the next action).

    A disabled user, a disabled org, or a user moved out of the org has none: their
    sessions stop working at the next call rather than at expiry.
    """
    if actor.is_system:
        return frozenset(PERMISSIONS)
    # One round trip: the user's and the org's status with every permission of the user's
    # roles (loading the User would also load its roles, three queries before the check).
    rows = plain_connection(session).execute(_PERMISSIONS, {"user": actor.user_id}).all()
    if not rows or rows[0][0] != actor.org_id or rows[0][1] != "active":
        raise AuthenticationFailed("this account is disabled or no longer exists; log in again")
    if rows[0][2] != "active":
        raise AuthenticationFailed("this merchant account is not active")
    return frozenset(permission for *_, permission in rows if permission is not None)


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


def permissions_of_user(session: Session, user_id: int) -> frozenset[str]:
    """What a user's roles grant, whatever the user's status (for comparing, not acting)."""
    rows = session.scalars(
        select(RolePermission.permission)
        .join(UserRole, UserRole.role_id == RolePermission.role_id)
        .where(UserRole.user_id == user_id)
    )
    return frozenset(rows)


def require_held(session: Session, actor: Actor, permissions: Iterable[str], doing: str) -> None:
    """No escalation: the actor gives or takes away only permissions they hold themselves.

    Raise PermissionDenied naming `doing` (e.g. "give role 管理员 to wang") and every
    permission it involves that the actor lacks. The system actor holds every permission.
    """
    missing = sorted(set(permissions) - permissions_of(session, actor))
    if missing:
        raise PermissionDenied(
            f"{actor.label} cannot {doing}: that involves {', '.join(missing)}, which "
            f"{actor.label} does not hold (a user manages only permissions they hold)",
            permission=missing[0],
            missing=missing,
        )


def require_outranks(session: Session, actor: Actor, user: User, doing: str) -> None:
    """Act on another user's account (password, tokens, status, 2FA, roles) only when holding
    every permission they hold: otherwise taking over their account would be an escalation."""
    if user.id != actor.user_id:
        require_held(session, actor, permissions_of_user(session, user.id), doing)
