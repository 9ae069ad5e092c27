"""Ship-back's alerts, each raised once per event (`core.alerts.raising.raise_alert`).

- `shipback.held` (critical): a refund, after-sale or closure found at send time — the
  parcel may be on its way (已拦截，请勿发货 / intercept it at the carrier). A row moves
  to held once, so one alert per recorded batch and org names every order it held.
- `shipback.failed` (warning): rows that need a person (invalid tracking number or
  logistics id, unknown order, blocked by the platform); same rule.
- `shipback.shipped_elsewhere` (warning): the platform refused our confirmation because
  the order already shipped there with another number (a plugin answers a repeat of our
  own number as done: `SalesPlatform.confirm_shipment`) — shipped by other means, so the
  parcel we packed may leave a second time; someone should stop one of the two.
- `shipback.backlog` (warning): open rows older than `[shipback] backlog_alert_minutes`.
  Raised only while no unacknowledged backlog alert of the org exists, so a long outage
  gives one alert, not one per worker round.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import func, select

from core import clock
from core.alerts.raising import raise_alert
from core.app import App
from core.models import Alert, ShipmentOutbox
from core.models.shipback import OPEN_OUTBOX_STATES
from core.shipback.outbox import Outcome

log = logging.getLogger("orderhub.shipback")

HELD, FAILED, BACKLOG = "shipback.held", "shipback.failed", "shipback.backlog"
ELSEWHERE = "shipback.shipped_elsewhere"
LISTED = 20  # orders named in one alert's message


@dataclass(frozen=True)
class _Kind:
    """One alert raised from a batch's outcomes: which rows, and how it reads."""

    kind: str
    severity: str
    picks: Callable[[Outcome], bool]
    head: str  # formatted with {count}
    line: Callable[[Outcome], str]


_FROM_OUTCOMES = (
    _Kind(
        ELSEWHERE,
        "warning",
        lambda i: i.state == "done" and i.error_class == "already_shipped",
        "平台已由其他方式发货 / {count} order(s) already shipped on the platform with another "
        "number: make sure our parcel does not leave as well",
        lambda i: f"{i.row.order_number} (我们的运单 / ours {i.row.tracking_number})",
    ),
    _Kind(
        HELD,
        "critical",
        lambda i: i.state == "held",
        "已拦截，请勿发货 / {count} shipment(s) held at ship-back — intercept the parcel at "
        "the carrier",
        lambda i: f"{i.row.order_number} (运单 {i.row.tracking_number}): {i.error}",
    ),
    _Kind(
        FAILED,
        "warning",
        lambda i: i.state == "needs_person",
        "回传失败 / {count} shipment confirmation(s) need a person "
        "(`orderhub ship status --state needs_person`, then `ship retry`)",
        lambda i: f"{i.row.order_number} [{i.error_class}]: {i.error}",
    ),
)


def after_outcomes(app: App, written: Sequence[Outcome]) -> None:
    """One alert per org and kind for this batch's rows: shipped elsewhere, held, and
    needing a person."""
    for kind in _FROM_OUTCOMES:
        by_org: dict[int, list[Outcome]] = defaultdict(list)
        for item in written:
            if kind.picks(item):
                by_org[item.row.org_id].append(item)
        for org_id, items in by_org.items():
            head = kind.head.format(count=len(items))
            _raise(app, org_id, kind.kind, kind.severity, head, [kind.line(i) for i in items])


def check_backlog(app: App) -> int:
    """Raise `shipback.backlog` for each org with open rows older than the setting and
    no open backlog alert; returns how many alerts were raised."""
    minutes = app.settings.shipback.backlog_alert_minutes
    cutoff = clock.now() - timedelta(minutes=minutes)
    with app.tx() as session:
        late = session.execute(
            select(ShipmentOutbox.org_id, func.count(), func.min(ShipmentOutbox.created_at))
            .where(
                ShipmentOutbox.state.in_(OPEN_OUTBOX_STATES),
                ShipmentOutbox.created_at < cutoff,
            )
            .group_by(ShipmentOutbox.org_id)
        ).all()
        open_alerts = set(
            session.scalars(
                select(Alert.org_id).where(Alert.kind == BACKLOG, Alert.acked_at.is_(None))
            )
        )
    raised = 0
    for org_id, count, oldest in late:
        if org_id in open_alerts:
            continue
        age = int((clock.now() - clock.as_utc(oldest)).total_seconds() // 60)
        _raise(
            app,
            org_id,
            BACKLOG,
            "warning",
            f"回传积压 / {count} shipment confirmation(s) waiting more than {minutes} minutes "
            f"(oldest {age} min): is a worker running, is the platform reachable? "
            "(`orderhub ship status`)",
            [],
        )
        raised += 1
    return raised


def _raise(app: App, org_id: int, kind: str, severity: str, head: str, lines: list[str]) -> None:
    shown = lines[:LISTED]
    more = f"\n… and {len(lines) - LISTED} more" if len(lines) > LISTED else ""
    message = head + ("\n" + "\n".join(shown) if shown else "") + more
    try:
        raise_alert(app, org_id, kind, severity, message)
    except Exception:  # an alert that cannot be stored must not undo the recorded outcome
        log.exception("ship-back: could not raise %s alert for org %s", kind, org_id)
