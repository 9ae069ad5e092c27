"""Facts about the processes running against this database rather than about any org."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from core import clock
from core.models.base import Base


class WorkerProcess(Base):
    """A running (or lately running) `orderhub worker`: it registers at start, heartbeats
    every `[worker] heartbeat_seconds` and removes its row on a clean stop. A row whose
    `last_seen_at` is old is a worker that died; `orderhub status` shows the live ones and
    the registry drops rows gone for a day. `id` is the worker id its leases carry."""

    __tablename__ = "workers"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int]
    version: Mapped[str] = mapped_column(String(40), default="")
    # The passes it runs ("sync", "audit", "alerts", "shipback", "stockpush", "print").
    passes: Mapped[list[str]] = mapped_column(JSON, default=list)
    # Which printers its print pass serves, as the operator set it (empty: the default).
    printers: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The print-job lease owner it uses (`host:pid:random`), to match jobs to workers.
    print_owner: Mapped[str] = mapped_column(String(100), default="")
    started_at: Mapped[datetime] = mapped_column(default=clock.now)
    last_seen_at: Mapped[datetime] = mapped_column(default=clock.now, index=True)
