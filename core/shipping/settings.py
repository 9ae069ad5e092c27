"""The org's shipping settings: "shipping requires verification" (发货前必须验货).

Off by default: a package may be confirmed shipped once printed. On: ship-back confirms
only `verified` packages (`core.shipback` asks `verification_required`).

Where it lives: there is no per-org settings table yet, and this change brings no
migration, so the setting is the `after` of the org's newest `shipping.settings` audit
event (target `shipping_settings`/org id). Each change is an audit event anyway; reading
the current value is one look-up by `ix_audit_events_org_target`. When an org settings
table arrives, `verification_required` keeps its signature and reads that instead.
Changing it needs `settings.manage`; reading it, `order.view`.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.accounts import audit, authz
from core.actor import Actor
from core.app import App
from core.models import AuditEvent

ACTION = "shipping.settings"
TARGET = "shipping_settings"


@dataclass(frozen=True)
class ShippingSettings:
    #: Ship-back confirms only packages verified at the pack station.
    require_verification: bool = False


def load(session: Session, org_id: int) -> ShippingSettings:
    after = session.scalars(
        select(AuditEvent.after)
        .where(
            AuditEvent.org_id == org_id,
            AuditEvent.target_type == TARGET,
            AuditEvent.target_id == str(org_id),
            AuditEvent.action == ACTION,
        )
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).first()
    if not isinstance(after, dict):
        return ShippingSettings()
    return ShippingSettings(require_verification=after.get("require_verification") is True)


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
