"""Login, lockout, TOTP, sessions and API tokens.

Failed attempts are counted with an atomic UPDATE (two processes guessing at once cannot
lose a count) and committed even though the login raises, so lockout holds across
processes and restarts. Every outcome is audited: success, failure, locked.

A failed login never tells whether the user name exists: an unknown name, a wrong password
or TOTP code, and a locked account (even with the right password) get one answer
(`failure`), and each costs one argon2 computation. Only the audit trail and the admin's
user list (failed count, locked until) tell them apart. The account's state (not verified,
disabled, org not active) is said only to whoever gave the right password.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core import clock
from core.accounts import audit, authz, passwords, tokens, totp
from core.actor import Actor
from core.app import App
from core.config import AuthSettings
from core.errors import (
    AuthenticationFailed,
    Conflict,
    NotFound,
    PermissionDenied,
    SecondFactorRequired,
    ValidationError,
)
from core.models import ApiToken, Org, User

GENERIC_FAILURE = "wrong user name or password"


def failure(auth: AuthSettings) -> AuthenticationFailed:
    """The one answer to every failed login; the same for every user name."""
    return AuthenticationFailed(
        f"{GENERIC_FAILURE} (after {auth.lockout_threshold} failed attempts an account is "
        f"locked for {auth.lockout_minutes} minutes; an administrator can unlock it)"
    )


@dataclass(frozen=True)
class LoginResult:
    actor: Actor
    session_token: tokens.IssuedToken


def login(
    app: App, username: str, password: str, totp_code: str | None = None, *, source: str = ""
) -> LoginResult:
    """Check password (and TOTP when enrolled); return a session token, or raise and audit."""
    auth = app.settings.auth
    now = clock.now()
    failed: AuthenticationFailed | None = None
    with app.tx() as session:
        user = session.scalars(select(User).where(User.username == username)).one_or_none()
        if user is None:
            passwords.burn_time(auth)
            audit.record(
                session,
                "login.failure",
                actor_label=username[:100],
                detail=f"unknown user name; {source}".strip("; "),
            )
            failed = failure(auth)
        elif user.locked_until is not None and user.locked_until > now:
            passwords.verify_password(user.password_hash, password, auth)  # same time as a try
            audit.record(
                session,
                "login.locked",
                org_id=user.org_id,
                actor_label=username,
                target_type="user",
                target_id=user.id,
                detail=source,
            )
            failed = failure(auth)
        elif not passwords.verify_password(user.password_hash, password, auth):
            failed = _count_failure(session, app, user, "wrong password", source)
        elif user.totp_enabled and not totp_code:
            raise SecondFactorRequired("enter the 6-digit code from your authenticator app")
        elif user.totp_enabled and not _accept_totp(session, user, totp_code or "", now):
            failed = _count_failure(session, app, user, "wrong TOTP code", source)
        else:
            _check_can_log_in(session, user)
            result = _succeed(session, app, user, password, source)
    if failed is None:
        app.plugins.emit(
            "user_logged_in",
            org_id=result.actor.org_id,
            user_id=result.actor.user_id,
            username=result.actor.label,
            method="password+totp" if totp_code else "password",
        )
        return result
    raise failed


def _count_failure(
    session: Session, app: App, user: User, why: str, source: str
) -> AuthenticationFailed:
    """Count one failure atomically; lock the account when the threshold is reached."""
    auth = app.settings.auth
    count = session.execute(
        update(User)
        .where(User.id == user.id)
        .values(failed_logins=User.failed_logins + 1)
        .returning(User.failed_logins)
    ).scalar_one()
    audit.record(
        session,
        "login.failure",
        org_id=user.org_id,
        actor_label=user.username,
        target_type="user",
        target_id=user.id,
        detail=f"{why}; {source}".strip("; "),
    )
    if count >= auth.lockout_threshold:
        until = clock.now() + timedelta(minutes=auth.lockout_minutes)
        session.execute(
            update(User).where(User.id == user.id).values(locked_until=until, failed_logins=0)
        )
        audit.record(
            session,
            "user.locked",
            org_id=user.org_id,
            actor_label=user.username,
            target_type="user",
            target_id=user.id,
            after={"locked_until": until.isoformat()},
        )
    return failure(auth)


def _accept_totp(session: Session, user: User, code: str, now: datetime) -> bool:
    step = totp.matching_step(user.totp_secret or "", code, now)
    if step is None or (user.totp_last_step is not None and step <= user.totp_last_step):
        return False
    user.totp_last_step = step
    return True


def _check_can_log_in(session: Session, user: User) -> None:
    if user.status == "pending_verification":
        raise AuthenticationFailed("account not verified yet: enter the code that was sent")
    if user.status != "active":
        raise AuthenticationFailed("this account is disabled; ask an administrator")
    org = session.get(Org, user.org_id)
    if org is None or org.status != "active":
        raise AuthenticationFailed("this merchant account is not active")


def _succeed(session: Session, app: App, user: User, password: str, source: str) -> LoginResult:
    auth = app.settings.auth
    user.failed_logins = 0
    user.locked_until = None
    if passwords.needs_rehash(user.password_hash, auth):
        user.password_hash = passwords.hash_password(password, auth)
    issued = tokens.issue(
        session,
        org_id=user.org_id,
        user_id=user.id,
        kind="session",
        name=source or "login",
        lifetime=timedelta(hours=auth.session_hours),
    )
    actor = Actor(org_id=user.org_id, user_id=user.id, label=user.username, token_id=issued.id)
    audit.record(
        session, "login.success", actor=actor, target_type="user", target_id=user.id, detail=source
    )
    return LoginResult(actor, issued)


def authenticate(app: App, token: str) -> Actor:
    """The actor behind a session or API token; raises AuthenticationFailed otherwise."""
    # A connection, not an ORM session: every API request authenticates, and reads only
    # columns. The token with its user's name and status in one statement: not the User,
    # whose roles would load too (two more queries). Permissions are checked by each service.
    with app.engine.begin() as connection:
        row = tokens.find_valid(connection, token)
        if row.user_status != "active":
            raise AuthenticationFailed("this account is disabled; ask an administrator")
        now = clock.now()
        # Write last-use at most once a minute: a busy API client must not turn reads into writes.
        if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
            tokens.touch(connection, row.id, now)
        return Actor(org_id=row.org_id, user_id=row.user_id, label=row.username, token_id=row.id)


def logout(app: App, actor: Actor) -> None:
    """Revoke the session token the actor is using.

    Logging out ends a login session only: a personal API token (kind `api`) is a
    credential a script keeps, and a client that "logs out" with it must not destroy it
    by accident; it is revoked by its id (`revoke_token`), so this refuses (Conflict)."""
    if actor.token_id is None:
        return
    with app.tx() as session:
        row = session.get(ApiToken, actor.token_id)
        if row is not None and row.kind != "session":
            raise Conflict(
                f"token {row.id} is a personal API token, not a login session: revoke it by "
                "its id instead of logging out",
                field="token",
            )
        if row is not None and row.revoked_at is None:
            row.revoked_at = clock.now()
            audit.record(session, "logout", actor=actor, target_type="token", target_id=row.id)


# ---------------------------------------------------------------- API tokens


def create_api_token(
    app: App, actor: Actor, name: str, *, username: str | None = None, days: int | None = None
) -> tokens.IssuedToken:
    """A long-lived API token for the actor, or (with user.manage) for another user."""
    if not name.strip():
        raise ValidationError("token name is required (what will use it?)", field="name")
    lifetime_days = days if days is not None else app.settings.auth.api_token_days
    if not 1 <= lifetime_days <= 3650:
        raise ValidationError("token lifetime must be 1 to 3650 days", field="days")
    with app.tx() as session:
        target = _token_owner(session, actor, username)
        issued = tokens.issue(
            session,
            org_id=actor.org_id,
            user_id=target.id,
            kind="api",
            name=name.strip(),
            lifetime=timedelta(days=lifetime_days),
        )
        audit.record(
            session,
            "token.create",
            actor=actor,
            target_type="token",
            target_id=issued.id,
            after={
                "user": target.username,
                "name": issued.name,
                "expires_at": issued.expires_at.isoformat(),
            },
        )
        return issued


def _token_owner(session: Session, actor: Actor, username: str | None) -> User:
    if username is None and actor.user_id is not None:
        authz.permissions_of(session, actor)  # active user in an active org
        user = session.get(User, actor.user_id)
        assert user is not None
        return user
    if username is None:
        raise ValidationError(
            "the system actor must name the user the token is for", field="username"
        )
    if actor.is_system or _self_name(session, actor) != username:
        authz.require(session, actor, "user.manage")
    user = user_in_org(session, actor, username)
    authz.require_outranks(session, actor, user, f"make an API token for {user.username}")
    return user


def _self_name(session: Session, actor: Actor) -> str | None:
    user = session.get(User, actor.user_id) if actor.user_id else None
    return user.username if user else None


@dataclass(frozen=True)
class TokenInfo:
    """An API or session token as front ends list it: never its hash."""

    id: int
    org_id: int
    user_id: int
    username: str
    kind: str
    name: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


def list_tokens(app: App, actor: Actor, *, username: str | None = None) -> list[TokenInfo]:
    """Own tokens for everyone; all users' tokens with user.manage."""
    with app.tx() as session:
        stmt = (
            select(ApiToken, User.username)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.org_id == actor.org_id)
        )
        if username is not None or not authz.has(session, actor, "user.manage"):
            owner = user_in_org(session, actor, username) if username else None
            user_id = owner.id if owner else actor.user_id
            if user_id != actor.user_id:
                authz.require(session, actor, "user.manage")
            stmt = stmt.where(ApiToken.user_id == user_id)
        return [
            TokenInfo(
                t.id,
                t.org_id,
                t.user_id,
                name,
                t.kind,
                t.name,
                t.created_at,
                t.expires_at,
                t.revoked_at,
                t.last_used_at,
            )
            for t, name in session.execute(stmt.order_by(ApiToken.id))
        ]


def revoke_token(app: App, actor: Actor, token_id: int) -> ApiToken:
    """Revoke one of the org's tokens: your own, or anyone's with user.manage."""
    with app.tx() as session:
        row = session.get(ApiToken, token_id)
        if row is None or row.org_id != actor.org_id:
            raise NotFound(f"no token with id {token_id}")
        if row.user_id != actor.user_id:
            authz.require(session, actor, "user.manage")
            owner = session.get(User, row.user_id)
            assert owner is not None
            authz.require_outranks(session, actor, owner, f"revoke a token of {owner.username}")
        else:
            authz.permissions_of(session, actor)
        if row.revoked_at is not None:
            raise Conflict(f"token {token_id} was already revoked")
        row.revoked_at = clock.now()
        audit.record(
            session,
            "token.revoke",
            actor=actor,
            target_type="token",
            target_id=row.id,
            before={"name": row.name},
        )
        return row


def user_in_org(session: Session, actor: Actor, username: str) -> User:
    """A user of the actor's org by name; other orgs' users are simply not found."""
    user = session.scalars(
        select(User).where(User.username == username, User.org_id == actor.org_id)
    ).one_or_none()
    if user is None:
        raise NotFound(f"no user named {username!r}")
    return user


# ---------------------------------------------------------------- TOTP


@dataclass(frozen=True)
class TotpEnrollment:
    secret: str
    uri: str


def start_totp(app: App, actor: Actor) -> TotpEnrollment:
    """Create a new secret for the actor; it takes effect after `confirm_totp`."""
    with app.tx() as session:
        user = _self(session, actor)
        if user.totp_enabled:
            raise Conflict("two-factor login is already on; turn it off first to re-enrol")
        secret = totp.new_secret()
        user.totp_secret = secret
        user.totp_last_step = None
        return TotpEnrollment(secret, totp.provisioning_uri(secret, user.username))


def confirm_totp(app: App, actor: Actor, code: str) -> None:
    with app.tx() as session:
        user = _self(session, actor)
        if not user.totp_secret:
            raise Conflict("start two-factor enrolment first")
        if not _accept_totp(session, user, code, clock.now()):
            raise ValidationError("that code does not match; check the phone's clock", field="code")
        user.totp_enabled = True
        audit.record(session, "totp.enable", actor=actor, target_type="user", target_id=user.id)


def disable_totp(app: App, actor: Actor, username: str | None = None) -> None:
    """Turn TOTP off for yourself, or (user.manage) for someone who lost their phone."""
    with app.tx() as session:
        if username is None:
            user = _self(session, actor)
        else:
            authz.require(session, actor, "user.manage")
            user = user_in_org(session, actor, username)
            doing = f"turn off two-factor login for {user.username}"
            authz.require_outranks(session, actor, user, doing)
        user.totp_enabled = False
        user.totp_secret = None
        user.totp_last_step = None
        audit.record(session, "totp.disable", actor=actor, target_type="user", target_id=user.id)


def _self(session: Session, actor: Actor) -> User:
    if actor.user_id is None:
        raise PermissionDenied("the system actor has no login of its own")
    authz.permissions_of(session, actor)
    user = session.get(User, actor.user_id)
    assert user is not None
    return user
