"""Moving SQLite's WAL checkpoints off the writer during bulk writes.

In WAL mode each commit appends to the `-wal` file, and the commit that pushes it past
`wal_autocheckpoint` pages copies the WAL back into the database and fsyncs both — in the
committing thread. A sync of 100,000 orders commits ~150 windows and writes ~400 MB, so
the writer would stop for dozens of checkpoints, each waiting on the disk: measured here
that alone halved the rows per second of a plain `sqlite3` bulk insert.

`background_checkpoints` runs PASSIVE checkpoints from a thread with its own connection
while a bulk write goes on: they never block the writer (SQLite's PASSIVE mode copies what
it can without waiting for locks), the fsyncs happen there, and the WAL stays small
enough that the writer's own automatic checkpoint rarely fires. PostgreSQL needs nothing
of the kind: the context manager does nothing there.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine

log = logging.getLogger("orderhub.db")

#: Seconds between two background checkpoints.
EVERY = 0.25
#: Seconds to wait for the checkpoint thread at the end of the block (a checkpoint in
#: progress finishes first; the thread is a daemon, so a stuck one cannot hold the exit).
JOIN_SECONDS = 10.0


@contextmanager
def background_checkpoints(engine: Engine, every: float = EVERY) -> Iterator[None]:
    """Checkpoint the WAL from a background thread for the duration of the block."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    stop = threading.Event()
    thread = threading.Thread(
        target=_checkpoint_until,
        args=(database, stop, every),
        name="wal-checkpoint",
        daemon=True,
    )
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(JOIN_SECONDS)
        if thread.is_alive():
            log.warning("background checkpoint of %s still running; not waiting", database)


def _checkpoint_until(database: str, stop: threading.Event, every: float) -> None:
    try:
        connection = sqlite3.connect(database, timeout=0, isolation_level=None)
    except sqlite3.Error as exc:  # the writer's own checkpoints still run
        log.warning("background checkpoints unavailable for %s: %s", database, exc)
        return
    try:
        while not stop.wait(every):
            try:
                connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
            except sqlite3.OperationalError as exc:  # busy: the next round tries again
                log.debug("background checkpoint skipped: %s", exc)
    finally:
        connection.close()
