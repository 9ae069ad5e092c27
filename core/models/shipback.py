"""The ship-back outbox (确认发货 / 回传): one row per order to confirm on its platform.

Confirming packages writes these rows in the same transaction that marks the packages
shipped, so a shipment is never confirmed without its row, nor the row lost without the
shipment. Workers drain the rows (`core.shipback.drain`): a row is *claimed* by one worker
at a time (`claim_owner`, `claim_token`, `claim_until`; while claimed `next_attempt_at`
equals `claim_until`, so one partial index finds both due rows and rows whose claimer died),
and every write of an outcome is fenced by `claim_token`.

States: pending → sending → done; or held (refund, after-sale or closed order found at
send time), needs_person (the platform refused what we sent: tracking number, logistics id,
an order it does not know), shipped_outside (an operator said the order left by other
means). `uq_shipment_outbox_order`: one row per order, whatever path writes it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column

from core import clock
from core.models.base import Base

OUTBOX_STATES = ("pending", "sending", "done", "held", "needs_person", "shipped_outside")
#: States a worker still has to act on (the drain's partial index covers exactly these).
OPEN_OUTBOX_STATES = ("pending", "sending")
#: Failure classes (`last_error_class`): refund / closed → held; invalid / not_found /
#: blocked → needs_person; transient → retried; already_shipped → done.
ERROR_CLASSES = (
    "refund",
    "closed",
    "invalid",
    "not_found",
    "blocked",
    "transient",
    "already_shipped",
)

_OPEN_SQL = "state IN ('pending', 'sending')"


def _in(name: str, values: tuple[str, ...]) -> str:
    return f"{name} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


class ShipmentOutbox(Base):
    """An order's confirmation to its platform: carrier (logistics id) and tracking number.

    `extra_numbers` are the tracking numbers of a split order's other packages; they are
    recorded for people and for platforms that accept extra numbers (Pinduoduo's
    `pdd.logistics.online.send` takes one number per order, see docs/architecture.md).
    `outcome` says how a done row ended: `sent` (the platform accepted our call) or
    `already_shipped` (the platform already showed the order shipped: a lost answer's
    retry, or a shipment made elsewhere).
    """

    __tablename__ = "shipment_outbox"
    __table_args__ = (
        UniqueConstraint("order_id", name="uq_shipment_outbox_order"),
        Index(
            "ix_shipment_outbox_due",
            "next_attempt_at",
            sqlite_where=sql_text(_OPEN_SQL),
            postgresql_where=sql_text(_OPEN_SQL),
        ),
        Index("ix_shipment_outbox_org_state", "org_id", "state", "created_at"),
        Index("ix_shipment_outbox_package", "package_id"),
        CheckConstraint(_in("state", OUTBOX_STATES), name="state"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
    order_number: Mapped[str] = mapped_column(String(64))
    package_id: Mapped[int] = mapped_column(ForeignKey("packages.id"))
    carrier_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("carrier_accounts.id"), default=None
    )
    logistics_company_id: Mapped[str] = mapped_column(String(32))
    tracking_number: Mapped[str] = mapped_column(String(64))
    extra_numbers: Mapped[list[str]] = mapped_column(JSON, default=list)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    outcome: Mapped[str] = mapped_column(String(20), default="")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=clock.now)
    claim_owner: Mapped[str | None] = mapped_column(String(64), default=None)
    claim_token: Mapped[str | None] = mapped_column(String(32), default=None)
    claim_until: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_error_class: Mapped[str] = mapped_column(String(20), default="")
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)
    done_at: Mapped[datetime | None] = mapped_column(default=None)
