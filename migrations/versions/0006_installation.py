"""installation: the epoch that keeps carrier request ids unique across installations

Waybill request ids (PDD `object_id`) were bare package ids. Pinduoduo answers an
`object_id` it has seen with the waybill it issued then, and package ids start again at
1 in a new database (a reinstall against the same shop and carrier subscription) or
repeat after a restore of an older backup: a new package could be given another
package's number. Ids are now `<epoch>-<package id>`; this revision draws the epoch.

An installation upgraded with requests in flight (claimed, answer not yet stored) asks
again under the new id: the carrier issues a second number and the first is never used,
which wastes a number but never gives one to two packages.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-27 08:45:00
"""

import secrets
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

import core.models.base

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    table = op.create_table(
        "installation",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("request_epoch", sa.String(length=16), nullable=False),
        sa.Column("epoch_started_at", core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.CheckConstraint("id = 1", name=op.f("ck_installation_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_installation")),
    )
    op.bulk_insert(
        table,
        [{"id": 1, "request_epoch": secrets.token_hex(4), "epoch_started_at": datetime.now(UTC)}],
    )


def downgrade() -> None:
    op.drop_table("installation")
