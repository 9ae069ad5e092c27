"""orders.raw becomes bytes: clear JSON when it holds no personal data, else sealed

Pinduoduo payloads carry only masked copies and platform ciphertext; encrypting them again
cost a third of a sync's time and grew each row by a third (base64). Existing values (the
`fernet:`/`aead:` text of `EncryptedJSON`) are kept byte for byte and still read
(`core.models.base.decode_payload`).

Downgrade needs the keyring when rows hold the new forms (it re-encrypts them as text):
run it through orderhub, which installs the keys, not through a bare `alembic` call.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-27 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.models.base

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 500


def upgrade() -> None:
    with op.batch_alter_table("orders") as batch:
        batch.alter_column(
            "raw",
            existing_type=sa.Text(),
            type_=core.models.base.PayloadJSON(),
            existing_nullable=True,
            postgresql_using="convert_to(raw, 'UTF8')",
        )


def downgrade() -> None:
    _payloads_back_to_text()
    with op.batch_alter_table("orders") as batch:
        batch.alter_column(
            "raw",
            existing_type=core.models.base.PayloadJSON(),
            type_=sa.Text(),
            existing_nullable=True,
            postgresql_using="convert_from(raw, 'UTF8')",
        )


def _payloads_back_to_text() -> None:
    """Rewrite new-form payloads as `EncryptedJSON` text (as bytes, converted by the ALTER)."""
    from core.crypto import current_keyring
    from core.models.base import decode_payload

    conn = op.get_bind()
    orders = sa.table("orders", sa.column("id"), sa.column("raw", sa.LargeBinary()))
    last = 0
    while True:
        rows = conn.execute(
            sa.select(orders.c.id, orders.c.raw)
            .where(orders.c.id > last, orders.c.raw.is_not(None))
            .order_by(orders.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            return
        for row_id, value in rows:
            blob = value.encode("ascii") if isinstance(value, str) else bytes(value)
            if blob[:1] in (core.models.base.CLEAR_TAG, core.models.base.SEALED_TAG):
                text = current_keyring().encrypt(core.models.base.json_text(decode_payload(blob)))
                conn.execute(
                    orders.update().where(orders.c.id == row_id).values(raw=text.encode("ascii"))
                )
        last = rows[-1][0]
