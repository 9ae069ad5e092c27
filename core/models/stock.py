"""Catalogue, warehouses and stock: what the merchant sells, where it lies, how much.

A `Sku` is the merchant's own item (编码, name, barcode, weight, cost). Platform SKUs map
to it by `SkuMapping` rows (one platform SKU → one or more merchant SKUs × quantity, so a
bundle is several rows); an order line whose `outer_id` equals a merchant SKU code maps
without a row. `StockLevel` holds on hand and reserved per warehouse and SKU, and
`StockMove` is the append-only ledger every change of a level writes in the same
transaction: a level always equals the sum of its moves (core.stock.ledger).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint, text
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


class StockMove(Base):
    """One change of one level: append-only, never updated or deleted."""

    __tablename__ = "stock_moves"
    __table_args__ = (
        Index("ix_stock_moves_level", "warehouse_id", "sku_id", "id"),
        Index("ix_stock_moves_org_reference", "org_id", "reference"),
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
