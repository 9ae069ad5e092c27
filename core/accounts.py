"""Merchant accounts and their users: first org, self-registration, sub-accounts, passwords.

One-time codes (registration, password reset) go out through the notifier plugins
(`core.notify`); only a keyed hash of each code is stored, it expires, and it allows a
few attempts only.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core import audit, authz, clock, passwords
from core.actor import Actor
from core.app import App
from core.auth import user_in_org
from core.errors import AuthenticationFailed, Conflict, ValidationError
from core.models import ApiToken, Org, User, UserRole, VerificationCode
from core.roles import ensure_builtin_roles, refuse_last_manager, role_in_org

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
        org, user = _new_org(session, app, org_name, admin_username, password, contact, "active")
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


def _new_org(
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


# ---------------------------------------------------------------- registration


@dataclass(frozen=True)
class Registration:
    org_id: int
    user_id: int
    username: str
    code_sent_to: str


def register_org(
    app: App, org_name: str, admin_username: str, password: str, contact: str
) -> Registration:
    """A new org and admin, both pending until the code sent to `contact` is entered."""
    if not contact.strip():
        raise ValidationError(
            "a contact (e-mail or phone) is needed to send the code", field="contact"
        )
    with app.tx() as session:
        org, user = _new_org(
            session, app, org_name, admin_username, password, contact, "pending_verification"
        )
        audit.record(
            session,
            "org.register",
            org_id=org.id,
            actor_label=user.username,
            target_type="org",
            target_id=org.id,
            after={"name": org.name},
        )
        code = _new_code(session, app, user, "register")
        result = Registration(org.id, user.id, user.username, user.contact)
    _send_code(app, user, code, "register")
    return result


def verify_registration(app: App, username: str, code: str) -> None:
    with app.tx() as session:
        user = _pending_user(session, username)
        _use_code(session, app, user, "register", code)
        user.status = "active"
        org = session.get(Org, user.org_id)
        assert org is not None
        org.status = "active"
        audit.record(
            session,
            "org.verify",
            org_id=org.id,
            actor_label=user.username,
            target_type="org",
            target_id=org.id,
        )


def resend_registration_code(app: App, username: str) -> None:
    with app.tx() as session:
        user = _pending_user(session, username)
        code = _new_code(session, app, user, "register")
    _send_code(app, user, code, "register")


def _pending_user(session: Session, username: str) -> User:
    user = session.scalars(select(User).where(User.username == username.strip().lower())).first()
    if user is None or user.status != "pending_verification":
        raise AuthenticationFailed("no registration waiting for verification under that name")
    return user


# ---------------------------------------------------------------- one-time codes


def _code_hash(app: App, user: User, purpose: str, code: str) -> str:
    return app.keyring.keyed_hash(f"{user.id}:{purpose}:{code}", "one-time-code")


def _new_code(session: Session, app: App, user: User, purpose: str) -> str:
    """Invalidate older codes of the same purpose and issue a fresh 6-digit one."""
    now = clock.now()
    session.execute(
        update(VerificationCode)
        .where(
            VerificationCode.user_id == user.id,
            VerificationCode.purpose == purpose,
            VerificationCode.used_at.is_(None),
        )
        .values(used_at=now)
    )
    code = f"{secrets.randbelow(10**6):06d}"
    minutes = app.settings.auth.verification_code_minutes
    session.add(
        VerificationCode(
            org_id=user.org_id,
            user_id=user.id,
            purpose=purpose,
            code_hash=_code_hash(app, user, purpose, code),
            expires_at=now + timedelta(minutes=minutes),
        )
    )
    session.flush()
    return code


def _use_code(session: Session, app: App, user: User, purpose: str, code: str) -> None:
    row = session.scalars(
        select(VerificationCode)
        .where(
            VerificationCode.user_id == user.id,
            VerificationCode.purpose == purpose,
            VerificationCode.used_at.is_(None),
        )
        .order_by(VerificationCode.id.desc())
    ).first()
    if row is None or row.expires_at <= clock.now():
        raise AuthenticationFailed("the code has expired or was never sent; ask for a new one")
    if row.attempts >= app.settings.auth.verification_code_attempts:
        raise AuthenticationFailed("too many wrong codes; ask for a new one")
    if row.code_hash != _code_hash(app, user, purpose, code.strip()):
        # Counted in its own statement and committed by the caller's error path below.
        row.attempts += 1
        session.commit()
        raise AuthenticationFailed("wrong code")
    row.used_at = clock.now()


def _send_code(app: App, user: User, code: str, purpose: str) -> None:
    from core.contracts.notifier import Notification
    from core.notify import notify

    minutes = app.settings.auth.verification_code_minutes
    what = {
        "register": "注册验证码 / registration code",
        "password_reset": "重置密码验证码 / password reset code",
    }[purpose]
    notify(
        app,
        Notification(
            org_id=user.org_id,
            recipient=user.contact or user.username,
            kind=purpose,
            subject=f"orderhub {what}",
            body=f"{what}: {code} (user {user.username}, valid {minutes} minutes)",
        ),
    )


# ---------------------------------------------------------------- passwords


def request_password_reset(app: App, username: str) -> None:
    """Send a reset code if the user exists; say nothing either way (no user enumeration)."""
    with app.tx() as session:
        user = session.scalars(
            select(User).where(User.username == username.strip().lower())
        ).first()
        if user is None or user.status == "disabled":
            return
        code = _new_code(session, app, user, "password_reset")
        audit.record(
            session,
            "password.reset_requested",
            org_id=user.org_id,
            actor_label=user.username,
            target_type="user",
            target_id=user.id,
        )
    _send_code(app, user, code, "password_reset")


def reset_password_with_code(app: App, username: str, code: str, new_password: str) -> None:
    with app.tx() as session:
        user = session.scalars(
            select(User).where(User.username == username.strip().lower())
        ).first()
        if user is None:
            raise AuthenticationFailed("wrong code")
        passwords.check_policy(new_password, user.username, app.settings.auth)
        _use_code(session, app, user, "password_reset", code)
        _set_password(session, app, user, new_password)
        audit.record(
            session,
            "password.reset_by_code",
            org_id=user.org_id,
            actor_label=user.username,
            target_type="user",
            target_id=user.id,
        )


def change_password(app: App, actor: Actor, old_password: str, new_password: str) -> None:
    with app.tx() as session:
        authz.permissions_of(session, actor)
        user = session.get(User, actor.user_id) if actor.user_id else None
        if user is None or not passwords.verify_password(
            user.password_hash, old_password, app.settings.auth
        ):
            raise AuthenticationFailed("current password is wrong")
        passwords.check_policy(new_password, user.username, app.settings.auth)
        _set_password(session, app, user, new_password, keep_token=actor.token_id)
        audit.record(session, "password.change", actor=actor, target_type="user", target_id=user.id)


def _set_password(
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
        before = user.status
        if not enabled:
            if user.id == actor.user_id:
                raise Conflict("you cannot disable your own account")
            refuse_last_manager(session, user)
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
        passwords.check_policy(new_password, user.username, app.settings.auth)
        _set_password(session, app, user, new_password)
        audit.record(
            session, "user.password_reset", actor=actor, target_type="user", target_id=user.id
        )
        return user


def unlock_user(app: App, actor: Actor, username: str) -> User:
    with app.tx() as session:
        authz.require(session, actor, "user.manage")
        user = user_in_org(session, actor, username)
        user.failed_logins = 0
        user.locked_until = None
        audit.record(session, "user.unlock", actor=actor, target_type="user", target_id=user.id)
        return user
