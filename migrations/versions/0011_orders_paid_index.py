"""orders: an index on (org_id, paid_at, id) for the desk's lists without a status

The desk's 全部 tab, and any filter without a status, lists an org's orders in payment
order. The only index starting with the org was (org_id, hub_status, paid_at), so both
backends sorted every order of the org before answering the first page (13 ms at 100,000
orders on SQLite, growing with the org); this index answers a page by walking it and
stopping, and keeps keyset pages at the cost of the first.

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


def upgrade() -> None:
    op.create_index("ix_orders_org_paid", "orders", ["org_id", "paid_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_orders_org_paid", table_name="orders")
