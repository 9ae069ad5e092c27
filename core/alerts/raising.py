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
    from core.app import App

SEVERITIES = ("info", "warning", "critical")
KIND_MAX = 64  # alerts.kind column width


def raise_alert(app: App, org_id: int | None, kind: str, severity: str, message: str) -> AlertInfo:
    """Write an `Alert` row (committed on return), then call the `alert_raised` hook.

    `org_id` None means installation-wide. Hook failures are logged, never raised: the
    alert is stored whatever a forwarding plugin does.
    """
    if severity not in SEVERITIES:
        raise ValidationError(
            f"alert severity must be one of {', '.join(SEVERITIES)}, not {severity!r}",
            field="severity",
        )
    if not kind or len(kind) > KIND_MAX:
        raise ValidationError(f"alert kind must be 1-{KIND_MAX} characters: {kind!r}")
    with app.tx() as session:
        alert = Alert(org_id=org_id, kind=kind, severity=severity, message=message)
        session.add(alert)
        session.flush()
        info = AlertInfo(
            id=alert.id,
            org_id=alert.org_id,
            kind=alert.kind,
            severity=alert.severity,
            message=alert.message,
            created_at=clock.as_utc(alert.created_at),
        )
    if app.plugins is not None:
        app.plugins.emit("alert_raised", alert=info)
    return info
