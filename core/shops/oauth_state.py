"""The OAuth `state` of a shop authorisation: issued once, valid 10 minutes, used once.

Why a table and not a stateless signed token: a signature proves where a state came from
and until when it is valid, but not that it was used only once — that needs a record
somewhere. So the state is a random 256-bit token (64 hex digits: safe in URLs and on
command lines, never starting with "-") handed to the merchant's browser, and the database
keeps only a keyed hash of it (`Keyring.keyed_hash`), bound to the org, the user, the
platform and the redirect URI. Whoever reads the database cannot turn a row back into a
usable state; whoever holds a state cannot change what it is bound to.

The callback claims the row with one conditional UPDATE (`used_at IS NULL AND
expires_at > now`): two callbacks racing with the same state cannot both win, on SQLite
or PostgreSQL, and a state whose code exchange later fails stays used (the platform's
code is single use too, so the merchant starts again either way).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from core import clock
from core.actor import Actor
from core.app import App
from core.errors import AuthenticationFailed, ValidationError
from core.models import OAuthState

STATE_LIFETIME = timedelta(minutes=10)
#: Rows stay this long after expiry so a late callback gets "expired", not "unknown".
KEEP_EXPIRED = timedelta(days=1)
HASH_PURPOSE = "oauth-state"
REDIRECT_URI_MAX = 500
RESTART = "start the shop binding again for a new link"


@dataclass(frozen=True)
class PendingAuthorization:
    """What a claimed state was bound to: who asked, for which platform, back to where."""

    org_id: int
    user_id: int | None
    actor_label: str
    platform: str
    redirect_uri: str

    @property
    def actor(self) -> Actor:
        """The actor who started the authorisation (permissions are re-read on use)."""
        if self.user_id is None:
            return Actor.system(self.org_id, label=self.actor_label)
        return Actor(org_id=self.org_id, user_id=self.user_id, label=self.actor_label)


def check_redirect_uri(redirect_uri: str) -> str:
    """An absolute http(s) URL with a host and no fragment (OAuth 2.0, RFC 6749 §3.1.2)."""
    text = (redirect_uri or "").strip()
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValidationError(
            f"redirect_uri must be an absolute http(s) URL, not {redirect_uri!r}",
            field="redirect_uri",
        )
    if parts.fragment:
        raise ValidationError("redirect_uri must not contain a #fragment", field="redirect_uri")
    if len(text) > REDIRECT_URI_MAX:
        raise ValidationError(
            f"redirect_uri is longer than {REDIRECT_URI_MAX} characters", field="redirect_uri"
        )
    return text


def issue(
    session: Session, app: App, actor: Actor, platform: str, redirect_uri: str
) -> tuple[str, datetime]:
    """Store a new pending authorisation; return the clear state token and its expiry.

    The clear token exists only in the return value (and then in the authorize URL).
    Long-expired rows are swept here, so the table stays small without a cron job.
    """
    now = clock.now()
    session.execute(delete(OAuthState).where(OAuthState.expires_at < now - KEEP_EXPIRED))
    # Hex, not token_urlsafe: one of those in 64 starts with "-", which a command line
    # (`orderhub shop bind --state S`) reads as an option.
    token = secrets.token_hex(32)
    expires_at = now + STATE_LIFETIME
    session.add(
        OAuthState(
            org_id=actor.org_id,
            user_id=actor.user_id,
            actor_label=actor.label[:100],
            platform=platform,
            redirect_uri=redirect_uri,
            state_hash=_hash(app, token),
            created_at=now,
            expires_at=expires_at,
        )
    )
    session.flush()
    return token, expires_at


def claim(session: Session, app: App, state: str) -> PendingAuthorization:
    """Mark the state used and return what it was bound to, or raise AuthenticationFailed
    saying whether it is unknown (forged, altered, another installation's), expired or
    already used. The caller commits the claim even if what follows fails."""
    text = (state or "").strip()
    if not 16 <= len(text) <= 200:
        raise AuthenticationFailed(
            "the authorisation state is missing or malformed (was the link altered?); " + RESTART
        )
    row = session.scalars(
        select(OAuthState).where(OAuthState.state_hash == _hash(app, text))
    ).one_or_none()
    if row is None:
        raise AuthenticationFailed(
            "the authorisation state is unknown to this orderhub (forged, altered, or issued "
            "by another installation); " + RESTART
        )
    now = clock.now()
    if row.used_at is not None:
        raise AuthenticationFailed(
            "this authorisation link was already used (each link works once); " + RESTART
        )
    if row.expires_at <= now:
        minutes = int(STATE_LIFETIME.total_seconds() // 60)
        raise AuthenticationFailed(
            f"this authorisation link expired (links are valid for {minutes} minutes); " + RESTART
        )
    won = session.execute(
        update(OAuthState)
        .where(
            OAuthState.id == row.id,
            OAuthState.used_at.is_(None),
            OAuthState.expires_at > now,
        )
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    )
    if won.rowcount != 1:  # another callback with the same state got there first
        raise AuthenticationFailed(
            "this authorisation link was already used (each link works once); " + RESTART
        )
    return PendingAuthorization(
        org_id=row.org_id,
        user_id=row.user_id,
        actor_label=row.actor_label,
        platform=row.platform,
        redirect_uri=row.redirect_uri,
    )


def _hash(app: App, token: str) -> str:
    return app.keyring.keyed_hash(token, HASH_PURPOSE)
