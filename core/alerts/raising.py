"""Raising alerts: a stored `Alert` row, then the `alert_raised` hook.

Alerts are what an operator must see (a shop whose token expired, a carrier that would not
cancel a number, a notifier that failed); each is committed in its own transaction so it
survives whatever the caller rolls back.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core import clock
from core.contracts.types import AlertInfo
from core.errors import ValidationError
from core.models import Alert

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from core.app import App

SEVERITIES = ("info", "warning", "critical")
KIND_MAX = 64  # alerts.kind column width


def raise_alert(app: App, org_id: int | None, kind: str, severity: str, message: str) -> AlertInfo:
    """Write an `Alert` row (committed on return), then call the `alert_raised` hook.

    `org_id` None means installation-wide. Hook failures are logged, never raised: the
    alert is stored whatever a forwarding plugin does.
    """
    check(kind, severity)
    with app.tx() as session:
        info = stage_alert(session, org_id, kind, severity, message)
    announce(app, info)
    return info


def stage_alert(
    session: Session, org_id: int | None, kind: str, severity: str, message: str
) -> AlertInfo:
    """Add an `Alert` row in the caller's transaction (it commits or rolls back with the
    caller's work, e.g. the markers that say which orders it covers); call `announce`
    after the commit."""
    check(kind, severity)
    alert = Alert(org_id=org_id, kind=kind, severity=severity, message=message)
    session.add(alert)
    session.flush()
    return info_of(alert)


def announce(app: App, info: AlertInfo) -> None:
    """Fire `alert_raised` for an alert already committed (hook failures are logged)."""
    if app.plugins is not None:
        app.plugins.emit("alert_raised", alert=info)


def check(kind: str, severity: str) -> None:
    """Refuse an unknown severity or a kind the `alerts.kind` column cannot hold."""
    if severity not in SEVERITIES:
        raise ValidationError(
            f"alert severity must be one of {', '.join(SEVERITIES)}, not {severity!r}",
            field="severity",
        )
    if not kind or len(kind) > KIND_MAX:
        raise ValidationError(f"alert kind must be 1-{KIND_MAX} characters: {kind!r}")


def info_of(alert: Alert) -> AlertInfo:
    """What plugins see of a stored alert."""
    return AlertInfo(
        id=alert.id,
        org_id=alert.org_id,
        kind=alert.kind,
        severity=alert.severity,
        message=alert.message,
        created_at=clock.as_utc(alert.created_at),
    )
