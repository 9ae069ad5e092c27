"""Shops bound to a sales platform, their sync cursor and lease, and the sync-run log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core import clock
from core.models.base import Base, EncryptedJSON


class Shop(Base):
    """A merchant's shop on one platform (Pinduoduo: identified by `owner_id`).

    `sync_cursor` is the end of the last update window whose orders are *committed*; it only
    moves in the transaction that stored that window (invariant 2). The lease columns let
    several workers share shops without two syncing one shop at once.
    """

    __tablename__ = "shops"
    __table_args__ = (UniqueConstraint("org_id", "platform", "platform_shop_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    platform: Mapped[str] = mapped_column(String(32))
    platform_shop_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))
    # active | auth_expired | unbound
    status: Mapped[str] = mapped_column(String(20), default="active")
    # Tokens and anything else secret the platform plugin needs, encrypted at rest.
    credentials: Mapped[dict | None] = mapped_column(EncryptedJSON(), default=None)
    token_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    refresh_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    sync_enabled: Mapped[bool] = mapped_column(default=True)
    sync_interval_minutes: Mapped[int] = mapped_column(default=5)
    sync_cursor: Mapped[datetime | None] = mapped_column(default=None)
    next_sync_at: Mapped[datetime | None] = mapped_column(default=None)
    consecutive_failures: Mapped[int] = mapped_column(default=0)
    lease_owner: Mapped[str | None] = mapped_column(String(100), default=None)
    lease_expires_at: Mapped[datetime | None] = mapped_column(default=None)
    bound_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    bound_at: Mapped[datetime] = mapped_column(default=clock.now)
    unbound_at: Mapped[datetime | None] = mapped_column(default=None)


class SyncRun(Base):
    """One pass over one update window of one shop: what was seen and what happened."""

    __tablename__ = "sync_runs"
    __table_args__ = (Index("ix_sync_runs_shop_started", "shop_id", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    kind: Mapped[str] = mapped_column(String(16))  # scheduled | manual | backfill
    window_start: Mapped[datetime]
    window_end: Mapped[datetime]
    pages: Mapped[int] = mapped_column(default=0)
    seen: Mapped[int] = mapped_column(default=0)
    new: Mapped[int] = mapped_column(default=0)
    updated: Mapped[int] = mapped_column(default=0)
    status: Mapped[str] = mapped_column(String(16), default="running")  # running|ok|failed
    error: Mapped[str] = mapped_column(Text, default="")
    worker: Mapped[str] = mapped_column(String(100), default="")
    started_at: Mapped[datetime] = mapped_column(default=clock.now)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    duration_ms: Mapped[int | None] = mapped_column(default=None)
