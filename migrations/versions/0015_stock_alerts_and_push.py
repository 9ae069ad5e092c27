"""low-stock alerts, replenishment parameters and the quantity push: stock_policies,
stock_levels.low_stock and low_alerted, stock_push_listings, deductions by time

`stock_policies` holds per-SKU (optionally per-warehouse) low-stock thresholds, lead times
and safety stocks; `stock_levels.low_stock` is the threshold in force for a level (copied
from the policies, so the ledger's check reads no other table) and `low_alerted`
remembers that its alert was raised until it recovers (no policies exist before this
revision, so existing levels start with neither); `stock_push_listings` are the platform SKUs each shop sells and
what the last push of their available quantity did. `ix_stock_moves_org_reason_at` lets
the replenishment report sum an org's recent deductions without reading its whole ledger.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.models.base

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("stock_levels") as batch:
        batch.add_column(sa.Column("low_stock", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("low_alerted", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_index("ix_stock_moves_org_reason_at", "stock_moves", ["org_id", "reason", "at"])
    op.create_table(
        "stock_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=True),
        sa.Column("low_stock", sa.Integer(), nullable=True),
        sa.Column("lead_time_days", sa.Integer(), nullable=True),
        sa.Column("safety_stock", sa.Integer(), nullable=True),
        sa.Column("updated_at", core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_stock_policies_org_id_orgs")
        ),
        sa.ForeignKeyConstraint(
            ["sku_id"], ["skus.id"], name=op.f("fk_stock_policies_sku_id_skus"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouses.id"],
            name=op.f("fk_stock_policies_warehouse_id_warehouses"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_policies")),
    )
    op.create_index("ix_stock_policies_org_sku", "stock_policies", ["org_id", "sku_id"])
    op.create_table(
        "stock_push_listings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("platform_sku_id", sa.String(length=64), nullable=False),
        sa.Column("goods_id", sa.String(length=64), nullable=False),
        sa.Column("outer_id", sa.String(length=100), nullable=False),
        sa.Column("line_id", sa.Integer(), nullable=False),
        sa.Column("pushed_quantity", sa.Integer(), nullable=True),
        sa.Column("pushed_at", core.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(length=255), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_stock_push_listings_org_id_orgs")
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"],
            ["shops.id"],
            name=op.f("fk_stock_push_listings_shop_id_shops"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_push_listings")),
        sa.UniqueConstraint(
            "shop_id",
            "platform_sku_id",
            name=op.f("uq_stock_push_listings_shop_id_platform_sku_id"),
        ),
    )
    op.create_index("ix_stock_push_listings_org_id", "stock_push_listings", ["org_id"])


def downgrade() -> None:
    op.drop_index("ix_stock_push_listings_org_id", table_name="stock_push_listings")
    op.drop_table("stock_push_listings")
    op.drop_index("ix_stock_policies_org_sku", table_name="stock_policies")
    op.drop_table("stock_policies")
    op.drop_index("ix_stock_moves_org_reason_at", table_name="stock_moves")
    with op.batch_alter_table("stock_levels") as batch:
        batch.drop_column("low_alerted")
        batch.drop_column("low_stock")
