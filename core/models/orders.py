"""Orders and their lines, as synced from a platform or imported from a file.

Amounts are integer fen. Receiver province/city/district stay in clear for filters;
name, phone and address are encrypted at rest, with masked copies for lists and a keyed
hash of the phone for exact search (invariant 8). `platform_updated_at` guards against
going backwards when an older copy of an order arrives late (invariant 1).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core import clock
from core.models.base import Base, EncryptedText, PayloadJSON


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        UniqueConstraint("shop_id", "platform_order_no"),
        # A status in payment order (the desk's tabs). The tab's flags ride at the end, so
        # a tab's filter (`on_hold = 0 AND in_exception = 0`) is checked in the index
        # instead of in each candidate's row; `id` after `paid_at` serves the list's order.
        Index(
            "ix_orders_org_status_paid_tab",
            "org_id",
            "hub_status",
            "paid_at",
            "id",
            "on_hold",
            "in_exception",
        ),
        # The desk's 全部 tab and any filter without a status: walked in payment order and
        # left after one page, where the index above would sort every order first.
        Index("ix_orders_org_paid", "org_id", "paid_at", "id"),
        # The same for the filter operators use most, a province, without a status.
        Index("ix_orders_org_province_paid", "org_id", "receiver_province", "paid_at", "id"),
        Index("ix_orders_org_phone_hash", "org_id", "receiver_phone_hash"),
        Index("ix_orders_org_receiver_hash", "org_id", "shop_id", "receiver_hash"),
        # The desk's tab counts read only this index (core.desk.search.count_tabs).
        Index("ix_orders_org_tab", "org_id", "hub_status", "on_hold", "in_exception"),
        # Reports (core.reports): shipped orders per day; handling times of the orders
        # first printed in a day and overdue shipments per day, read from the index alone.
        Index("ix_orders_org_shipped", "org_id", "shipped_at"),
        Index("ix_orders_org_printed", "org_id", "printed_at", "paid_at", "shipped_at", "shop_id"),
        # The exception queue and the holds by payment time (the exceptions report): small
        # partial indexes, written only for the few orders in them.
        Index(
            "ix_orders_org_exception_paid",
            "org_id",
            "paid_at",
            sqlite_where=sql_text("in_exception = 1"),
            postgresql_where=sql_text("in_exception"),
        ),
        Index(
            "ix_orders_org_hold_paid",
            "org_id",
            "paid_at",
            sqlite_where=sql_text("on_hold = 1"),
            postgresql_where=sql_text("on_hold"),
        ),
        Index(
            "ix_orders_org_promised",
            "org_id",
            "promised_ship_by",
            "shipped_at",
            "hub_status",
            "shop_id",
        ),
        # The desk's usual list: a status, a province, a payment window, in payment order,
        # the tab's flags at the end as above (half the search's time at 1,000,000 orders,
        # bench/README.md, the API section).
        Index(
            "ix_orders_org_status_province_paid_tab",
            "org_id",
            "hub_status",
            "receiver_province",
            "paid_at",
            "id",
            "on_hold",
            "in_exception",
        ),
    )
    # Optimistic lock: every write through the ORM checks and bumps it, so the second of
    # two concurrent edits fails with a conflict instead of overwriting the first.
    __mapper_args__ = {"version_id_col": "version"}

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    platform_order_no: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(16), default="sync")  # sync | import | manual
    # Hub status is derived from platform state plus our own workflow (see core.orders).
    hub_status: Mapped[str] = mapped_column(String(20), default="pending")
    platform_status: Mapped[str] = mapped_column(String(20), default="")
    refund_status: Mapped[str] = mapped_column(String(20), default="none")
    after_sales_status: Mapped[int | None] = mapped_column(default=None)
    on_hold: Mapped[bool] = mapped_column(default=False)
    hold_reason: Mapped[str] = mapped_column(String(255), default="")
    created_at_platform: Mapped[datetime | None] = mapped_column(default=None)
    paid_at: Mapped[datetime | None] = mapped_column(default=None)
    confirmed_at: Mapped[datetime | None] = mapped_column(default=None)
    # When its first label was printed (已打印), set by core.printing.states as the order
    # moves to `printed`; the handling-time report reads it beside paid_at and shipped_at.
    printed_at: Mapped[datetime | None] = mapped_column(default=None)
    shipped_at: Mapped[datetime | None] = mapped_column(default=None)
    promised_ship_by: Mapped[datetime | None] = mapped_column(default=None)
    platform_updated_at: Mapped[datetime | None] = mapped_column(default=None)
    goods_amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    # Every discount together (seller + platform); the split stays in the raw payload.
    discount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    postage_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    pay_amount_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    buyer_memo: Mapped[str] = mapped_column(Text, default="")
    seller_remark: Mapped[str] = mapped_column(Text, default="")
    flag_color: Mapped[str] = mapped_column(String(10), default="")  # red|yellow|green|blue|purple
    # Our own remark and flag: the platform's copies above are replaced by every sync, these
    # never are. A local flag, when set, is the one that counts (filters, rules, lists).
    local_remark: Mapped[str] = mapped_column(Text, default="")
    local_flag: Mapped[str] = mapped_column(String(10), default="")
    # Markers the platform or the importer set (risk control, receiver masked …); the
    # operators' own tags are rows of `order_tags`.
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    exception_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    # True while exception_reasons is not empty: the exception queue, found by index.
    in_exception: Mapped[bool] = mapped_column(default=False)
    audited_at: Mapped[datetime | None] = mapped_column(default=None)
    audited_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    # 驳回: why an order was sent back for edits (cleared when it is approved).
    reject_reason: Mapped[str] = mapped_column(Text, default="")
    rules_checked_at: Mapped[datetime | None] = mapped_column(default=None)
    # Chosen by an assignment rule (assigned_by = "rule:<name>") or by hand ("manual").
    assigned_carrier_account_id: Mapped[int | None] = mapped_column(
        ForeignKey("carrier_accounts.id"), default=None
    )
    assigned_template: Mapped[str] = mapped_column(String(64), default="")
    assigned_by: Mapped[str] = mapped_column(String(80), default="")
    # The warehouse that ships it: chosen by the routing rules when the order arrives, or
    # by hand (core.stock.routing); None until the org has a warehouse (the default then).
    warehouse_id: Mapped[int | None] = mapped_column(ForeignKey("warehouses.id"), default=None)
    receiver_province: Mapped[str] = mapped_column(String(50), default="")
    receiver_city: Mapped[str] = mapped_column(String(50), default="")
    receiver_district: Mapped[str] = mapped_column(String(50), default="")
    receiver_name: Mapped[str | None] = mapped_column(EncryptedText(), default=None)
    receiver_phone: Mapped[str | None] = mapped_column(EncryptedText(), default=None)
    receiver_address: Mapped[str | None] = mapped_column(EncryptedText(), default=None)
    receiver_name_masked: Mapped[str] = mapped_column(String(100), default="")
    receiver_phone_masked: Mapped[str] = mapped_column(String(50), default="")
    receiver_address_masked: Mapped[str] = mapped_column(String(500), default="")
    receiver_phone_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    # Keyed hash of the normalised name + phone + address: same receiver → merge candidates.
    receiver_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    # True when receiver fields are platform ciphertext (print through the platform component).
    receiver_is_platform_encrypted: Mapped[bool] = mapped_column(default=False)
    # Sealed only when it may hold personal data in clear (see PayloadJSON).
    raw: Mapped[dict | None] = mapped_column(PayloadJSON(), default=None)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), default=None)
    first_seen_at: Mapped[datetime] = mapped_column(default=clock.now)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now, onupdate=clock.now)
    # Optimistic lock: every write through the ORM checks and bumps it, so the second of
    # two concurrent edits fails with a conflict instead of overwriting the first.
    version: Mapped[int] = mapped_column(default=1)
    __mapper_args__ = {"version_id_col": version}

    lines: Mapped[list[OrderLine]] = relationship(
        cascade="all, delete-orphan", order_by="OrderLine.line_no", lazy="selectin"
    )


class OrderLine(Base):
    __tablename__ = "order_lines"
    __table_args__ = (UniqueConstraint("order_id", "line_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    line_no: Mapped[int]
    platform_goods_id: Mapped[str] = mapped_column(String(64), default="")
    platform_sku_id: Mapped[str] = mapped_column(String(64), default="")
    outer_id: Mapped[str] = mapped_column(String(100), default="")
    outer_goods_id: Mapped[str] = mapped_column(String(100), default="")
    title: Mapped[str] = mapped_column(String(500), default="")
    spec: Mapped[str] = mapped_column(String(255), default="")
    quantity: Mapped[int] = mapped_column(default=1)
    unit_price_fen: Mapped[int] = mapped_column(BigInteger, default=0)
    is_gift: Mapped[bool] = mapped_column(default=False)


class QuarantinedOrder(Base):
    """An order a platform served that its plugin could not map (`UnreadableOrder`), kept
    so the shop's sync can move on without losing it. `raw` is always sealed: a payload
    that could not be read cannot vouch its personal fields hold only ciphertext. The row
    goes when the order is read and stored (core.orders.quarantine)."""

    __tablename__ = "quarantined_orders"
    __table_args__ = (UniqueConstraint("shop_id", "platform_order_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id"))
    platform_order_no: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text, default="")
    raw: Mapped[dict | None] = mapped_column(PayloadJSON(), default=None)
    times_seen: Mapped[int] = mapped_column(default=1)
    retries: Mapped[int] = mapped_column(default=0)
    first_seen_at: Mapped[datetime] = mapped_column(default=clock.now)
    last_seen_at: Mapped[datetime] = mapped_column(default=clock.now)
