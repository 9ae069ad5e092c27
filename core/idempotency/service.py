"""The first answer to a request, replayed to its retries (`Idempotency-Key`).

A front end calls `begin` before it handles a request that carries a key:

- `None`: this request is the first with the key (a row is now held for it): handle it,
  then `finish` with the answer — or `abandon` when it failed, so the client may retry
  with the same key (only answers that were given are replayed);
- a `Stored` answer: the same key came with the same request before: answer that again;
- `ValidationError` naming `Idempotency-Key`: the key came before with a different
  request (method, path or body): a client bug, never silently replayed;
- `InProgress` (409, `idempotency_in_progress`): the first request with the key is still
  being handled after `wait` seconds (a concurrent retry waits for it that long first).

Keys are scoped to the org and live `TTL` (a day); `purge` deletes older ones. A first
request whose process died (its row unfinished after `STALE`) no longer blocks its key.
Rows are in the database, so several API processes share them; the unique (org, key)
decides which of two concurrent first requests goes ahead.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError

from core import clock
from core.actor import Actor
from core.app import App
from core.db import open_write_transaction
from core.errors import Conflict, ValidationError
from core.models import IdempotencyKey

HEADER = "Idempotency-Key"
KEY_MAX = 255
TTL = timedelta(hours=24)
#: An unfinished first request older than this died with its process: its key is free.
STALE = timedelta(minutes=10)
#: How long a concurrent retry waits for the first request to finish.
WAIT_SECONDS = 30.0
_POLL_SECONDS = 0.05


class InProgress(Conflict):
    """The first request with this key is still being handled."""

    code = "idempotency_in_progress"


@dataclass(frozen=True)
class Stored:
    """The answer given to the first request: replay it as it was."""

    status: int
    body: bytes
    headers: Mapping[str, str] = field(default_factory=dict)


def fingerprint(method: str, path: str, body: bytes) -> str:
    """SHA-256 (hex) of the request: the same key must come with the same request."""
    digest = hashlib.sha256()
    digest.update(method.upper().encode() + b" " + path.encode() + b"\n")
    digest.update(body)
    return digest.hexdigest()


def check_key(key: str) -> str:
    """A key is 1 to 255 visible ASCII characters (a UUID is the usual choice)."""
    if not 1 <= len(key) <= KEY_MAX or not all("\x21" <= c <= "\x7e" for c in key):
        raise ValidationError(
            f"{HEADER} must be 1 to {KEY_MAX} visible ASCII characters (e.g. a UUID)",
            field=HEADER,
        )
    return key


def begin(
    app: App, actor: Actor, key: str, request_fingerprint: str, *, wait: float = WAIT_SECONDS
) -> Stored | None:
    """Hold `key` for this request, or the stored answer to replay (module docstring)."""
    key = check_key(key)
    deadline = time.monotonic() + wait
    while True:
        try:
            outcome = _try(app, actor.org_id, key, request_fingerprint)
        except IntegrityError:  # a concurrent first request inserted the key: read it again
            outcome = _WAIT
        if outcome is not _WAIT:
            return outcome  # type: ignore[return-value]
        if time.monotonic() >= deadline:
            raise InProgress(
                f"a request with {HEADER} {key!r} is still being handled; retry later",
                field=HEADER,
            )
        time.sleep(_POLL_SECONDS)


_WAIT = object()


def _try(app: App, org_id: int, key: str, wanted: str) -> object:
    now = clock.now()
    with app.tx() as session:
        open_write_transaction(session)
        row = session.scalars(
            select(IdempotencyKey).where(IdempotencyKey.org_id == org_id, IdempotencyKey.key == key)
        ).first()
        if row is None:
            session.add(IdempotencyKey(org_id=org_id, key=key, fingerprint=wanted, created_at=now))
            session.flush()
            return None
        created = clock.as_utc(row.created_at)
        if now - created > TTL or (row.status is None and now - created > STALE):
            if _take_over(session, row.id, row.created_at, wanted, now):
                return None
            return _WAIT
        if row.fingerprint != wanted:
            raise ValidationError(
                f"{HEADER} {key!r} was used with a different request (method, path or body); "
                "use a new key for a new request",
                field=HEADER,
            )
        if row.status is None:
            return _WAIT
        return Stored(row.status, bytes(row.response or b""), dict(row.headers or {}))


def _take_over(session, row_id: int, created: datetime, wanted: str, now: datetime) -> bool:  # type: ignore[no-untyped-def]
    """An expired or abandoned row becomes this request's (one taker wins)."""
    moved = session.execute(
        update(IdempotencyKey)
        .where(IdempotencyKey.id == row_id, IdempotencyKey.created_at == created)
        .values(
            fingerprint=wanted,
            status=None,
            response=None,
            headers=None,
            created_at=now,
            completed_at=None,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    return moved == 1


def finish(
    app: App,
    actor: Actor,
    key: str,
    status: int,
    body: bytes,
    headers: Mapping[str, str] | None = None,
) -> None:
    """Store the answer to the first request with `key`, for its retries."""
    with app.tx() as session:
        session.execute(
            update(IdempotencyKey)
            .where(
                IdempotencyKey.org_id == actor.org_id,
                IdempotencyKey.key == key,
                IdempotencyKey.status.is_(None),
            )
            .values(
                status=status, response=body, headers=dict(headers or {}), completed_at=clock.now()
            )
        )


def abandon(app: App, actor: Actor, key: str) -> None:
    """The first request failed: free its key (a retry is handled afresh)."""
    with app.tx() as session:
        session.execute(
            delete(IdempotencyKey).where(
                IdempotencyKey.org_id == actor.org_id,
                IdempotencyKey.key == key,
                IdempotencyKey.status.is_(None),
            )
        )


def purge(app: App, *, now: datetime | None = None) -> int:
    """Delete keys older than `TTL` (every org's); how many. For a worker's pass."""
    cutoff = (now or clock.now()) - TTL
    with app.tx() as session:
        return session.execute(
            delete(IdempotencyKey).where(IdempotencyKey.created_at < cutoff)
        ).rowcount
