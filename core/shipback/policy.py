"""What ship-back asks of other domains, in one place each.

`verification_required` is the single call point for "must a package be verified at the
pack station (扫描验货) before it may be confirmed?". The pack station and its org setting
are being built in `core.shipping` at the same time as this package; until that lands,
the answer is the installation's `[shipback] require_verification` setting. When
`core.shipping.verification_required(session, org_id)` exists, this function calls it
and nothing else in `core.shipback` changes.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.app import App


def verification_required(app: App, session: Session, org_id: int) -> bool:
    """True when the org ships only packages verified at the pack station.

    INTEGRATION POINT: replace the body with
    `return shipping.verification_required(session, org_id)` once `core.shipping` lands.
    """
    del session, org_id  # the interim setting is installation-wide
    return app.settings.shipback.require_verification
