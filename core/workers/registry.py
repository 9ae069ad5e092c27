"""The worker registry: one row per running `orderhub worker` (`core.models.WorkerProcess`).

A worker registers when it starts (a row under its worker id; a row left by an earlier
life under the same id is replaced), a daemon thread heartbeats every
`[worker] heartbeat_seconds` (so a long sync window or print job does not make a live
worker look dead), and a clean stop deletes the row. A worker killed outright leaves its
row: `overview` shows it as gone once it has not been seen for `STALE_BEATS` heartbeats,
and registering any worker drops rows not seen for `FORGET_AFTER`.

The registry is a view for people: nothing decides who may do what from it — the leases
alone do that, so a heartbeat that cannot be written (database away) is only logged.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import delete, update
from sqlalchemy.exc import SQLAlchemyError

from core import __version__, clock
from core.app import App
from core.models import WorkerProcess

log = logging.getLogger("orderhub.worker")

WORKERS = WorkerProcess.__table__
#: A worker not seen for this many heartbeats is shown as gone.
STALE_BEATS = 3
#: Rows of workers not seen for this long are dropped when another worker registers.
FORGET_AFTER = timedelta(days=1)


class Registration:
    """This process's row in the registry, kept fresh by a heartbeat thread while inside
    `with` (or between `start` and `stop`)."""

    def __init__(
        self,
        app: App,
        worker_id: str,
        passes: Sequence[str],
        *,
        printers: Sequence[str] = (),
        print_owner: str = "",
        heartbeat_seconds: float | None = None,
    ) -> None:
        self.app = app
        self.worker_id = worker_id
        self.passes = list(passes)
        self.printers = list(printers)
        self.print_owner = print_owner
        seconds = heartbeat_seconds or app.settings.worker.heartbeat_seconds
        self.heartbeat_seconds = max(0.05, float(seconds))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Registration:
        """Write the row (replacing one an earlier life left) and start the heartbeat."""
        with self.app.tx() as session:
            session.execute(
                delete(WORKERS).where(WORKERS.c.last_seen_at < clock.now() - FORGET_AFTER)
            )
        self._write_row()
        self._thread = threading.Thread(
            target=self._beat, name=f"heartbeat-{self.worker_id}", daemon=True
        )
        self._thread.start()
        return self

    def beat(self) -> bool:
        """Write "still here" now; False when the row was gone (it is written again)."""
        with self.app.tx() as session:
            changed = session.execute(
                update(WORKERS)
                .where(WORKERS.c.id == self.worker_id)
                .values(last_seen_at=clock.now())
            ).rowcount
        if not changed:  # deleted meanwhile (a restore, an operator): register again
            self._write_row()
        return bool(changed)

    def _write_row(self) -> None:
        now = clock.now()
        with self.app.tx() as session:
            session.merge(
                WorkerProcess(
                    id=self.worker_id,
                    host=socket.gethostname()[:255],
                    pid=os.getpid(),
                    version=__version__,
                    passes=self.passes,
                    printers=self.printers,
                    print_owner=self.print_owner,
                    started_at=now,
                    last_seen_at=now,
                )
            )

    def stop(self) -> None:
        """Stop the heartbeat and remove the row (a clean stop)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        try:
            with self.app.tx() as session:
                session.execute(delete(WORKERS).where(WORKERS.c.id == self.worker_id))
        except SQLAlchemyError as exc:  # the row goes stale and is shown as gone
            log.warning("worker %s: could not leave the registry: %s", self.worker_id, exc)

    def __enter__(self) -> Registration:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _beat(self) -> None:
        while not self._stop.wait(self.heartbeat_seconds):
            try:
                self.beat()
            except SQLAlchemyError as exc:
                reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
                log.warning("worker %s: heartbeat not written: %s", self.worker_id, reason)
            except Exception:  # never let the heartbeat thread die silently
                log.exception("worker %s: heartbeat failed", self.worker_id)
