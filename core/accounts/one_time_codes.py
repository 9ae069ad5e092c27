"""One-time codes (registration, password reset): 6 digits, short-lived, few attempts.

Only a keyed hash of each code is stored (a 6-digit code is trivial to brute-force from a
plain hash), and codes reach people through the notifier plugins (`core.alerts.notify`) as
the notification's `secret`, so a notifier that keeps a copy keeps it without the code.
Every failure gets one answer (`code_failure`), also for names with no code: the flows are
open to anyone, and "expired" or "too many tries" would tell that the name exists.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core import clock
from core.alerts.notify import notify
from core.app import App
from core.contracts.notifier import Notification
from core.errors import AuthenticationFailed
from core.models import User, VerificationCode


def _code_hash(app: App, user: User, purpose: str, code: str) -> str:
    return app.keyring.keyed_hash(f"{user.id}:{purpose}:{code}", "one-time-code")


def issue_code(session: Session, app: App, user: User, purpose: str) -> str:
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


def code_failure(app: App) -> AuthenticationFailed:
    """The one answer to a code that does not work, for whatever reason."""
    auth = app.settings.auth
    return AuthenticationFailed(
        f"wrong code, or it expired ({auth.verification_code_minutes} minutes) or was "
        f"mistyped {auth.verification_code_attempts} times; ask for a new one"
    )


def consume_code(session: Session, app: App, user: User, purpose: str, code: str) -> None:
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
        raise code_failure(app)
    if row.attempts >= app.settings.auth.verification_code_attempts:
        raise code_failure(app)
    if row.code_hash != _code_hash(app, user, purpose, code.strip()):
        # Counted in its own statement and committed by the caller's error path below.
        row.attempts += 1
        session.commit()
        raise code_failure(app)
    row.used_at = clock.now()


def send_code(app: App, user: User, code: str, purpose: str) -> None:

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
            secret=code,
        ),
    )
