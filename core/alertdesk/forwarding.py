"""Forwarding alerts to people: each new alert at or above `[alerts] forward_severity`
(default `critical`) goes once through the notifiers of `[alerts] notifiers` (default:
those of `[plugins] notifiers`).

Why a pass and not the `alert_raised` hook: some alerts are written inside the
transaction of the change they describe (the refund hold's "已拦截，请勿发货", stored with
the order by `core.orders.store`), and no hook fires for them; a pass sees every stored
alert, and a channel that is down is tried again at the next pass instead of losing the
alert. The worker runs it every minute (`core.alertdesk.passes`), so an alert reaches
people within about a minute of being raised.

Once each: a forwarded alert gets an audit event `alert.forwarded` (target the alert,
detail the notifiers that delivered), and the pass skips alerts that have one. Only
open alerts raised in the last `[alerts] forward_hours` are forwarded, so a new channel
does not replay history and an acknowledged alert is not sent. Copies of notifications
(`notification.*`) and the notifier's own failures are never forwarded (that would loop).

One notification per org and pass (kind "alert", to `[alerts] recipient`), listing its
alerts, so a sync that puts 200 orders on hold sends one message, not 200. When no
notifier delivers, the pass stops (the channel is down), logs why, and raises once a
warning `alerts.forward_failed` for the org while it is open; the alerts stay
unforwarded and go at a later pass.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import not_, select
from sqlalchemy.orm import Session

from core import clock
from core.accounts import audit
from core.alertdesk.listing import at_least
from core.alerts.notify import notify
from core.alerts.once import raise_once
from core.alerts.raising import info_of
from core.app import App
from core.bound_lists import among
from core.contracts.notifier import Notification
from core.contracts.types import AlertInfo
from core.errors import OrderhubError
from core.models import Alert, AuditEvent, Org

log = logging.getLogger("orderhub.alerts")

FORWARDED = "alert.forwarded"
FAILED_KIND = "alerts.forward_failed"
NEVER_FORWARDED = ("notification.", "notifier.", "alerts.")
#: Alerts forwarded per pass at most; the rest go at the next pass.
MAX_PER_PASS = 500
LABEL = "alerts: forwarding"


@dataclass(frozen=True)
class ForwardReport:
    forwarded: int = 0
    notifications: int = 0
    error: str | None = None


def run(app: App, *, now: datetime | None = None, org_id: int | None = None) -> ForwardReport:
    """Forward what is due, for every org and the installation (or for one org only)."""
    settings = app.settings.alerts
    if settings.forward_severity == "off":
        return ForwardReport()
    now = now or clock.now()
    with app.tx() as session:
        since = now - timedelta(hours=settings.forward_hours)
        due = _due(session, at_least(settings.forward_severity), since, org_id)
        orgs = dict(session.execute(select(Org.id, Org.name)).all())
    by_org: dict[int | None, list[Alert]] = defaultdict(list)
    for alert in due:
        by_org[alert.org_id].append(alert)
    names = settings.notifiers or app.settings.plugins.notifiers
    forwarded = sent = 0
    for org, alerts in by_org.items():
        infos = tuple(info_of(a) for a in alerts)
        try:
            name = orgs.get(org) if org is not None else None
            delivered = notify(app, _notification(app, org, name, infos), notifiers=names)
        except OrderhubError as exc:
            log.error("could not forward %d alert(s) of org %s: %s", len(infos), org, exc)
            raise_once(
                app,
                org,
                FAILED_KIND,
                "forwarding",
                "warning",
                f"告警未能转发 / could not forward alerts through {', '.join(names)}: {exc}",
            )
            return ForwardReport(forwarded, sent, str(exc))
        with app.tx() as session:
            for info in infos:
                audit.record(
                    session,
                    FORWARDED,
                    org_id=info.org_id,
                    actor_label=LABEL,
                    target_type="alert",
                    target_id=info.id,
                    detail=", ".join(delivered),
                )
        forwarded += len(infos)
        sent += 1
    return ForwardReport(forwarded, sent)


def _due(
    session: Session, severities: tuple[str, ...], since: datetime, org_id: int | None
) -> list[Alert]:
    stmt = select(Alert).where(
        Alert.acked_at.is_(None),
        Alert.created_at >= since,
        Alert.severity.in_(severities),
        *[not_(Alert.kind.startswith(p, autoescape=True)) for p in NEVER_FORWARDED],
    )
    if org_id is not None:
        stmt = stmt.where(Alert.org_id == org_id)
    candidates = list(session.scalars(stmt.order_by(Alert.id).limit(MAX_PER_PASS)))
    done = _forwarded(session, candidates)
    return [a for a in candidates if str(a.id) not in done]


def _forwarded(session: Session, alerts: list[Alert]) -> set[str]:
    """Ids (as text) of `alerts` that have their `alert.forwarded` event, org by org so
    the look-up uses the (org, target) index of the audit trail."""
    dialect = session.get_bind().dialect.name
    by_org: dict[int | None, list[str]] = defaultdict(list)
    for alert in alerts:
        by_org[alert.org_id].append(str(alert.id))
    done: set[str] = set()
    for org, ids in by_org.items():
        same_org = AuditEvent.org_id.is_(None) if org is None else AuditEvent.org_id == org
        done.update(
            session.scalars(
                select(AuditEvent.target_id).where(
                    same_org,
                    AuditEvent.target_type == "alert",
                    among(AuditEvent.target_id, dialect, values=ids),
                    AuditEvent.action == FORWARDED,
                )
            )
        )
    return done


def _notification(
    app: App, org_id: int | None, org_name: str | None, alerts: tuple[AlertInfo, ...]
) -> Notification:
    where = org_name or ("installation" if org_id is None else f"org {org_id}")
    critical = sum(1 for a in alerts if a.severity == "critical")
    if len(alerts) == 1:
        subject = f"orderhub [{where}] {alerts[0].severity}: {alerts[0].kind}"
    else:
        subject = f"orderhub [{where}] {len(alerts)} alerts ({critical} critical)"
    lines = [
        f"[{a.severity}] {a.kind} #{a.id} {clock.local_text(a.created_at)}\n{a.message}"
        for a in alerts
    ]
    body = "\n\n".join(lines) + "\n\n(orderhub alerts list / orderhub alerts ack ID)"
    return Notification(
        recipient=app.settings.alerts.recipient,
        subject=subject,
        body=body,
        org_id=org_id,
        kind="alert",
        alerts=alerts,
    )
