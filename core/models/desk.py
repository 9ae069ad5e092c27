"""The order desk's own records: tags, saved filters, the audit rule set and the
assignment rules of an org.

Tags are rows (not a JSON list on the order) so that "orders tagged 紧急" is an index
look-up at a million orders; `order_tags` carries `org_id` for the same reason. A saved
filter is a query in the desk's filter language (core.desk.query), private to its owner
unless shared with the org. An org has one audit rule set (switches and parameters as
JSON, validated by core.auditing) and an ordered list of assignment rules.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core import clock
from core.models.base import Base


class Tag(Base):
    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    name: Mapped[str] = mapped_column(String(32))
    color: Mapped[str] = mapped_column(String(16), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class OrderTag(Base):
    __tablename__ = "order_tags"
    __table_args__ = (Index("ix_order_tags_org_tag_order", "org_id", "tag_id", "order_id"),)

    order_id: Mapped[int] = mapped_column(
        ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    tagged_at: Mapped[datetime] = mapped_column(default=clock.now)


class SavedFilter(Base):
    """常用筛选: a named query of one user, shown to the whole org when `shared`."""

    __tablename__ = "saved_filters"
    __table_args__ = (UniqueConstraint("org_id", "owner_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(64))
    query: Mapped[str] = mapped_column(Text)
    shared: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)


class AuditRuleSet(Base):
    """审单规则: one per org; `settings` is validated by core.auditing before it is stored."""

    __tablename__ = "audit_rule_sets"

    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), primary_key=True)
    settings: Mapped[dict] = mapped_column(JSON, default=dict)
    version: Mapped[int] = mapped_column(default=1)
    updated_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)


class AssignmentRule(Base):
    """自动分配: the first enabled rule (lowest `position`) whose conditions all hold picks
    the order's carrier account and template."""

    __tablename__ = "assignment_rules"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(default=0)
    conditions: Mapped[dict] = mapped_column(JSON, default=dict)
    carrier_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("carrier_accounts.id"), default=None
    )
    template: Mapped[str] = mapped_column(String(64), default="")
    enabled: Mapped[bool] = mapped_column(default=True)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)
