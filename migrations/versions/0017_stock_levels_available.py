"""stock levels by available: the index that serves "lowest available first" a page at a time

The stock screen (and `core.stock.levels.list_levels(order="available")`) reads levels
ordered by on hand minus reserved, ties by warehouse and SKU id, `after` the last row's
key. Without an index on the difference every page sorts all the org's levels; with one
on (warehouse, difference, SKU) a page is one index range per warehouse (merged), for
one warehouse or all, and counting the levels with nothing available is ranges too. The
order by warehouse and code needs nothing new: the unique (org_id, code) of skus and
(warehouse_id, sku_id) of stock_levels carry it.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-07 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_stock_levels_available",
        "stock_levels",
        ["warehouse_id", sa.text("(on_hand - reserved)"), "sku_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_stock_levels_available", table_name="stock_levels")
