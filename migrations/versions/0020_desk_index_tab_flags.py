"""desk indexes carry the tab's flags: the order list's filter checked in the index

`ix_orders_org_status_paid` and `ix_orders_org_status_province_paid` become
`…_tab`: the same leading columns, then `id` (the list's order after the payment time)
and `on_hold`, `in_exception`, so that a tab's filter is checked in the index instead of
in each candidate order's row, and the list's keyset query reads no table row at all. At
1,000,000 orders the desk's typical filter reads ≈ 350 candidates: ≈ 0.6 → 0.25 ms on
SQLite (bench/README.md, the API section).

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-07 15:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TAB = ["id", "on_hold", "in_exception"]


def upgrade() -> None:
    op.create_index(
        "ix_orders_org_status_paid_tab", "orders", ["org_id", "hub_status", "paid_at", *_TAB]
    )
    op.create_index(
        "ix_orders_org_status_province_paid_tab",
        "orders",
        ["org_id", "hub_status", "receiver_province", "paid_at", *_TAB],
    )
    op.drop_index("ix_orders_org_status_paid", table_name="orders")
    op.drop_index("ix_orders_org_status_province_paid", table_name="orders")


def downgrade() -> None:
    op.create_index("ix_orders_org_status_paid", "orders", ["org_id", "hub_status", "paid_at"])
    op.create_index(
        "ix_orders_org_status_province_paid",
        "orders",
        ["org_id", "hub_status", "receiver_province", "paid_at"],
    )
    op.drop_index("ix_orders_org_status_province_paid_tab", table_name="orders")
    op.drop_index("ix_orders_org_status_paid_tab", table_name="orders")
