"""users: the language each person chose for the UI

`users.language` holds the UI language a person chose (`zh` or `en`,
`core.accounts.preferences`); NULL, every user's value after the upgrade, means the
installation's default (Chinese). The terminal UI opens in it unless `--lang` says
otherwise.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 06:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("language", sa.String(length=8), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("language")
