"""org settings: one row per org and section

`org_settings` holds an org's settings by section (JSON, validated by the domain that owns
the section). The first section is `shipping` ("shipping requires verification"), which
was kept as the newest `shipping.settings` audit event until now: each org's newest such
event becomes its row, so no org's setting changes across the upgrade. Downgrading drops
the table; the audit events are still there.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 03:05:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.models.base

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "org_settings",
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("section", sa.String(length=40), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=True),
        sa.Column("updated_at", core.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["org_id"], ["orgs.id"], name=op.f("fk_org_settings_org_id_orgs")),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_org_settings_updated_by_users")
        ),
        sa.PrimaryKeyConstraint("org_id", "section", name=op.f("pk_org_settings")),
    )
    _carry_over_shipping_settings()


def downgrade() -> None:
    op.drop_table("org_settings")


def _carry_over_shipping_settings() -> None:
    """Each org's newest `shipping.settings` audit event → its `shipping` row."""
    events = sa.table(
        "audit_events",
        sa.column("id", sa.Integer()),
        sa.column("org_id", sa.Integer()),
        sa.column("action", sa.String()),
        sa.column("actor_user_id", sa.Integer()),
        sa.column("after", sa.JSON()),
        sa.column("at", core.models.base.UTCDateTime(timezone=True)),
    )
    newest = (
        sa.select(events.c.org_id, sa.func.max(events.c.id).label("id"))
        .where(events.c.action == "shipping.settings", events.c.org_id.is_not(None))
        .group_by(events.c.org_id)
        .subquery()
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(events.c.org_id, events.c.actor_user_id, events.c.after, events.c.at).join(
            newest, newest.c.id == events.c.id
        )
    ).all()
    if not rows:
        return
    settings = sa.table(
        "org_settings",
        sa.column("org_id", sa.Integer()),
        sa.column("section", sa.String()),
        sa.column("values", sa.JSON()),
        sa.column("version", sa.Integer()),
        sa.column("updated_by", sa.Integer()),
        sa.column("updated_at", core.models.base.UTCDateTime(timezone=True)),
    )
    bind.execute(
        settings.insert(),
        [
            {
                "org_id": org_id,
                "section": "shipping",
                "values": {
                    "require_verification": isinstance(after, dict)
                    and after.get("require_verification") is True
                },
                "version": 1,
                "updated_by": user_id,
                "updated_at": created_at,
            }
            for org_id, user_id, after, created_at in rows
        ],
    )
