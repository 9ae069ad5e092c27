"""Merchant accounts and their users: the first org, sub-accounts (子账号), passwords.

Self-registration and password reset by code live in `core.accounts.registration`.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core import clock
from core.accounts import audit, authz, passwords
from core.accounts.auth import user_in_org
from core.accounts.roles import ensure_builtin_roles, refuse_to_leave_no_manager, role_in_org
from core.actor import Actor
from core.app import App
from core.errors import AuthenticationFailed, Conflict, ValidationError
from core.models import ApiToken, Org, User, UserRole

USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-@")


# ---------------------------------------------------------------- orgs


def create_org_with_admin(
    app: App,
    org_name: str,
    admin_username: str,
    password: str,
    contact: str = "",
    actor_label: str = "init",
) -> tuple[Org, User]:
    """An active org with the built-in roles and an admin (used by `orderhub init`)."""
    with app.tx() as session:
        org, user = new_org(session, app, org_name, admin_username, password, contact, "active")
        audit.record(
            session,
            "org.create",
            org_id=org.id,
            actor_label=actor_label,
            target_type="org",
            target_id=org.id,
            after={"name": org.name, "admin": user.username},
        )
        return org, user


def new_org(
    session: Session,
    app: App,
    org_name: str,
    username: str,
    password: str,
    contact: str,
    status: str,
) -> tuple[Org, User]:
    org_name = org_name.strip()
    if not org_name or len(org_name) > 100:
        raise ValidationError("org name must be 1 to 100 characters", field="org_name")
    if session.scalars(select(Org).where(Org.name == org_name)).first():
        raise Conflict(f"an org named {org_name!r} already exists", field="org_name")
    org = Org(name=org_name, status=status)
    session.add(org)
    session.flush()
    roles = ensure_builtin_roles(session, org.id)
    user = _new_user(session, app, org.id, username, password, contact=contact, status=status)
    session.add(UserRole(user_id=user.id, role_id=roles["admin"].id))
    session.flush()
    return org, user


def _new_user(
    session: Session,
    app: App,
    org_id: int,
    username: str,
    password: str,
    *,
    display_name: str = "",
    contact: str = "",
    status: str = "active",
) -> User:
    username = validate_username(username)
    passwords.check_policy(password, username, app.settings.auth)
    if session.scalars(select(User).where(User.username == username)).first():
        raise Conflict(f"user name {username!r} is taken", field="username")
    user = User(
        org_id=org_id,
        username=username,
        display_name=display_name.strip(),
        contact=contact.strip(),
        status=status,
        password_hash=passwords.hash_password(password, app.settings.auth),
    )
    session.add(user)
    session.flush()
    return user


def validate_username(username: str) -> str:
    name = username.strip().lower()
    if not 3 <= len(name) <= 64:
        raise ValidationError("user name must be 3 to 64 characters", field="username")
    bad = sorted(set(name) - USERNAME_CHARS)
    if bad:
        raise ValidationError(
            f"user name may use a-z, 0-9 and . _ - @ only; not {''.join(bad)!r}", field="username"
        )
    return name


# ---------------------------------------------------------------- passwords


def change_password(app: App, actor: Actor, old_password: str, new_password: str) -> None:
    with app.tx() as session:
        authz.permissions_of(session, actor)
        user = session.get(User, actor.user_id) if actor.user_id else None
        if user is None or not passwords.verify_password(
            user.password_hash, old_password, app.settings.auth
        ):
            raise AuthenticationFailed("current password is wrong")
        passwords.check_policy(new_password, user.username, app.settings.auth)
        set_password(session, app, user, new_password, keep_token=actor.token_id)
        audit.record(session, "password.change", actor=actor, target_type="user", target_id=user.id)


def set_password(
    session: Session, app: App, user: User, password: str, keep_token: int | None = None
) -> None:
    """New hash, lockout cleared, every *session* ended (API tokens stay: scripts keep running)."""
    user.password_hash = passwords.hash_password(password, app.settings.auth)
    user.password_changed_at = clock.now()
    user.failed_logins = 0
    user.locked_until = None
    stmt = update(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.kind == "session", ApiToken.revoked_at.is_(None)
    )
    if keep_token is not None:
        stmt = stmt.where(ApiToken.id != keep_token)
    session.execute(stmt.values(revoked_at=clock.now()))


# ---------------------------------------------------------------- sub-accounts


def add_user(
    app: App,
    actor: Actor,
    username: str,
    password: str,
    *,
    display_name: str = "",
    contact: str = "",
    roles: tuple[str, ...] = (),
) -> User:
    with app.tx() as session:
        authz.require(session, actor, "user.manage")
        role_rows = [role_in_org(session, actor, name) for name in roles]
        for role in role_rows:
            doing = f"give role {role.name} to {username.strip().lower()}"
            authz.require_held(session, actor, role.permissions, doing)
        user = _new_user(
            session,
            app,
            actor.org_id,
            username,
            password,
            display_name=display_name,
            contact=contact,
        )
        for role in role_rows:
            session.add(UserRole(user_id=user.id, role_id=role.id))
        audit.record(
            session,
            "user.create",
            actor=actor,
            target_type="user",
            target_id=user.id,
            after={"username": user.username, "roles": [r.name for r in role_rows]},
        )
        session.flush()
        session.refresh(user)
        return user


def list_users(app: App, actor: Actor) -> list[User]:
    with app.tx() as session:
        authz.require(session, actor, "user.manage")
        return list(
            session.scalars(select(User).where(User.org_id == actor.org_id).order_by(User.id))
        )


def set_user_enabled(app: App, actor: Actor, username: str, enabled: bool) -> User:
    """Disable (ending every session and token at once) or re-enable a user."""
    with app.tx() as session:
        authz.require(session, actor, "user.manage")
        user = user_in_org(session, actor, username)
        doing = f"{'enable' if enabled else 'disable'} {user.username}"
        authz.require_outranks(session, actor, user, doing)
        before = user.status
        if not enabled:
            if user.id == actor.user_id:
                raise Conflict("you cannot disable your own account")
            refuse_to_leave_no_manager(
                session, actor.org_id, f"disable {user.username}", user_id=user.id
            )
            user.status = "disabled"
            session.execute(
                update(ApiToken)
                .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                .values(revoked_at=clock.now())
            )
        else:
            user.status = "active"
        audit.record(
            session,
            "user.disable" if not enabled else "user.enable",
            actor=actor,
            target_type="user",
            target_id=user.id,
            before={"status": before},
            after={"status": user.status},
        )
        return user


def admin_reset_password(app: App, actor: Actor, username: str, new_password: str) -> User:
    """Set a user's password (and clear their lockout); their sessions end."""
    with app.tx() as session:
        authz.require(session, actor, "user.manage")
        user = user_in_org(session, actor, username)
        authz.require_outranks(session, actor, user, f"reset the password of {user.username}")
        passwords.check_policy(new_password, user.username, app.settings.auth)
        set_password(session, app, user, new_password)
        audit.record(
            session, "user.password_reset", actor=actor, target_type="user", target_id=user.id
        )
        return user


def unlock_user(app: App, actor: Actor, username: str) -> User:
    with app.tx() as session:
        authz.require(session, actor, "user.manage")
        user = user_in_org(session, actor, username)
        authz.require_outranks(session, actor, user, f"unlock {user.username}")
        user.failed_logins = 0
        user.locked_until = None
        audit.record(session, "user.unlock", actor=actor, target_type="user", target_id=user.id)
        return user
