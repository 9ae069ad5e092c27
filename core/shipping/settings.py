"""The org's shipping settings: "shipping requires verification" (发货前必须验货).

Off by default: a package may be confirmed shipped once printed. On: ship-back confirms
only `verified` packages (`core.shipback` asks `verification_required`).

Stored as the org's `shipping` row of `org_settings` (an org without one gets the
defaults); `version` counts the changes and each change is a `shipping.settings` audit
event with the values before and after. Ship-back reads it in its own transaction.
Changing it needs `settings.manage`; reading it, `order.view`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy.orm import Session

from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.models import OrgSetting

ACTION = "shipping.settings"
TARGET = "shipping_settings"
SECTION = "shipping"  # its row in org_settings


@dataclass(frozen=True)
class ShippingSettings:
    #: Ship-back confirms only packages verified at the pack station.
    require_verification: bool = False


def load(session: Session, org_id: int) -> ShippingSettings:
    row = session.get(OrgSetting, (org_id, SECTION))
    if row is None or not isinstance(row.values, dict):
        return ShippingSettings()
    return ShippingSettings(require_verification=row.values.get("require_verification") is True)


def verification_required(session: Session, org_id: int) -> bool:
    """Whether the org ships only verified packages (for ship-back, in its transaction)."""
    return load(session, org_id).require_verification


def show_settings(app: App, actor: Actor) -> ShippingSettings:
    with app.tx() as session:
        authz.require(session, actor, "order.view")
        return load(session, actor.org_id)


def update_settings(app: App, actor: Actor, *, require_verification: bool) -> ShippingSettings:
    """Turn "shipping requires verification" on or off (`settings.manage`; audited)."""
    with app.tx() as session:
        authz.require(session, actor, "settings.manage")
        before = load(session, actor.org_id)
        after = ShippingSettings(require_verification=bool(require_verification))
        row = session.get(OrgSetting, (actor.org_id, SECTION), with_for_update=True)
        if row is None:
            session.add(
                OrgSetting(
                    org_id=actor.org_id,
                    section=SECTION,
                    values=asdict(after),
                    updated_by=actor.user_id,
                )
            )
        else:
            row.values, row.version, row.updated_by = asdict(after), row.version + 1, actor.user_id
        audit.record(
            session,
            ACTION,
            actor=actor,
            target_type=TARGET,
            target_id=actor.org_id,
            before=asdict(before),
            after=asdict(after),
            detail="发货前必须验货 / shipping requires verification: "
            + ("on" if after.require_verification else "off"),
        )
        return after
