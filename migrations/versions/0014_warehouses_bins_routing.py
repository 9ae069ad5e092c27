"""warehouses, bins and routing: a warehouse's sender for labels, sku_bins (库位),
routing_rules (分仓规则) and orders.warehouse_id

Existing orders keep no warehouse (NULL): stock code reads that as the org's default
warehouse, as it did before this revision.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.models.base

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SENDER = (
    ("sender_name", 64),
    ("sender_phone", 32),
    ("sender_province", 50),
    ("sender_city", 50),
    ("sender_district", 50),
    ("sender_address", 255),
)


def upgrade() -> None:
    with op.batch_alter_table("warehouses") as batch:
        for name, length in _SENDER:
            batch.add_column(
                sa.Column(
                    name, sa.String(length=length), nullable=False, server_default=sa.text("''")
                )
            )
    op.create_table(
        "sku_bins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column("bin", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f("fk_sku_bins_org_id_orgs")),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouses.id"], name=op.f("fk_sku_bins_warehouse_id_warehouses")
        ),
        sa.ForeignKeyConstraint(
            ["sku_id"], ["skus.id"], name=op.f("fk_sku_bins_sku_id_skus"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sku_bins")),
        sa.UniqueConstraint("warehouse_id", "sku_id", name=op.f("uq_sku_bins_warehouse_id_sku_id")),
    )
    op.create_index(op.f("ix_sku_bins_org_id"), "sku_bins", ["org_id"])
    op.create_table(
        "routing_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("provinces", sa.JSON(), nullable=False),
        sa.Column("shop_ids", sa.JSON(), nullable=False),
        sa.Column("warehouse_ids", sa.JSON(), nullable=False),
        sa.Column("by_stock", sa.Boolean(), nullable=False),
        sa.Column("created_at", core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f("fk_routing_rules_org_id_orgs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_rules")),
        sa.UniqueConstraint("org_id", "name", name=op.f("uq_routing_rules_org_id_name")),
    )
    op.create_index(op.f("ix_routing_rules_org_id"), "routing_rules", ["org_id"])
    with op.batch_alter_table("orders", schema=None) as batch:
        batch.add_column(sa.Column("warehouse_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            batch.f("fk_orders_warehouse_id_warehouses"), "warehouses", ["warehouse_id"], ["id"]
        )


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch:
        batch.drop_constraint(batch.f("fk_orders_warehouse_id_warehouses"), type_="foreignkey")
        batch.drop_column("warehouse_id")
    op.drop_index(op.f("ix_routing_rules_org_id"), table_name="routing_rules")
    op.drop_table("routing_rules")
    op.drop_index(op.f("ix_sku_bins_org_id"), table_name="sku_bins")
    op.drop_table("sku_bins")
    with op.batch_alter_table("warehouses") as batch:
        for name, _ in reversed(_SENDER):
            batch.drop_column(name)
