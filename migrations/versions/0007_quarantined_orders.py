"""quarantined_orders: orders a platform served that its plugin could not map

One unreadable order (a price with three decimals) used to fail the whole sync pass, so
every later order of the shop waited. Such an order is now kept here, its raw payload
sealed like `orders.raw`, while the window's other orders are stored and the cursor moves
on; the row goes when the order is read and stored.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-06 20:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.models.base

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "quarantined_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("platform_order_no", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("raw", core.models.base.PayloadJSON(), nullable=True),
        sa.Column("times_seen", sa.Integer(), nullable=False),
        sa.Column("retries", sa.Integer(), nullable=False),
        sa.Column("first_seen_at", core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_quarantined_orders_org_id_orgs")
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_quarantined_orders_shop_id_shops")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quarantined_orders")),
        sa.UniqueConstraint(
            "shop_id",
            "platform_order_no",
            name=op.f("uq_quarantined_orders_shop_id_platform_order_no"),
        ),
    )
    op.create_index(
        op.f("ix_quarantined_orders_org_id"), "quarantined_orders", ["org_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_quarantined_orders_org_id"), table_name="quarantined_orders")
    op.drop_table("quarantined_orders")
