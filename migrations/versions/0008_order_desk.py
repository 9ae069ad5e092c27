"""order desk: tags, saved filters, audit and assignment rules, order edit columns

Operators' tags become rows (`tags`, `order_tags`) so that a tag filter is an index look-up;
saved filters, the org's audit rule set and its assignment rules get tables. Orders gain
what the desk writes: a local remark and flag (never replaced by a sync), the exception
flag, audit and reject fields, the assigned carrier account and template, a receiver hash
for merge candidates, who entered a manual order, and a version for optimistic locking.
Existing rows get the columns' defaults; `in_exception` is set where reasons are stored.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 21:16:56
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.models.base

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_rule_sets",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_audit_rule_sets_org_id_orgs")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_audit_rule_sets_updated_by_users")
        ),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_audit_rule_sets")),
    )
    op.create_table(
        "saved_filters",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("query", sa.Text(), nullable=False),
        sa.Column("shared", sa.Boolean(), nullable=False),
        sa.Column("created_at", core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f("fk_saved_filters_org_id_orgs")),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_saved_filters_owner_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_saved_filters")),
        sa.UniqueConstraint(
            "org_id", "owner_id", "name", name=op.f("uq_saved_filters_org_id_owner_id_name")
        ),
    )
    with op.batch_alter_table("saved_filters", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_saved_filters_org_id"), ["org_id"], unique=False)

    op.create_table(
        "tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("color", sa.String(length=16), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_tags_created_by_users")
        ),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f("fk_tags_org_id_orgs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
        sa.UniqueConstraint("org_id", "name", name=op.f("uq_tags_org_id_name")),
    )
    op.create_table(
        "assignment_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("carrier_account_id", sa.Integer(), nullable=True),
        sa.Column("template", sa.String(length=64), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["carrier_account_id"],
            ["carrier_accounts.id"],
            name=op.f("fk_assignment_rules_carrier_account_id_carrier_accounts"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_assignment_rules_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["org_id"], ["orgs.id"], name=op.f("fk_assignment_rules_org_id_orgs")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_assignment_rules")),
        sa.UniqueConstraint("org_id", "name", name=op.f("uq_assignment_rules_org_id_name")),
    )
    with op.batch_alter_table("assignment_rules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_assignment_rules_org_id"), ["org_id"], unique=False)

    op.create_table(
        "order_tags",
        sa.Column("order_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("tagged_at", core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["order_id"],
            ["orders.id"],
            name=op.f("fk_order_tags_order_id_orders"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f("fk_order_tags_org_id_orgs")),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tags.id"], name=op.f("fk_order_tags_tag_id_tags"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("order_id", "tag_id", name=op.f("pk_order_tags")),
    )
    with op.batch_alter_table("order_tags", schema=None) as batch_op:
        batch_op.create_index(
            "ix_order_tags_org_tag_order", ["org_id", "tag_id", "order_id"], unique=False
        )

    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("local_remark", sa.Text(), nullable=False, server_default=sa.text("''"))
        )
        batch_op.add_column(
            sa.Column(
                "local_flag", sa.String(length=10), nullable=False, server_default=sa.text("''")
            )
        )
        batch_op.add_column(
            sa.Column("in_exception", sa.Boolean(), nullable=False, server_default=sa.text("false"))
        )
        batch_op.add_column(
            sa.Column("audited_at", core.models.base.UTCDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("audited_by", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("reject_reason", sa.Text(), nullable=False, server_default=sa.text("''"))
        )
        batch_op.add_column(
            sa.Column(
                "rules_checked_at", core.models.base.UTCDateTime(timezone=True), nullable=True
            )
        )
        batch_op.add_column(sa.Column("assigned_carrier_account_id", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column(
                "assigned_template",
                sa.String(length=64),
                nullable=False,
                server_default=sa.text("''"),
            )
        )
        batch_op.add_column(
            sa.Column(
                "assigned_by", sa.String(length=80), nullable=False, server_default=sa.text("''")
            )
        )
        batch_op.add_column(sa.Column("receiver_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("created_by", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("version", sa.Integer(), nullable=False, server_default=sa.text("1"))
        )
        batch_op.create_index(
            "ix_orders_org_receiver_hash", ["org_id", "shop_id", "receiver_hash"], unique=False
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_orders_assigned_carrier_account_id_carrier_accounts"),
            "carrier_accounts",
            ["assigned_carrier_account_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_orders_created_by_users"), "users", ["created_by"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_orders_audited_by_users"), "users", ["audited_by"], ["id"]
        )
    op.execute(
        "UPDATE orders SET in_exception = true WHERE exception_reasons IS NOT NULL"
        " AND CAST(exception_reasons AS TEXT) NOT IN ('[]', 'null', '')"
    )
    # --- part E: labels a courier can use (the carrier's routing with each waybill) ---
    with op.batch_alter_table("waybills", schema=None) as batch_op:
        batch_op.add_column(sa.Column("routing", sa.JSON(), nullable=True))
    with op.batch_alter_table("print_job_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("line_no", sa.Integer(), nullable=True))
    # --- end of part E ---
    # --- part A: order search (core.desk.search) ---
    # Plain CREATE INDEX (no batch): a batch could rebuild audit_events and lose its triggers.
    op.create_index(
        "ix_orders_org_tab", "orders", ["org_id", "hub_status", "on_hold", "in_exception"]
    )
    op.create_index(
        "ix_audit_events_org_target", "audit_events", ["org_id", "target_type", "target_id"]
    )
    op.create_index(
        "ix_orders_org_status_province_paid",
        "orders",
        ["org_id", "hub_status", "receiver_province", "paid_at"],
    )
    # --- end of part A ---


def downgrade() -> None:
    # --- part A: order search (core.desk.search) ---
    op.drop_index("ix_orders_org_status_province_paid", table_name="orders")
    op.drop_index("ix_audit_events_org_target", table_name="audit_events")
    op.drop_index("ix_orders_org_tab", table_name="orders")
    # --- end of part A ---
    # --- part E ---
    with op.batch_alter_table("print_job_items", schema=None) as batch_op:
        batch_op.drop_column("line_no")
    with op.batch_alter_table("waybills", schema=None) as batch_op:
        batch_op.drop_column("routing")
    # --- end of part E ---
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_orders_audited_by_users"), type_="foreignkey")
        batch_op.drop_constraint(batch_op.f("fk_orders_created_by_users"), type_="foreignkey")
        batch_op.drop_constraint(
            batch_op.f("fk_orders_assigned_carrier_account_id_carrier_accounts"), type_="foreignkey"
        )
        batch_op.drop_index("ix_orders_org_receiver_hash")
        batch_op.drop_column("version")
        batch_op.drop_column("created_by")
        batch_op.drop_column("receiver_hash")
        batch_op.drop_column("assigned_by")
        batch_op.drop_column("assigned_template")
        batch_op.drop_column("assigned_carrier_account_id")
        batch_op.drop_column("rules_checked_at")
        batch_op.drop_column("reject_reason")
        batch_op.drop_column("audited_by")
        batch_op.drop_column("audited_at")
        batch_op.drop_column("in_exception")
        batch_op.drop_column("local_flag")
        batch_op.drop_column("local_remark")

    with op.batch_alter_table("order_tags", schema=None) as batch_op:
        batch_op.drop_index("ix_order_tags_org_tag_order")

    op.drop_table("order_tags")
    with op.batch_alter_table("assignment_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_assignment_rules_org_id"))

    op.drop_table("assignment_rules")
    op.drop_table("tags")
    with op.batch_alter_table("saved_filters", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_saved_filters_org_id"))

    op.drop_table("saved_filters")
    op.drop_table("audit_rule_sets")
