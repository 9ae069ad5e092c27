"""Roles: built-in templates copied into every org, and custom roles the merchant defines.

Built-in roles stay as the templates define them (so "打单员" means the same thing in every
shop and nobody locks themselves out by editing 管理员); to adjust one, create a custom role
`based_on` it. Every change is audited with before/after permission sets.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts import audit, authz
from core.accounts.auth import user_in_org
from core.accounts.permissions import BUILTIN_BY_KEY, BUILTIN_ROLES, check_known
from core.actor import Actor
from core.app import App
from core.db import open_write_transaction
from core.errors import Conflict, NotFound, ValidationError
from core.models import Org, Role, RolePermission, User, UserRole

MANAGE = "user.manage"


def ensure_builtin_roles(session: Session, org_id: int) -> dict[str, Role]:
    """Create any missing built-in role in the org; return them by template key."""
    existing = {
        r.builtin_key: r
        for r in session.scalars(
            select(Role).where(Role.org_id == org_id, Role.builtin_key.is_not(None))
        )
    }
    for template in BUILTIN_ROLES:
        if template.key in existing:
            continue
        role = Role(
            org_id=org_id,
            name=template.name,
            description=template.description,
            builtin_key=template.key,
        )
        role.grants = [RolePermission(permission=p) for p in sorted(template.permissions)]
        session.add(role)
        existing[template.key] = role
    session.flush()
    return existing


def role_in_org(session: Session, actor: Actor, name: str) -> Role:
    """A role by name (or built-in key such as `admin`) within the actor's org."""
    role = session.scalars(
        select(Role).where(Role.org_id == actor.org_id, Role.name == name)
    ).one_or_none()
    if role is None and name in BUILTIN_BY_KEY:
        role = session.scalars(
            select(Role).where(Role.org_id == actor.org_id, Role.builtin_key == name)
        ).one_or_none()
    if role is None:
        raise NotFound(f"no role named {name!r}")
    return role


def list_roles(app: App, actor: Actor) -> list[Role]:
    with app.tx() as session:
        authz.require(session, actor, "user.manage")
        return list(
            session.scalars(select(Role).where(Role.org_id == actor.org_id).order_by(Role.id))
        )


def create_role(
    app: App,
    actor: Actor,
    name: str,
    permissions: tuple[str, ...] = (),
    *,
    based_on: str | None = None,
    description: str = "",
) -> Role:
    name = name.strip()
    if not name or len(name) > 64:
        raise ValidationError("role name must be 1 to 64 characters", field="name")
    perms = {check_known(p) for p in permissions}
    with app.tx() as session:
        authz.require(session, actor, "user.manage")
        if session.scalars(
            select(Role).where(Role.org_id == actor.org_id, Role.name == name)
        ).first():
            raise Conflict(f"a role named {name!r} already exists", field="name")
        if based_on:
            perms |= role_in_org(session, actor, based_on).permissions
        authz.require_held(session, actor, perms, f"create role {name}")
        role = Role(org_id=actor.org_id, name=name, description=description)
        role.grants = [RolePermission(permission=p) for p in sorted(perms)]
        session.add(role)
        session.flush()
        audit.record(
            session,
            "role.create",
            actor=actor,
            target_type="role",
            target_id=role.id,
            after={"name": name, "permissions": sorted(perms)},
        )
        return role


def grant(app: App, actor: Actor, role_name: str, permission: str) -> Role:
    return _change(app, actor, role_name, permission, add=True)


def revoke(app: App, actor: Actor, role_name: str, permission: str) -> Role:
    return _change(app, actor, role_name, permission, add=False)


def _change(app: App, actor: Actor, role_name: str, permission: str, *, add: bool) -> Role:
    check_known(permission)
    with app.tx() as session:
        authz.require(session, actor, "user.manage")
        role = role_in_org(session, actor, role_name)
        if role.builtin_key:
            raise Conflict(
                f"built-in role {role.name} cannot be changed; create a custom role "
                f"based on it (orderhub role create NAME --based-on {role.name})"
            )
        doing = f"grant {permission} to" if add else f"revoke {permission} from"
        authz.require_held(session, actor, {permission}, f"{doing} role {role.name}")
        if not add and permission == MANAGE and MANAGE in role.permissions:
            refuse_to_leave_no_manager(
                session, actor.org_id, f"revoke {MANAGE} from role {role.name}", role_id=role.id
            )
        before = sorted(role.permissions)
        if add and permission not in role.permissions:
            role.grants.append(RolePermission(permission=permission))
        elif not add:
            role.grants = [g for g in role.grants if g.permission != permission]
        session.flush()
        audit.record(
            session,
            "role.grant" if add else "role.revoke",
            actor=actor,
            target_type="role",
            target_id=role.id,
            before={"permissions": before},
            after={"permissions": sorted(role.permissions)},
        )
        return role


def delete_role(app: App, actor: Actor, role_name: str) -> None:
    with app.tx() as session:
        authz.require(session, actor, "user.manage")
        role = role_in_org(session, actor, role_name)
        if role.builtin_key:
            raise Conflict(f"built-in role {role.name} cannot be deleted")
        authz.require_held(session, actor, role.permissions, f"delete role {role.name}")
        refuse_to_leave_no_manager(
            session, actor.org_id, f"delete role {role.name}", role_id=role.id
        )
        holders = session.scalars(
            select(User.username)
            .join(UserRole, UserRole.user_id == User.id)
            .where(UserRole.role_id == role.id)
        ).all()
        if holders:
            raise Conflict(f"role {role.name} is still given to: {', '.join(holders)}")
        audit.record(
            session,
            "role.delete",
            actor=actor,
            target_type="role",
            target_id=role.id,
            before={"name": role.name, "permissions": sorted(role.permissions)},
        )
        session.delete(role)


def assign(app: App, actor: Actor, username: str, role_name: str) -> None:
    """Give a user a role; effective on their next action."""

    with app.tx() as session:
        authz.require(session, actor, "user.manage")
        user = user_in_org(session, actor, username)
        role = role_in_org(session, actor, role_name)
        authz.require_held(
            session, actor, role.permissions, f"give role {role.name} to {user.username}"
        )
        if session.get(UserRole, (user.id, role.id)) is not None:
            raise Conflict(f"{user.username} already has role {role.name}")
        session.add(UserRole(user_id=user.id, role_id=role.id))
        audit.record(
            session,
            "user.role_assign",
            actor=actor,
            target_type="user",
            target_id=user.id,
            after={"role": role.name},
        )


def unassign(app: App, actor: Actor, username: str, role_name: str) -> None:

    with app.tx() as session:
        authz.require(session, actor, "user.manage")
        user = user_in_org(session, actor, username)
        role = role_in_org(session, actor, role_name)
        link = session.get(UserRole, (user.id, role.id))
        if link is None:
            raise NotFound(f"{user.username} does not have role {role.name}")
        authz.require_held(
            session, actor, role.permissions, f"take role {role.name} from {user.username}"
        )
        refuse_to_leave_no_manager(
            session,
            actor.org_id,
            f"take role {role.name} from {user.username}",
            link=(user.id, role.id),
        )
        session.delete(link)
        audit.record(
            session,
            "user.role_remove",
            actor=actor,
            target_type="user",
            target_id=user.id,
            before={"role": role.name},
        )


def refuse_to_leave_no_manager(
    session: Session,
    org_id: int,
    doing: str,
    *,
    user_id: int | None = None,
    role_id: int | None = None,
    link: tuple[int, int] | None = None,
) -> None:
    """Refuse, before anything changes, a change that leaves the org with no active user
    holding user.manage (nobody could manage users and roles any more).

    The change is described by what it takes away: `user_id` stops counting (disabled),
    `role_id` stops granting user.manage (revoked from it, or the role deleted), `link`
    (user id, role id) is a role taken from a user. `doing` names it in the message. The
    org row is locked first, so two changes that each leave the *other* manager in place
    take turns instead of both passing.
    """
    lock_org(session, org_id)
    holders = session.execute(
        select(UserRole.user_id, UserRole.role_id, User.username)
        .join(User, User.id == UserRole.user_id)
        .join(RolePermission, RolePermission.role_id == UserRole.role_id)
        .where(
            User.org_id == org_id,
            User.status == "active",
            RolePermission.permission == MANAGE,
        )
    ).all()
    kept = [
        h
        for h in holders
        if h.user_id != user_id and h.role_id != role_id and (h.user_id, h.role_id) != link
    ]
    if holders and not kept:
        names = sorted({h.username for h in holders})
        who = (
            f"{names[0]} is the org's last active user"
            if len(names) == 1
            else f"{', '.join(names)} are the org's last active users"
        )
        raise Conflict(
            f"cannot {doing}: {who} with {MANAGE}; give {MANAGE} to another active user first"
        )


def lock_org(session: Session, org_id: int) -> None:
    """Serialise changes to who manages the org: the org row on PostgreSQL, the write lock
    on SQLite (taken before the caller's checks read anything). FOR NO KEY UPDATE: rows
    that merely reference the org (orders, audit events) are still written meanwhile."""
    open_write_transaction(session)
    session.execute(select(Org.id).where(Org.id == org_id).with_for_update(key_share=True))
