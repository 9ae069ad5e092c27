"""catalogue, warehouses and stock: skus, sku_mappings, warehouses, stock_levels and the
append-only stock_moves ledger

`stock_moves` refuses UPDATE and DELETE in the database itself, as `audit_events` does:
a level is proved by the sum of its moves (`orderhub stock verify`), so no code path may
rewrite them.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 07:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.models.base

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_MESSAGE = "stock_moves is append-only"


def _at() -> sa.Column:
    return sa.Column("created_at", core.models.base.UTCDateTime(timezone=True), nullable=False)


def upgrade() -> None:
    op.create_table(
        "warehouses",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("contact", sa.String(length=64), nullable=False),
        sa.Column("phone", sa.String(length=32), nullable=False),
        sa.Column("province", sa.String(length=32), nullable=False),
        sa.Column("city", sa.String(length=32), nullable=False),
        sa.Column("district", sa.String(length=32), nullable=False),
        sa.Column("address", sa.String(length=255), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        _at(),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f("fk_warehouses_org_id_orgs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_warehouses")),
        sa.UniqueConstraint("org_id", "name", name=op.f("uq_warehouses_org_id_name")),
    )
    op.create_table(
        "skus",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("barcode", sa.String(length=64), nullable=False),
        sa.Column("weight_g", sa.Integer(), nullable=False),
        sa.Column("cost_fen", sa.BigInteger(), nullable=False),
        _at(),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f("fk_skus_org_id_orgs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_skus")),
        sa.UniqueConstraint("org_id", "code", name=op.f("uq_skus_org_id_code")),
    )
    op.create_index("ix_skus_org_barcode", "skus", ["org_id", "barcode"])
    op.create_table(
        "sku_mappings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("platform_sku_id", sa.String(length=64), nullable=False),
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.Integer(), nullable=False),
        _at(),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f("fk_sku_mappings_org_id_orgs")),
        sa.ForeignKeyConstraint(
            ["sku_id"], ["skus.id"], name=op.f("fk_sku_mappings_sku_id_skus"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sku_mappings")),
        sa.UniqueConstraint(
            "org_id",
            "platform",
            "platform_sku_id",
            "sku_id",
            name=op.f("uq_sku_mappings_org_id_platform_platform_sku_id_sku_id"),
        ),
    )
    op.create_table(
        "stock_levels",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column("on_hand", sa.Integer(), nullable=False),
        sa.Column("reserved", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f("fk_stock_levels_org_id_orgs")),
        sa.ForeignKeyConstraint(
            ["warehouse_id"],
            ["warehouses.id"],
            name=op.f("fk_stock_levels_warehouse_id_warehouses"),
        ),
        sa.ForeignKeyConstraint(["sku_id"], ["skus.id"], name=op.f("fk_stock_levels_sku_id_skus")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_levels")),
        sa.UniqueConstraint(
            "warehouse_id", "sku_id", name=op.f("uq_stock_levels_warehouse_id_sku_id")
        ),
    )
    op.create_index(op.f("ix_stock_levels_org_id"), "stock_levels", ["org_id"])
    op.create_table(
        "stock_moves",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("warehouse_id", sa.Integer(), nullable=False),
        sa.Column("sku_id", sa.Integer(), nullable=False),
        sa.Column("on_hand_delta", sa.Integer(), nullable=False),
        sa.Column("reserved_delta", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=32), nullable=False),
        sa.Column("reference", sa.String(length=128), nullable=False),
        sa.Column("note", sa.String(length=255), nullable=False),
        sa.Column("actor_label", sa.String(length=100), nullable=False),
        sa.Column("at", core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f("fk_stock_moves_org_id_orgs")),
        sa.ForeignKeyConstraint(
            ["warehouse_id"], ["warehouses.id"], name=op.f("fk_stock_moves_warehouse_id_warehouses")
        ),
        sa.ForeignKeyConstraint(["sku_id"], ["skus.id"], name=op.f("fk_stock_moves_sku_id_skus")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stock_moves")),
    )
    op.create_index("ix_stock_moves_level", "stock_moves", ["warehouse_id", "sku_id", "id"])
    op.create_index("ix_stock_moves_org_reference", "stock_moves", ["org_id", "reference"])
    _append_only_up()


def downgrade() -> None:
    _append_only_down()
    op.drop_index("ix_stock_moves_org_reference", table_name="stock_moves")
    op.drop_index("ix_stock_moves_level", table_name="stock_moves")
    op.drop_table("stock_moves")
    op.drop_index(op.f("ix_stock_levels_org_id"), table_name="stock_levels")
    op.drop_table("stock_levels")
    op.drop_table("sku_mappings")
    op.drop_index("ix_skus_org_barcode", table_name="skus")
    op.drop_table("skus")
    op.drop_table("warehouses")


def _append_only_up() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER stock_moves_no_{verb.lower()} BEFORE {verb} ON stock_moves "
                f"BEGIN SELECT RAISE(ABORT, '{_MESSAGE}'); END"
            )
        return
    op.execute(
        "CREATE FUNCTION stock_moves_append_only() RETURNS trigger LANGUAGE plpgsql AS $$ "
        f"BEGIN RAISE EXCEPTION '{_MESSAGE}'; END $$"
    )
    op.execute(
        "CREATE TRIGGER stock_moves_append_only BEFORE UPDATE OR DELETE OR TRUNCATE "
        "ON stock_moves FOR EACH STATEMENT EXECUTE FUNCTION stock_moves_append_only()"
    )


def _append_only_down() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS stock_moves_no_update")
        op.execute("DROP TRIGGER IF EXISTS stock_moves_no_delete")
        return
    op.execute("DROP TRIGGER IF EXISTS stock_moves_append_only ON stock_moves")
    op.execute("DROP FUNCTION IF EXISTS stock_moves_append_only()")
