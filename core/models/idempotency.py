"""Idempotency keys of the HTTP API: the first answer to a request, replayed to retries.

A client that retries a POST (a timeout, a dropped connection) sends the same
`Idempotency-Key`; the row keyed by (org, key) holds a SHA-256 of the first request
(method, path, body) and, once it finished, its status and response bytes. `status` is
NULL while the first request is still being handled. Rows older than a day are purged.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core import clock
from core.models.base import Base


class IdempotencyKey(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("org_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    fingerprint: Mapped[str] = mapped_column(String(64))  # SHA-256 hex of method+path+body
    status: Mapped[int | None] = mapped_column(default=None)  # None: still being handled
    response: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    headers: Mapped[dict[str, str] | None] = mapped_column(JSON, default=None)
    created_at: Mapped[datetime] = mapped_column(default=clock.now, index=True)
    completed_at: Mapped[datetime | None] = mapped_column(default=None)
