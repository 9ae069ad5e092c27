"""The installation's request epoch: the prefix of every id orderhub sends a carrier with
a waybill request (see `core.models.Installation` for why ids need one).

Migration 0006 draws the epoch; `renew` draws a new one after a restore. A database whose
row went missing (emptied table by table) gets one on first use.
"""

from __future__ import annotations

import secrets

from sqlalchemy import Engine, inspect, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from core import clock
from core.models import Installation

_INSTALLATION = Installation.__table__


def current(session: Session) -> str:
    """This installation's epoch (created, race-free, if the row is missing)."""
    epoch = session.scalar(select(Installation.request_epoch).where(Installation.id == 1))
    if epoch is not None:
        return epoch
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(
        insert(_INSTALLATION)
        .values(id=1, request_epoch=draw(), epoch_started_at=clock.now())
        .on_conflict_do_nothing(index_elements=["id"])
    )
    return session.scalars(select(Installation.request_epoch).where(Installation.id == 1)).one()


def renew(engine: Engine) -> str | None:
    """Draw a new epoch (after a restore: package ids handed out after the backup was
    taken come round again). None when there is none to renew: a database from before
    migration 0006 draws one when it is upgraded, and one without the row draws one on
    first use — either way a fresh epoch."""
    if not inspect(engine).has_table(_INSTALLATION.name):
        return None
    epoch = draw()
    with engine.begin() as conn:
        changed = conn.execute(
            update(_INSTALLATION).values(request_epoch=epoch, epoch_started_at=clock.now())
        ).rowcount
    return epoch if changed else None


def draw() -> str:
    """32 random bits as 8 hex digits: two installations meet with odds of one in four
    billion, and `<epoch>-<package id>-<n>` stays far below carriers' id lengths."""
    return secrets.token_hex(4)
