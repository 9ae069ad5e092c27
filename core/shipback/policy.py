"""What ship-back asks of other domains, in one place each.

`verification_required` is the single call point for "must a package be verified at the
pack station (扫描验货) before it may be confirmed?": the org's shipping setting, kept by
`core.shipping.settings` (`orderhub pack settings --require-verification on|off`).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from core.app import App
from core.shipping import settings as shipping_settings


def verification_required(app: App, session: Session, org_id: int) -> bool:
    """True when the org ships only packages verified at the pack station."""
    del app  # the setting is the org's, read in the caller's transaction
    return shipping_settings.verification_required(session, org_id)
