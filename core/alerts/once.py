"""Raising an alert once while it is open: one alert per (org, kind, key) until acknowledged.

Why: a condition checked on every pass (an outbox that keeps backing up, a shop whose
ship-backs keep failing) would otherwise raise an alert per pass. `raise_once` raises
only when no open (unacknowledged) alert of the same org, kind and key exists; once an
operator acknowledges it, the next occurrence raises a new one.

The `alerts` table has no key column, so the key is the start of the message,
`[key] …`: keep it short and meaningful to people ("shop 3", "outbox"). It must not hold
buyer data (no names, phones or addresses; order numbers are fine). Two processes
checking at the same instant may both raise: the check and the insert are not one atomic
step, and a duplicate alert is the cheaper failure.

    from core.alerts.once import raise_once
    raise_once(app, org_id, "shipback.failed", "shop 3", "warning", "回传发货失败 …")
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from core.alerts.raising import announce, check, stage_alert
from core.contracts.types import AlertInfo
from core.errors import ValidationError
from core.models import Alert

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from core.app import App

KEY_MAX = 80


def keyed(key: str, message: str) -> str:
    """The stored message of a keyed alert: `[key] message`."""
    return f"{marker(key)} {message}"


def marker(key: str) -> str:
    """`[key]`, after checking the key fits on one line and is not empty."""
    if not key or len(key) > KEY_MAX or any(c in key for c in "[]\r\n"):
        raise ValidationError(
            f"alert key must be 1-{KEY_MAX} characters without [ ] or line breaks: {key!r}",
            field="key",
        )
    return f"[{key}]"


def open_alert(session: Session, org_id: int | None, kind: str, key: str) -> int | None:
    """The id of the open alert of (org, kind, key), or None."""
    org = Alert.org_id.is_(None) if org_id is None else Alert.org_id == org_id
    return session.scalars(
        select(Alert.id)
        .where(
            org,
            Alert.kind == kind,
            Alert.acked_at.is_(None),
            Alert.message.startswith(marker(key) + " ", autoescape=True),
        )
        .order_by(Alert.id)
        .limit(1)
    ).first()


def raise_once(
    app: App, org_id: int | None, kind: str, key: str, severity: str, message: str
) -> AlertInfo | None:
    """Raise `message` as `[key] message` unless an open alert of (org, kind, key) exists;
    return the new alert, or None when one was already open. Committed on return, then
    `alert_raised` fires, as with `raise_alert`."""
    check(kind, severity)
    with app.tx() as session:
        if open_alert(session, org_id, kind, key) is not None:
            return None
        info = stage_alert(session, org_id, kind, severity, keyed(key, message))
    announce(app, info)
    return info
