"""`core.waybills.request_epoch`: one epoch per installation, kept while the database lives, new
after a restore, and drawn on first use where the row went missing."""

from __future__ import annotations

from sqlalchemy import delete

from core.app import App
from core.models import Installation
from core.waybills import request_epoch


def _current(app: App) -> str:
    with app.tx() as session:
        return request_epoch.current(session)


def test_the_epoch_stays_until_it_is_renewed(app: App) -> None:
    first = _current(app)
    assert _current(app) == first
    renewed = request_epoch.renew(app.engine)
    assert renewed is not None and renewed != first
    assert _current(app) == renewed


def test_a_missing_row_is_drawn_once_on_first_use(app: App) -> None:
    with app.tx() as session:
        session.execute(delete(Installation))
    assert request_epoch.renew(app.engine) is None  # nothing to renew: first use draws
    drawn = _current(app)
    assert len(drawn) == 8 and _current(app) == drawn
