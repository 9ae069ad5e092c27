"""orders: indexes for the desk's lists without a status

The desk's 全部 tab, and any filter without a status, lists an org's orders in payment
order. The only indexes starting with the org also had the status second, so both
backends sorted every order of the org before answering the first page (13 ms at
100,000 orders on SQLite, growing with the org). (org_id, paid_at, id) answers a page by
walking the index and stopping; (org_id, receiver_province, paid_at, id) does the same
for the filter operators use most, a province (`province:浙江省 memo:yes` went from
35 to 10 ms).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 05:40:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_orders_org_paid": ["org_id", "paid_at", "id"],
    "ix_orders_org_province_paid": ["org_id", "receiver_province", "paid_at", "id"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "orders", columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="orders")
