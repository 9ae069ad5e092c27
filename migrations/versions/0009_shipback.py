"""ship-back: the shipment outbox

One row per order to confirm on its platform (确认发货 / 回传), written with the package's
move to shipped and drained by workers under a claim (owner, token, until). The partial
index `ix_shipment_outbox_due` holds only the open rows (pending, sending), which is all
the drain ever scans; `uq_shipment_outbox_order` makes "one confirmation per order" a
property of the schema. No existing rows change.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 00:37:34
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.models.base

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shipment_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("shop_id", sa.Integer(), nullable=False),
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("order_number", sa.String(length=64), nullable=False),
        sa.Column("package_id", sa.Integer(), nullable=False),
        sa.Column("carrier_account_id", sa.Integer(), nullable=True),
        sa.Column("logistics_company_id", sa.String(length=32), nullable=False),
        sa.Column("tracking_number", sa.String(length=64), nullable=False),
        sa.Column("extra_numbers", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("claim_owner", sa.String(length=64), nullable=True),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("claim_until", core.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("last_error_class", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("done_at", core.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "state IN ('pending', 'sending', 'done', 'held', 'needs_person', 'shipped_outside')",
            name=op.f("ck_shipment_outbox_state"),
        ),
        sa.ForeignKeyConstraint(
            ["carrier_account_id"],
            ["carrier_accounts.id"],
            name=op.f("fk_shipment_outbox_carrier_account_id_carrier_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_shipment_outbox_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["order_id"], ["orders.id"], name=op.f("fk_shipment_outbox_order_id_orders")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_shipment_outbox_org_id_orgs")
        ),
        sa.ForeignKeyConstraint(
            ["package_id"], ["packages.id"], name=op.f("fk_shipment_outbox_package_id_packages")
        ),
        sa.ForeignKeyConstraint(
            ["shop_id"], ["shops.id"], name=op.f("fk_shipment_outbox_shop_id_shops")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shipment_outbox")),
        sa.UniqueConstraint("order_id", name="uq_shipment_outbox_order"),
    )
    op.create_index(
        "ix_shipment_outbox_due",
        "shipment_outbox",
        ["next_attempt_at"],
        unique=False,
        sqlite_where=sa.text("state IN ('pending', 'sending')"),
        postgresql_where=sa.text("state IN ('pending', 'sending')"),
    )
    op.create_index(
        "ix_shipment_outbox_org_state",
        "shipment_outbox",
        ["org_id", "state", "created_at"],
        unique=False,
    )
    op.create_index("ix_shipment_outbox_package", "shipment_outbox", ["package_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_shipment_outbox_package", table_name="shipment_outbox")
    op.drop_index("ix_shipment_outbox_org_state", table_name="shipment_outbox")
    op.drop_index("ix_shipment_outbox_due", table_name="shipment_outbox")
    op.drop_table("shipment_outbox")
