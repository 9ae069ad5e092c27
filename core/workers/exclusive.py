"""Passes that must not run in two workers at once: the alert passes (raising "overdue"
alerts and forwarding alerts to people) and the stock push.

These passes are idempotent when they run one after another — each records what it did
(an audit event per alerted order and per forwarded alert, the quantities pushed) and the
next run skips it — but two running at the same instant could both do the same thing
(two messages to people for one alert). So a worker runs such a pass only while it holds
a PostgreSQL advisory lock named after it (`pg_try_advisory_lock`, on a connection of
its own); a worker that finds it held skips the pass and tries again next round. The
lock belongs to the database session: a worker killed outright loses it the moment its
connection closes, with no timeout to wait for. On SQLite one worker runs (the
supported mode), so there is nothing to take.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text

from core.app import App

#: The first key of orderhub's advisory locks (the second names the pass).
LOCK_CLASS = 0x0D_E1


def lock_key(name: str) -> int:
    """A stable signed 32-bit key for `name`."""
    value = zlib.crc32(f"orderhub:{name}".encode())
    return value - (1 << 32) if value >= 1 << 31 else value


@contextmanager
def exclusive(app: App, name: str) -> Iterator[bool]:
    """While inside: True when this process holds the pass `name` (run it), False when
    another does (skip it)."""
    if app.engine.dialect.name != "postgresql":
        yield True
        return
    key = {"a": LOCK_CLASS, "b": lock_key(name)}
    with app.engine.connect() as conn:
        held = bool(conn.scalar(text("SELECT pg_try_advisory_lock(:a, :b)"), key))
        conn.commit()
        try:
            yield held
        finally:
            if held:
                conn.execute(text("SELECT pg_advisory_unlock(:a, :b)"), key)
                conn.commit()
