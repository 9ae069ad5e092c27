"""reports: carrier_rates (the per-carrier rate cards the shipping-cost report prices
parcels with), the first label's time on orders and packages and the province a package's
label went to (filled from the print history for those printed before), and the indexes
the reports read by (one replaces the print history's
ix_print_job_items_org_done with a wider one on the same leading columns)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-07 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.models.base

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


#: What the reports read by (core.reports): each scans one day of an indexed time column,
#: most of them reading every column they need from the index itself.
INDEXES = (
    ("ix_orders_org_shipped", "orders", ["org_id", "shipped_at"]),
    (
        "ix_orders_org_printed",
        "orders",
        ["org_id", "printed_at", "paid_at", "shipped_at", "shop_id"],
    ),
    (
        "ix_orders_org_promised",
        "orders",
        ["org_id", "promised_ship_by", "shipped_at", "hub_status", "shop_id"],
    ),
    (
        "ix_packages_org_printed",
        "packages",
        ["org_id", "printed_at", "carrier_account_id", "weight_g", "receiver_province", "shop_id"],
    ),
    (
        "ix_waybills_org_allocated",
        "waybills",
        ["org_id", "allocated_at", "status", "carrier_account_id"],
    ),
    (
        "ix_stock_moves_org_reason_sku",
        "stock_moves",
        ["org_id", "reason", "sku_id", "at", "on_hand_delta"],
    ),
    ("ix_stock_moves_org_at", "stock_moves", ["org_id", "at"]),
)
#: The exception queue and the holds by payment time: partial, so only those orders pay.
PARTIAL = (("ix_orders_org_exception_paid", "in_exception"), ("ix_orders_org_hold_paid", "on_hold"))
#: The print history's index, widened to cover the print and handling reports.
PRINT_DONE = ["org_id", "done_at", "kind", "reprint", "state", "job_id", "order_id", "package_id"]


def upgrade() -> None:
    op.create_table(
        "carrier_rates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("carrier_account_id", sa.Integer(), nullable=False),
        sa.Column("province", sa.String(length=50), nullable=False),
        sa.Column("first_weight_g", sa.Integer(), nullable=False),
        sa.Column("first_fen", sa.BigInteger(), nullable=False),
        sa.Column("step_weight_g", sa.Integer(), nullable=False),
        sa.Column("step_fen", sa.BigInteger(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "first_weight_g > 0 AND step_weight_g > 0",
            name=op.f("ck_carrier_rates_weights_positive"),
        ),
        sa.CheckConstraint(
            "first_fen >= 0 AND step_fen >= 0", name=op.f("ck_carrier_rates_prices_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["carrier_account_id"],
            ["carrier_accounts.id"],
            name=op.f("fk_carrier_rates_carrier_account_id_carrier_accounts"),
        ),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f("fk_carrier_rates_org_id_orgs")),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_carrier_rates_updated_by_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_carrier_rates")),
        sa.UniqueConstraint(
            "org_id",
            "carrier_account_id",
            "province",
            name=op.f("uq_carrier_rates_org_id_carrier_account_id_province"),
        ),
    )

    op.add_column(
        "orders",
        sa.Column("printed_at", core.models.base.UTCDateTime(timezone=True), nullable=True),
    )
    # Orders printed before this revision: their first label, through their packages.
    op.execute(
        "UPDATE orders SET printed_at = (SELECT min(i.done_at) FROM package_lines pl "
        "JOIN print_job_items i ON i.package_id = pl.package_id "
        "WHERE pl.order_id = orders.id AND i.kind = 'label' AND i.state = 'done' "
        "AND i.reprint = false) WHERE hub_status IN ('printed', 'shipped', 'completed')"
    )
    op.add_column(
        "packages",
        sa.Column("printed_at", core.models.base.UTCDateTime(timezone=True), nullable=True),
    )
    op.add_column(
        "packages",
        sa.Column(
            "receiver_province", sa.String(length=50), nullable=False, server_default=sa.text("''")
        ),
    )
    # Packages printed before this revision: their first label, their first order's province.
    op.execute(
        "UPDATE packages SET printed_at = (SELECT min(i.done_at) FROM print_job_items i "
        "WHERE i.package_id = packages.id AND i.kind = 'label' AND i.state = 'done' "
        "AND i.reprint = false), receiver_province = coalesce((SELECT o.receiver_province "
        "FROM package_lines pl JOIN orders o ON o.id = pl.order_id "
        "WHERE pl.package_id = packages.id ORDER BY pl.id LIMIT 1), '') "
        "WHERE status IN ('printed', 'verified', 'shipped', 'synced', 'on_hold')"
    )
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)
    op.drop_index("ix_print_job_items_org_done", table_name="print_job_items")
    op.create_index("ix_print_job_items_org_done", "print_job_items", PRINT_DONE)
    for name, flag in PARTIAL:
        op.create_index(
            name,
            "orders",
            ["org_id", "paid_at"],
            sqlite_where=sa.text(f"{flag} = 1"),
            postgresql_where=sa.text(flag),
        )


def downgrade() -> None:
    for name, _ in PARTIAL:
        op.drop_index(name, table_name="orders")
    op.drop_index("ix_print_job_items_org_done", table_name="print_job_items")
    op.create_index("ix_print_job_items_org_done", "print_job_items", ["org_id", "done_at"])
    for name, table, _ in reversed(INDEXES):
        op.drop_index(name, table_name=table)
    op.drop_column("orders", "printed_at")
    op.drop_column("packages", "receiver_province")
    op.drop_column("packages", "printed_at")
    op.drop_table("carrier_rates")
