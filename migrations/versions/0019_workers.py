"""workers: the registry of running `orderhub worker` processes

Each worker registers at start (id = the name its leases carry, host, pid, version, the
passes it runs and the printers it serves), heartbeats every `[worker] heartbeat_seconds`
and deletes its row on a clean stop; `orderhub status` lists the ones seen lately next to
the leases they hold (shops, print jobs, outbox rows). A worker killed outright leaves its
row behind, shown as gone and dropped after a day. Nothing else depends on the table:
dropping it loses only that view.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-07 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.models.base

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "workers",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("host", sa.String(length=255), nullable=False),
        sa.Column("pid", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("passes", sa.JSON(), nullable=False),
        sa.Column("printers", sa.JSON(), nullable=False),
        sa.Column("print_owner", sa.String(length=100), nullable=False),
        sa.Column("started_at", core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workers")),
    )
    op.create_index(op.f("ix_workers_last_seen_at"), "workers", ["last_seen_at"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_workers_last_seen_at"), table_name="workers")
    op.drop_table("workers")
