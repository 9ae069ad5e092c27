"""Self-registration of a new org (verified by a one-time code) and password reset by code.

Both flows are open to anonymous callers, so they never reveal whether a user name exists
(asking for a code says nothing either way; a code that does not work gets one answer,
also for an unknown name) and every code is single-use, expiring and attempt-limited
(`core.accounts.one_time_codes`). Registering a name that is taken does say so: a user
picks their name, so that one cannot be hidden.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts import audit, passwords
from core.accounts.one_time_codes import code_failure, consume_code, issue_code, send_code
from core.accounts.users import new_org, set_password
from core.app import App
from core.errors import ValidationError
from core.models import Org, User


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
        org, user = new_org(
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
        code = issue_code(session, app, user, "register")
        result = Registration(org.id, user.id, user.username, user.contact)
    send_code(app, user, code, "register")
    return result


def verify_registration(app: App, username: str, code: str) -> None:
    with app.tx() as session:
        user = _pending_user(session, username)
        if user is None:
            raise code_failure(app)
        consume_code(session, app, user, "register", code)
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
    """Send a new code if a registration waits under that name; say nothing either way."""
    with app.tx() as session:
        user = _pending_user(session, username)
        if user is None:
            return
        code = issue_code(session, app, user, "register")
    send_code(app, user, code, "register")


def _pending_user(session: Session, username: str) -> User | None:
    user = session.scalars(select(User).where(User.username == username.strip().lower())).first()
    return user if user is not None and user.status == "pending_verification" else None


def request_password_reset(app: App, username: str) -> None:
    """Send a reset code if the user exists; say nothing either way (no user enumeration)."""
    with app.tx() as session:
        user = session.scalars(
            select(User).where(User.username == username.strip().lower())
        ).first()
        if user is None or user.status == "disabled":
            return
        code = issue_code(session, app, user, "password_reset")
        audit.record(
            session,
            "password.reset_requested",
            org_id=user.org_id,
            actor_label=user.username,
            target_type="user",
            target_id=user.id,
        )
    send_code(app, user, code, "password_reset")


def reset_password_with_code(app: App, username: str, code: str, new_password: str) -> None:
    """Set a new password with a code from `request_password_reset`; a name with no code
    (unknown, disabled, never asked) gets the same answer as a wrong code."""
    name = username.strip().lower()
    passwords.check_policy(new_password, name, app.settings.auth)  # whether the name exists or not
    with app.tx() as session:
        user = session.scalars(select(User).where(User.username == name)).first()
        if user is None or user.status == "disabled":
            raise code_failure(app)
        consume_code(session, app, user, "password_reset", code)
        set_password(session, app, user, new_password)
        audit.record(
            session,
            "password.reset_by_code",
            org_id=user.org_id,
            actor_label=user.username,
            target_type="user",
            target_id=user.id,
        )
