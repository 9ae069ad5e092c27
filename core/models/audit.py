"""Append-only records: audit events and alerts."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core import clock
from core.models.base import Base


class AuditEvent(Base):
    """Who did what, when, to which target, with before/after. Never updated or deleted.

    The migration installs triggers that refuse UPDATE and DELETE on both backends.
    `org_id` is NULL only for events that belong to no org (a failed login for an unknown
    user name).
    """

    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_org_at", "org_id", "at"),
        # An order's trail (core.desk.show): target_type "order", target_id the order's id.
        Index("ix_audit_events_org_target", "org_id", "target_type", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("orgs.id"), default=None)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    actor_label: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(64), index=True)
    target_type: Mapped[str] = mapped_column(String(32), default="")
    target_id: Mapped[str] = mapped_column(String(64), default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    detail: Mapped[str] = mapped_column(Text, default="")
    at: Mapped[datetime] = mapped_column(default=clock.now)


class Alert(Base):
    """Something an operator must see (sync failures, verification codes from the log notifier)."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_org_open", "org_id", "acked_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int | None] = mapped_column(ForeignKey("orgs.id"), default=None)
    kind: Mapped[str] = mapped_column(String(64))
    severity: Mapped[str] = mapped_column(String(16), default="info")  # info|warning|critical
    message: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    acked_at: Mapped[datetime | None] = mapped_column(default=None)
    acked_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
