"""Bearer tokens for login sessions and the HTTP API: issued once, stored as a hash.

Text form `oh_<public_id>_<secret>`: the public id finds the row without a scan, the
secret (256 random bits) is compared by SHA-256 in constant time. A leaked database
therefore holds no usable token.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection, Row, bindparam, select, update
from sqlalchemy.orm import Session

from core import clock
from core.errors import AuthenticationFailed
from core.models import ApiToken, User

PREFIX = "oh_"


@dataclass(frozen=True)
class IssuedToken:
    """The clear token is only ever in this object; show it once and forget it."""

    id: int
    token: str
    kind: str
    name: str
    expires_at: datetime


#: What `issue` hands out; anything else (other characters, NUL, megabytes of text) is
#: refused before it reaches a hash or the database.
TOKEN_SHAPE = re.compile(
    rf"{re.escape(PREFIX)}(?P<public_id>[0-9a-f]{{1,32}})_(?P<secret>[A-Za-z0-9_-]{{1,128}})"
)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("ascii")).hexdigest()


def issue(
    session: Session, *, org_id: int, user_id: int, kind: str, name: str, lifetime: timedelta
) -> IssuedToken:
    public_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    row = ApiToken(
        org_id=org_id,
        user_id=user_id,
        kind=kind,
        name=name,
        public_id=public_id,
        secret_hash=_digest(secret),
        expires_at=clock.now() + lifetime,
    )
    session.add(row)
    session.flush()
    return IssuedToken(row.id, f"{PREFIX}{public_id}_{secret}", kind, name, row.expires_at)


#: Built once: every API request runs it (building a statement costs more than running it).
#: The token's columns and its user's name and status in one statement, read as columns:
#: two queries and the ORM's identity map cost more than the check itself.
_BY_PUBLIC_ID = (
    select(
        ApiToken.id,
        ApiToken.org_id,
        ApiToken.user_id,
        ApiToken.secret_hash,
        ApiToken.revoked_at,
        ApiToken.expires_at,
        ApiToken.last_used_at,
        User.username,
        User.status.label("user_status"),
    )
    .join(User, User.id == ApiToken.user_id)
    .where(ApiToken.public_id == bindparam("public_id"))
)
_TOUCH = (
    update(ApiToken).where(ApiToken.id == bindparam("token")).values(last_used_at=bindparam("now"))
)


def find_valid(connection: Connection, token: str) -> Row:
    """The live token for this text — its id, org_id, user_id, last_used_at, and its user's
    username and user_status — or AuthenticationFailed saying why not."""
    match = TOKEN_SHAPE.fullmatch(token)
    if match is None:
        raise AuthenticationFailed("malformed token: expected oh_<id>_<secret>")
    public_id, secret = match.group("public_id"), match.group("secret")
    found = connection.execute(_BY_PUBLIC_ID, {"public_id": public_id})
    row = found.one_or_none()
    if row is None or not hmac.compare_digest(row.secret_hash, _digest(secret)):
        raise AuthenticationFailed("unknown token")
    if row.revoked_at is not None:
        raise AuthenticationFailed("token was revoked; log in again or create a new token")
    if row.expires_at <= clock.now():
        raise AuthenticationFailed(f"token expired at {clock.local_text(row.expires_at)}")
    return row


def touch(connection: Connection, token_id: int, now: datetime) -> None:
    """Record that the token was used at `now`."""
    connection.execute(_TOUCH, {"token": token_id, "now": now})
