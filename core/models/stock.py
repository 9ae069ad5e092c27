"""Catalogue, warehouses and stock: what the merchant sells, where it lies, how much.

A `Sku` is the merchant's own item (编码, name, barcode, weight, cost). Platform SKUs map
to it by `SkuMapping` rows (one platform SKU → one or more merchant SKUs × quantity, so a
bundle is several rows); an order line whose `outer_id` equals a merchant SKU code maps
without a row. `StockLevel` holds on hand and reserved per warehouse and SKU, and
`StockMove` is the append-only ledger every change of a level writes in the same
transaction: a level always equals the sum of its moves (core.stock.ledger).

A warehouse may carry the sender (寄件人) its labels print, a `SkuBin` per SKU says on
which shelf (库位) it lies there, and `RoutingRule`s choose the warehouse of an order
(`Order.warehouse_id`, core.stock.routing).
`StockPolicy` holds a SKU's low-stock threshold and replenishment parameters (for one
warehouse, or every warehouse when `warehouse_id` is NULL); `StockLevel.low_stock` is the
threshold in force for that level (copied from the policies) and `low_alerted` says its
low-stock alert was raised and it has not recovered since. `PlatformListing` is
a platform SKU a shop sells, learnt from its order lines, with what the last push of its
available quantity did (core.stockpush).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from core import clock
from core.models.base import Base


class Warehouse(Base):
    __tablename__ = "warehouses"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    name: Mapped[str] = mapped_column(String(64))
    contact: Mapped[str] = mapped_column(String(64), default="")
    phone: Mapped[str] = mapped_column(String(32), default="")
    province: Mapped[str] = mapped_column(String(32), default="")
    city: Mapped[str] = mapped_column(String(32), default="")
    district: Mapped[str] = mapped_column(String(32), default="")
    address: Mapped[str] = mapped_column(String(255), default="")
    # The sender printed on this warehouse's labels and sent with its waybill requests;
    # empty `sender_address`: the carrier account's sender is used (core.stock.warehouses).
    sender_name: Mapped[str] = mapped_column(String(64), default="")
    sender_phone: Mapped[str] = mapped_column(String(32), default="")
    sender_province: Mapped[str] = mapped_column(String(50), default="")
    sender_city: Mapped[str] = mapped_column(String(50), default="")
    sender_district: Mapped[str] = mapped_column(String(50), default="")
    sender_address: Mapped[str] = mapped_column(String(255), default="")
    is_default: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class Sku(Base):
    __tablename__ = "skus"
    __table_args__ = (
        UniqueConstraint("org_id", "code"),
        Index("ix_skus_org_barcode", "org_id", "barcode"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    code: Mapped[str] = mapped_column(String(64))  # 商家编码, what outer_id carries
    name: Mapped[str] = mapped_column(String(255), default="")
    barcode: Mapped[str] = mapped_column(String(64), default="")
    weight_g: Mapped[int] = mapped_column(default=0)
    cost_fen: Mapped[int] = mapped_column(BigInteger, default=0)  # finance.view only
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class SkuMapping(Base):
    """Platform SKU `platform_sku_id` of `platform` contains `quantity` × merchant `sku_id`."""

    __tablename__ = "sku_mappings"
    __table_args__ = (UniqueConstraint("org_id", "platform", "platform_sku_id", "sku_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    platform: Mapped[str] = mapped_column(String(32))
    platform_sku_id: Mapped[str] = mapped_column(String(64))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="CASCADE"))
    quantity: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class StockLevel(Base):
    __tablename__ = "stock_levels"
    __table_args__ = (
        UniqueConstraint("warehouse_id", "sku_id"),
        # lowest available first, a page at a time (core.stock.levels.list_levels)
        Index(
            "ix_stock_levels_available",
            "warehouse_id",
            text("(on_hand - reserved)"),
            "sku_id",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    on_hand: Mapped[int] = mapped_column(default=0)
    reserved: Mapped[int] = mapped_column(default=0)
    # The effective low-stock threshold (StockPolicy's, copied: the post's check reads no
    # other row); at or below it and alerted: `low_alerted`, cleared when it recovers.
    low_stock: Mapped[int | None] = mapped_column(default=None)
    low_alerted: Mapped[bool] = mapped_column(default=False)


class StockMove(Base):
    """One change of one level: append-only, never updated or deleted."""

    __tablename__ = "stock_moves"
    __table_args__ = (
        Index("ix_stock_moves_level", "warehouse_id", "sku_id", "id"),
        Index("ix_stock_moves_org_reference", "org_id", "reference"),
        Index("ix_stock_moves_org_reason_at", "org_id", "reason", "at"),  # sales velocity
        # Reports: sales per SKU in a period (slow movers) from the index alone, in SKU
        # order; the moves after a day (stock as of that day).
        Index("ix_stock_moves_org_reason_sku", "org_id", "reason", "sku_id", "at", "on_hand_delta"),
        Index("ix_stock_moves_org_at", "org_id", "at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id"))
    on_hand_delta: Mapped[int] = mapped_column(default=0)
    reserved_delta: Mapped[int] = mapped_column(default=0)
    # receipt, count, transfer_out, transfer_in, reserve, release, deduct, adjust
    reason: Mapped[str] = mapped_column(String(32))
    reference: Mapped[str] = mapped_column(String(128), default="")  # order no, doc no …
    note: Mapped[str] = mapped_column(String(255), default="")
    actor_label: Mapped[str] = mapped_column(String(100), default="")
    at: Mapped[datetime] = mapped_column(default=clock.now)


class SkuBin(Base):
    """库位: where SKU `sku_id` lies in warehouse `warehouse_id` (A-01-03 …)."""

    __tablename__ = "sku_bins"
    __table_args__ = (UniqueConstraint("warehouse_id", "sku_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    warehouse_id: Mapped[int] = mapped_column(ForeignKey("warehouses.id"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="CASCADE"))
    bin: Mapped[str] = mapped_column(String(32))


class RoutingRule(Base):
    """分仓规则: the first rule (lowest `position`) whose conditions hold for an order
    picks its warehouse among `warehouse_ids` (core.stock.routing)."""

    __tablename__ = "routing_rules"
    __table_args__ = (UniqueConstraint("org_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(default=0)
    provinces: Mapped[list[str]] = mapped_column(JSON, default=list)  # empty: any
    shop_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # empty: any
    warehouse_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # in preference order
    # True: the first of the warehouses that can fill the whole order; none can, no match.
    by_stock: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=clock.now)


class StockPolicy(Base):
    """A SKU's low-stock threshold, lead time and safety stock: for one warehouse, or for
    every warehouse (`warehouse_id` NULL). A NULL value is "not set here": a warehouse's
    row falls back to the SKU's, and that to the `[stock]` defaults."""

    __tablename__ = "stock_policies"
    __table_args__ = (Index("ix_stock_policies_org_sku", "org_id", "sku_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    sku_id: Mapped[int] = mapped_column(ForeignKey("skus.id", ondelete="CASCADE"))
    warehouse_id: Mapped[int | None] = mapped_column(
        ForeignKey("warehouses.id", ondelete="CASCADE")
    )
    low_stock: Mapped[int | None] = mapped_column(default=None)  # alert when available <= this
    lead_time_days: Mapped[int | None] = mapped_column(default=None)
    safety_stock: Mapped[int | None] = mapped_column(default=None)
    updated_at: Mapped[datetime] = mapped_column(default=clock.now)


class PlatformListing(Base):
    """A platform SKU a shop sells (from its order lines: goods id, SKU id, outer id) and
    the last push of its available quantity: what was pushed and when, or why it failed."""

    __tablename__ = "stock_push_listings"
    __table_args__ = (
        UniqueConstraint("shop_id", "platform_sku_id"),
        Index("ix_stock_push_listings_org_id", "org_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    org_id: Mapped[int] = mapped_column(ForeignKey("orgs.id"))
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    platform_sku_id: Mapped[str] = mapped_column(String(64))
    goods_id: Mapped[str] = mapped_column(String(64))
    outer_id: Mapped[str] = mapped_column(String(100), default="")
    line_id: Mapped[int] = mapped_column(default=0)  # the newest order line that named it
    pushed_quantity: Mapped[int | None] = mapped_column(default=None)
    pushed_at: Mapped[datetime | None] = mapped_column(default=None)
    failures: Mapped[int] = mapped_column(default=0)  # pushes failed since the last success
    last_error: Mapped[str] = mapped_column(String(255), default="")
